"""A worker never starts a second execution of a run it is executing already.

When a run's lease lapses while its own worker still executes it (renewals
failed, or the clock jumped), the worker's next batch claim takes the run again:
the claim renews the lease, and the execution under way must simply go on. A
second executor would run the step in flight a second time.
"""

from __future__ import annotations

import asyncio

from agentkit import AgentKit, Context, ManualClock
from tests.killing import deadline


async def test_a_run_reclaimed_by_its_own_worker_is_not_executed_twice(
    kit: AgentKit, clock: ManualClock
) -> None:
    bodies: list[str] = []
    started, release = asyncio.Event(), asyncio.Event()

    async def hold() -> str:
        bodies.append("hold")
        started.set()
        await release.wait()
        return "held"

    @kit.function(id="holds")
    async def holds(ctx: Context) -> str:
        return await ctx.step.run("hold", hold)

    handle = await kit.start(holds)
    worker = asyncio.create_task(kit.worker(poll_interval=0.01))
    try:
        await asyncio.wait_for(started.wait(), deadline(30))
        # The lease lapses (the heartbeat renews every lease_ttl / 3 of real time,
        # ten seconds here): the worker's next claim takes the run once more.
        clock.advance(kit.lease_ttl + 1)
        async with asyncio.timeout(deadline(30)):
            while (run := kit.get_run(handle.id).record()).executions < 2:  # noqa: ASYNC110
                await asyncio.sleep(0.01)  # the claim is in the store, not an Event
        assert run.status == "running" and run.lease_owner == kit.worker_id
        assert run.lease_expires_at is not None and run.lease_expires_at > clock.now()
        release.set()
        assert await handle.result(timeout=deadline(30), poll_interval=0.01) == "held"
    finally:
        worker.cancel()
        await asyncio.gather(worker, return_exceptions=True)
    assert bodies == ["hold"], "the step in flight ran once"
    final = kit.get_run(handle.id).record()
    assert final.status == "completed" and final.executions == 2
