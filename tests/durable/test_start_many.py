"""``kit.start_many``: many runs queued in one transaction, checked before any exists."""

from __future__ import annotations

import pytest

from agentkit import AgentKit, Context, UsageError
from tests.durable.conftest import drain


async def test_start_many_queues_one_run_per_input(kit: AgentKit) -> None:
    @kit.function()
    async def double(ctx: Context, x: int) -> int:
        return await ctx.step.run("double", lambda: x * 2)

    handles = await kit.start_many(double, [{"x": i} for i in range(25)])
    assert len({h.id for h in handles}) == 25
    assert {h.status() for h in handles} == {"queued"}
    await drain(kit)
    assert [await h.result() for h in handles] == [i * 2 for i in range(25)]


async def test_bad_input_creates_no_run(kit: AgentKit) -> None:
    @kit.function()
    async def double(ctx: Context, x: int) -> int:
        return x * 2

    with pytest.raises(UsageError, match=r"start_many: input 2: bad input for durable function"):
        await kit.start_many(double, [{"x": 1}, {"x": 2}, {"y": 3}])
    with pytest.raises(UsageError, match=r"input 1 is a list, not a mapping"):
        await kit.start_many(double, [{"x": 1}, [2]])  # type: ignore[list-item]  # on purpose
    assert kit.list_runs() == []


async def test_start_many_refuses_an_idempotency_key(kit: AgentKit) -> None:
    @kit.function()
    async def double(ctx: Context, x: int) -> int:
        return x * 2

    with pytest.raises(UsageError, match=r"one key would name every run"):
        await kit.start_many(double.options(idempotency_key="k"), [{"x": 1}])
    assert kit.list_runs() == []


async def test_start_many_of_nothing_is_nothing(kit: AgentKit) -> None:
    @kit.function()
    async def double(ctx: Context, x: int) -> int:
        return x * 2

    assert await kit.start_many(double, []) == []
