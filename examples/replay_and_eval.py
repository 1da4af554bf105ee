"""Replay and evals: a recorded run replayed against changed code, then scored, offline.

    python examples/replay_and_eval.py

An agent answers once (a scripted model stands in for a provider). Then its
system prompt changes: replay serves the recorded model calls and tool calls,
reports the changed request with a diff, and an eval in replay mode scores
the new code on the recording, for no model call at all.
"""

from __future__ import annotations

import asyncio

from agentkit import Agent, AgentKit, agent_function, tool
from agentkit.evals import Case, Contains, Dataset, ExpectedCall, ToolTrajectory, evaluate, replay
from agentkit.models import ScriptedModel
from agentkit.store import InMemoryStore


@tool
def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


store = InMemoryStore()
recorded_model = ScriptedModel([ScriptedModel.tool_call("add", {"a": 1, "b": 2}), "It is 3."])
yesterday = AgentKit(store=store)
calc = agent_function(yesterday, Agent("calc", "You add.", recorded_model, [add]))

today = AgentKit(store=store)  # the same recordings, today's code
never_called = ScriptedModel([])
agent_function(today, Agent("calc", "You add numbers.", never_called, [add]))


async def main() -> float:
    await yesterday.run(calc, input="1+2?")
    run_id = store.list_runs()[0].id
    report = await replay(today, run_id)
    print(report.render().split("\n", 1)[1])
    dataset = Dataset(
        [Case(name="sum", input="1+2?", recording=run_id)],
        [Contains("It is 3."), ToolTrajectory([ExpectedCall("add", {"a": 1, "b": 2})])],
    )
    scores = await evaluate(dataset, today, mode="replay")
    print(f"score {scores.overall:.2f}; model calls today: {len(never_called.requests)}")
    return scores.overall


if __name__ == "__main__":
    asyncio.run(main())
