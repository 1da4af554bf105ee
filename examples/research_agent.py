"""A research agent with two tools; every model call and tool call is a durable step.

    python examples/research_agent.py

The model is a `ScriptedModel`, so no API key is needed. With a real one:
``Agent("researcher", ..., OpenAIModel("gpt-4o"), [search_web, read_page])``.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from pydantic import Field

from agentkit import Agent, AgentKit, ManualClock, tool
from agentkit.models import ScriptedModel, Usage
from agentkit.store import InMemoryStore

kit = AgentKit(store=InMemoryStore(), clock=ManualClock())
PAGES = {"https://example.org/durable": "Durable steps are journaled before the code goes on."}


@tool
def search_web(query: Annotated[str, Field(description="Search terms")]) -> list[str]:
    """Search the web and return page URLs."""
    return [url for url in PAGES if query.split()[0].lower() in url]


@tool
async def read_page(url: str) -> str:
    """Read a page's text.

    Args:
        url: A URL from search_web.
    """
    return PAGES.get(url, "404")


model = ScriptedModel(
    [
        ScriptedModel.tool_call("search_web", {"query": "durable agents"}),
        ScriptedModel.tool_call("read_page", {"url": "https://example.org/durable"}),
        ScriptedModel.text(
            "Durable agents journal each step, so they resume after a crash.",
            usage=Usage(input_tokens=1200, output_tokens=40),
            model="gpt-4o",
        ),
    ]
)
researcher = Agent(
    "researcher", "Answer in one sentence, citing pages.", model, [search_web, read_page]
)


async def main() -> str:
    result = await kit.run_agent(researcher, "How do durable agents survive crashes?")
    run = kit.list_runs()[0]
    for step in kit.journal(run.id):
        print(f"{step.key}: {step.kind}")
    print(result.output)
    # None when no price is known (a self-hosted model, a model the price list lacks).
    cost = "n/a" if result.cost_usd is None else f"${result.cost_usd:.4f}"
    print(f"{result.usage.total_tokens} tokens, {cost}")
    return result.output


if __name__ == "__main__":
    asyncio.run(main())
