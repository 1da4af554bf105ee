"""Non-determinism is detected, not absorbed; concurrent branches replay cleanly."""

from __future__ import annotations

import asyncio

import pytest

from agentkit import AgentKit, Context, ManualClock, NonDeterminismError, RunFailedError
from tests.durable.conftest import drain


async def _suspend_then_change(
    kit: AgentKit, clock: ManualClock, version: dict[str, int], flow: object
) -> RunFailedError:
    handle = await kit.start(flow)  # type: ignore[arg-type]
    await drain(kit)
    assert handle.status() == "waiting"
    version["v"] = 2  # "deploy" new code while the run waits
    clock.advance(100)
    await drain(kit)
    with pytest.raises(RunFailedError) as info:
        await handle.result()
    assert info.value.error_type == NonDeterminismError.__name__
    return info.value


def diverged(run_id: str, expected: str, actual: str) -> str:
    """The whole message a run fails with when its replay diverges."""
    return (
        f"run {run_id!r} failed: NonDeterminismError: run {run_id!r} is not deterministic: "
        f"the journal has {expected}, but the code asked for {actual}"
    )


async def test_renamed_step_is_a_divergence(kit: AgentKit, clock: ManualClock) -> None:
    version = {"v": 1}

    @kit.function()
    async def flow(ctx: Context) -> None:
        await ctx.step.run("fetch" if version["v"] == 1 else "download", lambda: 1)
        await ctx.step.sleep("wait", 50)

    error = await _suspend_then_change(kit, clock, version, flow)
    assert str(error) == diverged(
        error.run_id, "step 'fetch' (run) next", "new step 'download' (run) instead"
    )


async def test_changed_arguments_are_a_divergence(kit: AgentKit, clock: ManualClock) -> None:
    version = {"v": 1}

    @kit.function()
    async def flow(ctx: Context) -> None:
        await ctx.step.run("fetch", lambda url: url, f"https://v{version['v']}")
        await ctx.step.sleep("wait", 50)

    error = await _suspend_then_change(kit, clock, version, flow)
    # The fingerprints: the one journaled by v1, and the one a fresh run of v2 journals.
    journaled = {s.key: s for s in kit.journal(error.run_id)}["fetch"].fingerprint
    fresh = await kit.start(flow)
    await drain(kit)
    changed = {s.key: s for s in kit.journal(fresh.id)}["fetch"].fingerprint
    assert journaled != changed
    assert str(error) == diverged(
        error.run_id,
        f"step 'fetch' (run) with input fingerprint {journaled}",
        f"the same step with input fingerprint {changed} (its arguments changed)",
    )


async def test_changed_kind_is_a_divergence(kit: AgentKit, clock: ManualClock) -> None:
    version = {"v": 1}

    @kit.function()
    async def flow(ctx: Context) -> None:
        if version["v"] == 1:
            await ctx.step.run("x", lambda: 1)
        else:
            await ctx.step.sleep("x", 1)
        await ctx.step.sleep("wait", 50)

    error = await _suspend_then_change(kit, clock, version, flow)
    assert str(error) == diverged(error.run_id, "step 'x' (run)", "step 'x' (sleep)")


async def test_removed_step_is_a_divergence(kit: AgentKit, clock: ManualClock) -> None:
    version = {"v": 1}

    @kit.function()
    async def flow(ctx: Context) -> None:
        await ctx.step.sleep("wait", 50)
        if version["v"] == 1:
            await ctx.step.sleep("again", 50)

    handle = await kit.start(flow)
    await drain(kit)
    clock.advance(60)
    await drain(kit)  # now waiting on "again"
    version["v"] = 2
    clock.advance(60)
    await drain(kit)
    with pytest.raises(RunFailedError) as info:
        await handle.result()
    assert str(info.value) == diverged(
        handle.id, "step 'again' (sleep)", "the function to return without asking for it"
    )


async def test_inserted_step_before_journaled_ones_is_a_divergence(
    kit: AgentKit, clock: ManualClock
) -> None:
    version = {"v": 1}
    ran: list[str] = []

    @kit.function()
    async def flow(ctx: Context) -> None:
        if version["v"] == 2:
            await ctx.step.run("audit", lambda: ran.append("audit"))
        await ctx.step.run("fetch", lambda: 1)
        await ctx.step.sleep("wait", 50)

    error = await _suspend_then_change(kit, clock, version, flow)
    assert str(error) == diverged(
        error.run_id, "step 'fetch' (run) next", "new step 'audit' (run) instead"
    )
    assert ran == []  # the new step never ran: divergence is caught before side effects


async def test_gathered_branches_with_mixed_progress_replay(
    kit: AgentKit, clock: ManualClock
) -> None:
    """Branch A's journaled steps and branch B's new step must not be confused."""
    executions: list[str] = []

    def mark(name: str) -> str:
        executions.append(name)
        return name

    @kit.function()
    async def flow(ctx: Context) -> list[str]:
        async def branch_a() -> str:
            await ctx.step.run("a1", mark, "a1")
            await ctx.step.sleep("a-wait", 10)
            return await ctx.step.run("a2", mark, "a2")

        async def branch_b() -> str:
            first = await ctx.step.run("b1", mark, "b1")
            second = await ctx.step.run("b2", mark, "b2")
            return first + second

        return list(await asyncio.gather(branch_a(), branch_b()))

    handle = await kit.start(flow)
    await drain(kit)
    clock.advance(11)
    await drain(kit)
    assert await handle.result() == ["a2", "b1b2"]
    assert sorted(executions) == ["a1", "a2", "b1", "b2"]


async def test_unchanged_code_replays_many_times_without_divergence(
    kit: AgentKit, clock: ManualClock
) -> None:
    @kit.function()
    async def flow(ctx: Context) -> int:
        total = 0
        for i in range(5):
            total += await ctx.step.run("add", lambda i=i: i)
            await ctx.step.sleep("tick", 1)
        return total

    handle = await kit.start(flow)
    for _ in range(6):
        await drain(kit)
        clock.advance(2)
    assert await handle.result() == 10
    assert handle.record().executions == 6
