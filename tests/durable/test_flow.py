"""Flow control and triggers in one process, on every store (ManualClock)."""

from __future__ import annotations

from typing import Any

import pytest

from agentkit import (
    AgentKit,
    CancelOn,
    Concurrency,
    ConfigError,
    Context,
    Debounce,
    ManualClock,
    Priority,
    Throttle,
    UsageError,
    cron,
    on_event,
)
from tests.durable.conftest import drain


def _claim(kit: AgentKit, limit: int = 10) -> list[Any]:
    now = kit.clock.now()
    return kit.store.claim_due_runs("w", now, now + 30, limit, function_ids=list(kit.functions))


async def test_concurrency_per_key_and_waiting_runs_hold_no_slot(kit: AgentKit) -> None:
    @kit.function(concurrency=Concurrency(1, key="input.user"))
    async def job(ctx: Context, user: str, n: int) -> int:
        return n

    a1 = await kit.start(job, user="a", n=1)
    kit.clock.advance(1)  # type: ignore[attr-defined]  # the kit fixture's ManualClock
    a2 = await kit.start(job, user="a", n=2)
    kit.clock.advance(1)  # type: ignore[attr-defined]  # same
    b1 = await kit.start(job, user="b", n=3)
    first = _claim(kit)
    assert [r.id for r in first] == [a1.id, b1.id]  # a2 waits for a1's slot
    assert _claim(kit) == []
    now = kit.clock.now()
    # a1 suspends (a sleep): a waiting run holds no slot, so a2 may execute.
    assert kit.store.suspend_run(a1.id, "w", now + 100, first[0].wake_seq, now)
    assert [r.id for r in _claim(kit)] == [a2.id]
    assert _claim(kit) == []
    kit.store.finish_run(a2.id, "w", "completed", now, output="2")
    kit.store.finish_run(b1.id, "w", "completed", now, output="3")
    kit.clock.advance(200)  # type: ignore[attr-defined]  # a1's sleep is over
    assert [r.id for r in _claim(kit)] == [a1.id]


async def test_a_shared_scope_limits_two_functions_together(kit: AgentKit) -> None:
    @kit.function(concurrency=Concurrency(1, scope="openai"))
    async def one(ctx: Context) -> None:
        return None

    @kit.function(concurrency=[Concurrency(1, scope="openai"), Concurrency(5)])
    async def two(ctx: Context) -> None:
        return None

    await kit.start(one)
    await kit.start(two)
    assert len(_claim(kit)) == 1


async def test_priority_orders_claims_and_ages(kit: AgentKit, clock: ManualClock) -> None:
    @kit.function(priority=Priority("input.boost"))
    async def job(ctx: Context, boost: int) -> int:
        return boost

    low = await kit.start(job, boost=0)
    clock.advance(5)
    high = await kit.start(job, boost=60)
    clock.advance(100)
    late_high = await kit.start(job, boost=60)  # created 105 s after low: low has aged past it
    mid = await kit.start(job, boost=30)
    order = [r.id for r in _claim(kit)]
    assert order == [high.id, low.id, late_high.id, mid.id]


async def test_throttle_spreads_starts(kit: AgentKit, clock: ManualClock) -> None:
    @kit.function(throttle=Throttle(2, 1.0, key="input.api"))
    async def call(ctx: Context, api: str) -> str:
        return api

    now = clock.now()
    runs = [(await kit.start(call, api="x")).record() for _ in range(3)]
    other = (await kit.start(call, api="y")).record()
    assert [r.status for r in runs] == ["queued", "waiting", "waiting"]
    assert [r.wake_at for r in runs[1:]] == [now + 0.5, now + 1.0]
    assert other.status == "queued"
    await drain(kit)
    assert [h.status for h in runs[:1]] == ["queued"]  # records are snapshots
    assert kit.get_run(runs[0].id).status() == "completed"
    assert kit.get_run(runs[2].id).status() == "waiting"
    clock.advance(1.0)
    await drain(kit)
    assert kit.get_run(runs[2].id).status() == "completed"


