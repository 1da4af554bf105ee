"""A durable function as a tool: the call is a child run that waits for a human.

    python examples/task_as_tool.py

The agent's run waits on the child run, and the child on a human; neither
holds memory or a task while it waits.
"""

from __future__ import annotations

import asyncio
from typing import Any

from pydantic import BaseModel

from agentkit import Agent, AgentKit, Context, ManualClock, start_agent
from agentkit.models import ScriptedModel
from agentkit.store import InMemoryStore

kit = AgentKit(store=InMemoryStore(), clock=ManualClock())


class Review(BaseModel):
    verdict: str


@kit.function(id="legal-review")
async def legal_review(ctx: Context, clause: str) -> dict[str, Any]:
    """Ask the legal team to review a contract clause."""
    review = await ctx.step.wait_for_token(
        "review", schema=Review, description=f"review clause: {clause}"
    )
    return {"clause": clause, "verdict": review.verdict}


model = ScriptedModel(
    [
        ScriptedModel.tool_call("legal_review", {"clause": "unlimited liability"}),
        "Legal rejected the unlimited liability clause.",
    ]
)
assistant = Agent("contracts", "You check contracts.", model, [legal_review.as_tool()])


async def main() -> str:
    handle = await start_agent(kit, assistant, "Can we sign this contract?")
    await kit.worker(stop_when_idle=True)  # the agent waits on the child, the child on a human
    [token] = kit.list_tokens(status="pending")
    print(f"agent {handle.status()}, child asks: {token.description}")
    kit.complete_token(token.token, {"verdict": "rejected"})
    await kit.worker(stop_when_idle=True)
    result = await handle.result()
    print(result.tool_results[0].content)
    print(result.output)
    return result.output


if __name__ == "__main__":
    asyncio.run(main())
