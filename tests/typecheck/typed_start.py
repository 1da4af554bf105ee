"""Type-checked by .ci/run: `kit.start`/`kit.run` are typed by the function's parameters.

Each line marked ``# type: ignore[code]`` must be exactly that mypy error: the
check runs with ``--warn-unused-ignores``, so a line that stops being an error
(or becomes another one) fails it. Not collected by pytest and never run.
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
    await kit.start(research, topc="x")  # type: ignore[call-arg]  # wrong keyword
    await kit.run(research, topic="x", depth="deep")  # type: ignore[arg-type]  # wrong type
    kit.run_sync(research)  # type: ignore[call-arg]  # missing topic
    wrong: int = await kit.run(research, topic="x")  # type: ignore[arg-type]  # result is str
    print(done, wrong)
