"""A durable function for crash tests, run as ``python -m tests.durable.crash_app``.

``start N`` creates a run of ``twenty`` over N steps and prints its id;
``resume RUN_ID`` prints ``ready`` and drives the run to its end in this process.
Every step body appends ``index pid`` to the ledger file (outside the journal)
before it works, so the test can count executions per step.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time

from agentkit import AgentKit, Context

kit = AgentKit(
    os.environ["CRASH_DATABASE_URL"], lease_ttl=float(os.environ.get("CRASH_LEASE_TTL", "0.3"))
)
STEP_SECONDS = float(os.environ.get("CRASH_STEP_SECONDS", "0.008"))


def square(index: int) -> dict[str, int]:
    fd = os.open(os.environ["CRASH_LEDGER"], os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        os.write(fd, f"{index} {os.getpid()}\n".encode())
    finally:
        os.close(fd)
    time.sleep(STEP_SECONDS)
    return {"square": index * index, "pid": os.getpid()}


@kit.function(id="twenty")
async def twenty(ctx: Context, steps: int) -> int:
    total = 0
    for index in range(steps):
        result = await ctx.step.run("square", square, index)
        total += result["square"]
    return total


async def _main(argv: list[str]) -> None:
    if argv[0] == "start":
        handle = await kit.start(twenty, steps=int(argv[1]))
        print(handle.id)
        return
    print("ready", flush=True)
    result = await kit.drive(kit.get_run(argv[1]), poll_interval=0.02)
    print(result)


if __name__ == "__main__":
    asyncio.run(_main(sys.argv[1:]))