async def test_debounce_runs_once_with_the_last_input(kit: AgentKit, clock: ManualClock) -> None:
    @kit.function(debounce=Debounce(10, key="input.doc", max_wait=25))
    async def index(ctx: Context, doc: str, version: int) -> int:
        return version

    start = clock.now()
    handles = []
    for version in range(4):
        handles.append(await kit.start(index, doc="d", version=version))
        clock.advance(6)
    assert len({h.id for h in handles}) == 1
    run = handles[0].record()
    assert run.status == "waiting"
    assert run.wake_at == start + 25  # max_wait caps the last start + 10
    clock.advance(25)
    await drain(kit)
    assert await handles[0].result() == 3
    assert len(kit.list_runs(function_id="index")) == 1
    after = await kit.start(index, doc="d", version=9)  # a new burst: a new run
    assert after.id != handles[0].id


async def test_an_event_starts_each_triggered_function_once(kit: AgentKit) -> None:
    seen: list[Any] = []

    @kit.function(trigger=on_event("order.paid", where={"total": 10}))
    async def ship(ctx: Context, event: dict[str, Any]) -> None:
        seen.append(event["data"])

    @kit.function(trigger=on_event("order.paid"))
    async def bill(ctx: Context, event: dict[str, Any]) -> str:
        return str(event["id"])

    started = await kit.send_event("order.paid", {"total": 10}, id="evt_1")
    again = await kit.send_event("order.paid", {"total": 10}, id="evt_1")
    other = await kit.send_event("order.paid", {"total": 3}, id="evt_2")
    assert len(started) == 2
    assert again == []
    assert len(other) == 1
    await drain(kit)
    assert seen == [{"total": 10}]
    assert len(kit.list_runs(function_id="bill")) == 2


async def test_cron_fires_the_latest_tick_once(kit: AgentKit, clock: ManualClock) -> None:
    @kit.function(trigger=cron("*/5 * * * *", tz="Europe/Paris"))
    async def report(ctx: Context) -> None:
        return None

    await drain(kit)  # first sight of the schedule: it starts at its next tick
    assert kit.list_runs(function_id="report") == []
    clock.advance(300)
    await drain(kit)
    await drain(kit)  # each drain is a new worker: the tick still ran once
    assert len(kit.list_runs(function_id="report")) == 1
    clock.advance(3 * 300)  # down for three ticks: only the latest runs
    await drain(kit)
    runs = kit.list_runs(function_id="report")
    assert [r.status for r in runs] == ["completed", "completed"]


async def test_cancel_on_cancels_a_waiting_run(kit: AgentKit) -> None:
    @kit.function(cancel_on=[CancelOn("order.cancelled", match={"order_id": "input.order_id"})])
    async def fulfil(ctx: Context, order_id: str) -> None:
        await ctx.step.wait_for_event("order.shipped", timeout=3600)

    keep = await kit.start(fulfil, order_id="o1")
    drop = await kit.start(fulfil, order_id="o2")
    await drain(kit)
    assert drop.status() == "waiting"
    await kit.send_event("order.cancelled", {"order_id": "o2"})
    assert drop.status() == "cancelled"
    assert keep.status() == "waiting"


async def test_step_send_event_sends_once(kit: AgentKit) -> None:
    @kit.function(trigger=on_event("child.go"))
    async def child(ctx: Context, event: dict[str, Any]) -> int:
        return int(event["data"])

    @kit.function()
    async def parent(ctx: Context) -> None:
        await ctx.step.send_event("child.go", 7)
        await ctx.step.sleep("nap", 0)
        await ctx.step.send_event("child.go", 8)

    await kit.start(parent)
    await drain(kit)
    await drain(kit)
    children = kit.list_runs(function_id="child")
    assert sorted([await kit.get_run(r.id).result() for r in children]) == [7, 8]


