"""A worker process for tests of what a step may raise, run as
``python -m tests.durable.faults_app DATABASE_URL MODE``.

``exit``: starts two runs whose steps call ``sys.exit(3)`` (one catches the
`StepFailed`, one does not), works until nothing is due, then prints each run's
status: the worker survives. ``interrupt``: starts a run whose step raises
``KeyboardInterrupt`` and works on it: the worker stops, as Ctrl-C would stop it.
"""

from __future__ import annotations

import asyncio
import sys

from agentkit import AgentKit, Context, StepFailed

kit = AgentKit(sys.argv[1], lease_ttl=30)


def exit_three() -> None:
    sys.exit(3)


def interrupt() -> None:
    raise KeyboardInterrupt


@kit.function(id="exits")
async def exits(ctx: Context) -> None:
    await ctx.step.run("exit", exit_three)


@kit.function(id="handles")
async def handles(ctx: Context) -> str:
    try:
        await ctx.step.run("exit", exit_three)
    except StepFailed as exc:
        return f"handled {exc.error_type}: {exc.error_message}"
    return "not reached"


@kit.function(id="interrupted")
async def interrupted(ctx: Context) -> None:
    await ctx.step.run("interrupt", interrupt)


async def main(mode: str) -> None:
    if mode == "exit":
        runs = [await kit.start(exits), await kit.start(handles)]
        await kit.worker(stop_when_idle=True, poll_interval=0.05)
        for handle in runs:
            record = handle.record()
            print(record.function_id, record.status, record.output or record.error)
        print("worker alive")
    else:
        handle = await kit.start(interrupted)
        print(handle.id, flush=True)
        await kit.worker(stop_when_idle=True, poll_interval=0.05)
        print("not reached")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[2]))
