"""A worker of many concurrent runs relaxes the garbage collector, and restores it."""

from __future__ import annotations

import gc

from agentkit import AgentKit, Context


async def _thresholds_seen(kit: AgentKit, concurrency: int) -> tuple[int, int, int]:
    seen: list[tuple[int, int, int]] = []

    @kit.function(id=f"probe{len(kit.functions)}")
    async def probe(ctx: Context) -> None:
        seen.append(gc.get_threshold())

    await kit.start(probe)
    await kit.worker(concurrency=concurrency, stop_when_idle=True, poll_interval=0.01)
    [thresholds] = seen
    return thresholds


async def test_many_runs_raise_thresholds_for_the_worker_only(kit: AgentKit) -> None:
    before = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        assert await _thresholds_seen(kit, 1000) == (200_000, 100, 100)
        assert gc.get_threshold() == (700, 10, 10)
        assert await _thresholds_seen(kit, 16) == (700, 10, 10)
        # The application's own, higher thresholds are kept.
        gc.set_threshold(500_000, 10, 1000)
        assert await _thresholds_seen(kit, 1000) == (500_000, 100, 1000)
        assert gc.get_threshold() == (500_000, 10, 1000)
    finally:
        gc.set_threshold(*before)
