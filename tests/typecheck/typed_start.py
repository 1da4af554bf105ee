"""Checked by mypy in tests/durable/test_faults_typing.py: each marked line must be an error.

Not collected by pytest and never run; it only has to type-check as stated.
"""

from agentkit import AgentKit, Context

kit = AgentKit(store=None)


@kit.function()
async def research(ctx: Context, topic: str, depth: int = 1) -> str:
    return topic * depth


async def main() -> None:
    await kit.start(research, topic="x")  # fine
    await kit.start(research.options(idempotency_key="k"), topic="x", depth=2)  # fine
    done: str = await kit.run(research, "x")  # fine
    await kit.start(research, topc="x")  # error: wrong keyword
    await kit.run(research, topic="x", depth="deep")  # error: wrong type
    kit.run_sync(research)  # error: missing topic
    wrong: int = await kit.run(research, topic="x")  # error: result is str
    print(done, wrong)