def test_bad_options_name_the_thing() -> None:
    kit = AgentKit(store=None, database_url="sqlite://")
    with pytest.raises(ConfigError, match=r"Concurrency: limit must be an integer of at least 1"):
        Concurrency(0)
    with pytest.raises(ConfigError, match=r"Throttle: period"):
        Throttle(1, 0)
    with pytest.raises(ConfigError, match=r"cron expression 'every day' is not valid"):
        cron("every day")
    with pytest.raises(ConfigError, match=r"cron time zone 'Mars/Base'"):
        cron("* * * * *", tz="Mars/Base")
    with pytest.raises(ConfigError, match=r"concurrency key 'input.user' names no parameter"):

        @kit.function(concurrency=Concurrency(2, key="input.user"))
        async def f(ctx: Context, account: str) -> None:
            return None

    with pytest.raises(ConfigError, match=r"must take an 'event' parameter"):

        @kit.function(trigger=on_event("x"))
        async def g(ctx: Context) -> None:
            return None

    with pytest.raises(ConfigError, match=r"key must be a dotted path"):
        Debounce(1, key="user")
    kit.close()


async def test_a_missing_key_value_fails_the_start(kit: AgentKit) -> None:
    @kit.function(concurrency=Concurrency(1, key="input.user.id"))
    async def f(ctx: Context, user: dict[str, Any]) -> None:
        return None

    with pytest.raises(UsageError, match=r"concurrency key 'input.user.id': the input has no 'id'"):
        await kit.start(f, user={})
    assert kit.list_runs() == []


async def test_keyed_runs_are_claimed_under_a_backlog_of_others(kit: AgentKit) -> None:
    @kit.function()
    async def plain(ctx: Context, n: int) -> None:
        return None

    @kit.function(concurrency=Concurrency(2, key="input.user"))
    async def keyed(ctx: Context, user: str) -> None:
        return None

    await kit.start_many(plain, [{"n": n} for n in range(20)])
    first = await kit.start(keyed, user="a")
    second = await kit.start(keyed, user="a")
    claimed = {r.id for r in _claim(kit, limit=5)}
    assert {first.id, second.id} <= claimed
    assert len(claimed) == 5


async def test_kit_run_executes_a_limited_function(kit: AgentKit) -> None:
    @kit.function(concurrency=Concurrency(1, key="input.user"), priority=Priority("input.n"))
    async def job(ctx: Context, user: str, n: int) -> int:
        return await ctx.step.run("double", lambda: n * 2)

    assert await kit.run(job, user="a", n=21) == 42


async def test_invoked_children_keep_their_functions_limits(
    kit: AgentKit, clock: ManualClock
) -> None:
    @kit.function(
        concurrency=Concurrency(1, key="input.user"),
        throttle=Throttle(1, 10.0),
        priority=Priority("input.boost"),
        cancel_on=[CancelOn("user.gone", match={"user": "input.user"})],
        debounce=Debounce(60),  # a parent waits for its own child: never folded
    )
    async def child(ctx: Context, user: str, boost: int) -> str:
        await ctx.step.sleep("nap", 5)
        return user

    @kit.function()
    async def parent(ctx: Context, users: list[str]) -> list[str]:
        return [await ctx.step.invoke(f"c-{u}", child, user=u, boost=7) for u in users]

    first = await kit.start(parent, users=["a", "b"])
    second = await kit.start(parent, users=["a"])
    await drain(kit)
    children = sorted(kit.list_runs(function_id="child"), key=lambda r: r.created_at)
    assert [(r.priority, r.slots) for r in children] == [(7, 1), (7, 1)]
    # The second child waits its throttle turn, 10 s after the first.
    assert sorted((r.status, r.wake_at) for r in children)[1][0] == "waiting"
    assert max(r.wake_at or 0 for r in children) >= clock.now() + 9
    await kit.send_event("user.gone", {"user": "a"})
    assert {r.status for r in kit.list_runs(function_id="child")} == {"cancelled"}
    await drain(kit)
    assert first.status() == second.status() == "failed"
