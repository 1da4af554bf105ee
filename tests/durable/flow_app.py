"""Flow-controlled functions for multi-process tests: ``python -m tests.durable.flow_app``.

``worker`` prints ``ready`` and executes runs until killed; ``send N`` prints
``ready`` and sends the events ``evt-0`` .. ``evt-{N-1}`` (``paid``), then ``sent``.
Every step body appends one line to the ledger file (outside the store):
``kind key value start end pid``, times from ``time.time()``.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from typing import Any

from agentkit import (
    AgentKit,
    CancelOn,
    Concurrency,
    Context,
    Debounce,
    Priority,
    Throttle,
    cron,
    on_event,
)

STEP_SECONDS = 0.05
THROTTLE_LIMIT = 20  # starts per second
DEBOUNCE_SECONDS = 1.0  # far above a start's latency on a loaded machine
PRIORITY_STEP_SECONDS = 0.3


def record(kind: str, key: str, value: object, work: float = 0.0) -> None:
    start = time.time()
    time.sleep(work)
    line = f"{kind} {key} {value} {start:.6f} {time.time():.6f} {os.getpid()}\n"
    fd = os.open(os.environ["FLOW_LEDGER"], os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


def build(url: str) -> AgentKit:
    """A kit on ``url`` with every function of this app (the test process builds one too)."""
    kit = AgentKit(url, lease_ttl=2.0)

    @kit.function(concurrency=Concurrency(2, key="input.user"))
    async def limited(ctx: Context, user: str, n: int) -> None:
        await ctx.step.run("work", record, "limited", user, n, STEP_SECONDS)

    @kit.function(throttle=Throttle(THROTTLE_LIMIT, 1.0))
    async def throttled(ctx: Context, n: int) -> None:
        await ctx.step.run("work", record, "throttled", "-", n)

    @kit.function(debounce=Debounce(DEBOUNCE_SECONDS, key="input.doc"))
    async def debounced(ctx: Context, doc: str, version: int) -> None:
        await ctx.step.run("work", record, "debounced", doc, version)

    @kit.function(priority=Priority("input.boost"))
    async def prioritized(ctx: Context, boost: int, n: int) -> None:
        await ctx.step.run("work", record, "prioritized", boost, n, PRIORITY_STEP_SECONDS)

    @kit.function(trigger=cron("* * * * * *"))  # every second
    async def ticker(ctx: Context) -> None:
        await ctx.step.run("work", record, "ticker", "-", 0)

    @kit.function(trigger=on_event("paid"))
    async def ship(ctx: Context, event: dict[str, Any]) -> None:
        await ctx.step.run("work", record, "ship", event["id"], 0)

    @kit.function(trigger=on_event("paid"))
    async def bill(ctx: Context, event: dict[str, Any]) -> None:
        await ctx.step.run("work", record, "bill", event["id"], 0)

    @kit.function(cancel_on=[CancelOn("order.cancelled", match={"order_id": "input.order_id"})])
    async def fulfil(ctx: Context, order_id: str) -> None:
        await ctx.step.wait_for_event("order.shipped", timeout=600)
        await ctx.step.run("work", record, "fulfil", order_id, 0)

    return kit


async def _main(argv: list[str]) -> None:
    kit = build(os.environ["FLOW_DATABASE_URL"])
    print("ready", flush=True)
    if argv[0] == "worker":
        enabled = set(argv[1].split(",")) if len(argv) > 1 else set(kit.functions)
        for function_id in list(kit.functions):
            if function_id not in enabled:
                del kit.functions[function_id]
        await kit.worker(
            concurrency=int(os.environ.get("FLOW_CONCURRENCY", "4")), poll_interval=0.01
        )
    elif argv[0] == "send":
        for index in range(int(argv[1])):
            await kit.send_event("paid", {"n": index}, id=f"evt-{index}")
        print("sent", flush=True)


if __name__ == "__main__":
    asyncio.run(_main(sys.argv[1:]))
