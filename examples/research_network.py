"""A research network: planner, two searchers in parallel, a writer, a gated publisher.

    python examples/research_network.py

A routing agent (an LLM, here a `ScriptedModel`) picks who acts next; picking
two agents in one reply runs them concurrently. The agents share a typed
state, which their tools change; publishing waits for a human's approval. Each
routing decision, model call and tool call is a durable step: kill the
process anywhere and the run resumes with the same state and decisions.
"""

from __future__ import annotations

import asyncio

from pydantic import BaseModel

from agentkit import (
    Agent,
    AgentKit,
    ManualClock,
    Network,
    RoutingAgent,
    start_network,
    tool,
)
from agentkit.models import Message, ModelResponse, ScriptedModel, ToolCallPart, Usage
from agentkit.store import InMemoryStore

kit = AgentKit(store=InMemoryStore(), clock=ManualClock())


class Research(BaseModel):
    questions: list[str] = []
    web_notes: list[str] = []
    paper_notes: list[str] = []
    draft: str = ""
    published: bool = False


@tool
def plan(questions: list[str], research: Research) -> str:
    """Set the questions to research."""
    research.questions = questions
    return f"{len(questions)} questions planned"


@tool
def search_web(query: str, research: Research) -> str:
    """Search the web and keep a note."""
    research.web_notes.append(f"web: {query} is widely discussed")
    return "1 note"


@tool
def search_papers(query: str, research: Research) -> str:
    """Search papers and keep a note."""
    research.paper_notes.append(f"paper: {query} appears in 3 papers")
    return "1 note"


@tool
def write_draft(text: str, research: Research) -> str:
    """Save the draft."""
    research.draft = text
    return "draft saved"


@tool(needs_approval=True)
def publish(research: Research) -> str:
    """Publish the draft (a human approves first)."""
    research.published = True
    return "published"


def call(name: str, args: dict[str, object]) -> ModelResponse:
    return ScriptedModel.tool_call(name, args)


def select(*names: str) -> ModelResponse:
    return ModelResponse(
        message=Message(
            role="assistant",
            parts=[
                ToolCallPart.from_arguments(
                    f"route_{n}", "select_agent", {"name": n, "reason": "next"}
                )
                for n in names
            ],
        ),
        finish_reason="tool_calls",
        usage=Usage(input_tokens=120, output_tokens=12),
        model="scripted",
        provider="scripted",
    )


planner = Agent(
    "planner",
    "You plan research questions.",
    ScriptedModel([call("plan", {"questions": ["durable agents"]}), "planned"]),
    [plan],
    state_type=Research,
)
web = Agent(
    "web",
    "You search the web.",
    ScriptedModel([call("search_web", {"query": "durable agents"}), "web done"]),
    [search_web],
    state_type=Research,
)
papers = Agent(
    "papers",
    "You search papers.",
    ScriptedModel([call("search_papers", {"query": "durable agents"}), "papers done"]),
    [search_papers],
    state_type=Research,
)
writer = Agent(
    "writer",
    lambda r: f"You write from these notes: {r.web_notes + r.paper_notes}",
    ScriptedModel(
        [call("write_draft", {"text": "Durable agents resume after crashes."}), "drafted"]
    ),
    [write_draft],
    state_type=Research,
)
publisher = Agent(
    "publisher",
    "You publish approved drafts.",
    ScriptedModel([call("publish", {}), "The draft is published."]),
    [publish],
    state_type=Research,
)
router_model = ScriptedModel(
    [
        select("planner"),
        select("web", "papers"),  # both at once: they run concurrently
        select("writer"),
        select("publisher"),
        call("done", {"summary": "researched, written and published"}),
    ]
)
network = Network(
    "research",
    [planner, web, papers, writer, publisher],
    RoutingAgent(router_model),
    state=Research(),
)


async def main() -> str:
    handle = await start_network(kit, network, "Write a short note on durable agents.")
    await kit.worker(stop_when_idle=True)  # runs until the approval wait
    [token] = handle.tokens()
    print(f"{handle.status()}: {token.description}")
    kit.complete_token(token.token, {"approved": True})
    await kit.worker(stop_when_idle=True)
    result = await handle.result()
    for decision in result.decisions:
        print(f"route #{decision.call}: {', '.join(decision.agents) or 'done'}")
    assert isinstance(result.state, Research)
    print(result.state.model_dump_json())
    print(result.output)
    print(f"{result.model_calls} model calls, {result.usage.total_tokens} tokens")
    return str(result.output)


if __name__ == "__main__":
    asyncio.run(main())
