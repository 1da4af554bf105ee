"""Step semantics: keys, memoization, round-trips, retries, failures."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime

import pytest
from pydantic import BaseModel

from agentkit import (
    AgentKit,
    Context,
    ManualClock,
    NonRetriableError,
    RetryPolicy,
    RunFailedError,
    StepFailed,
)
from tests.durable.conftest import drain


class Report(BaseModel):
    title: str
    score: float


async def test_repeated_ids_get_counted_keys_in_call_order(kit: AgentKit) -> None:
    @kit.function()
    async def loop(ctx: Context) -> list[int]:
        out = [await ctx.step.run("fetch", lambda i=i: i * 10) for i in range(3)]
        out += await asyncio.gather(*(ctx.step.run("par", lambda i=i: i) for i in range(3)))
        return out

    assert await kit.run(loop) == [0, 10, 20, 0, 1, 2]
    run = kit.list_runs()[0]
    keys = [(s.key, s.output) for s in kit.journal(run.id)]
    assert keys == [
        ("fetch", "0"),
        ("fetch#1", "10"),
        ("fetch#2", "20"),
        ("par", "0"),
        ("par#1", "1"),
        ("par#2", "2"),
    ]


async def test_completed_steps_are_not_run_again_on_resume(
    kit: AgentKit, clock: ManualClock
) -> None:
    executions: list[str] = []

    def body(name: str) -> str:
        executions.append(name)
        return name.upper()

    @kit.function()
    async def flow(ctx: Context) -> str:
        a = await ctx.step.run("a", body, "a")
        await ctx.step.sleep("pause", 60)
        b = await ctx.step.run("b", body, "b")
        return a + b

    handle = await kit.start(flow)
    await drain(kit)
    assert handle.status() == "waiting"
    assert executions == ["a"]
    clock.advance(61)
    await drain(kit)
    assert await handle.result() == "AB"
    assert executions == ["a", "b"]
    assert handle.record().executions == 2


async def test_result_round_trips_through_json_on_first_run(kit: AgentKit) -> None:
    seen: list[object] = []

    def make_report() -> Report:
        return Report(title="t", score=0.5)

    def make_tuple() -> tuple[int, int]:
        return (1, 2)

    def make_untyped():  # type: ignore[no-untyped-def]
        return (1, 2)

    def make_time() -> datetime:
        return datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)

    @kit.function()
    async def flow(ctx: Context) -> str:
        seen.append(await ctx.step.run("report", make_report))
        seen.append(await ctx.step.run("tuple", make_tuple))
        seen.append(await ctx.step.run("untyped", make_untyped))
        seen.append(await ctx.step.run("time", make_time))
        return "ok"

    await kit.run(flow)
    assert seen == [
        Report(title="t", score=0.5),
        (1, 2),
        [1, 2],
        datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    ]
    assert isinstance(seen[0], Report)


async def test_non_serializable_result_fails_at_once_naming_the_step(kit: AgentKit) -> None:
    attempts = 0

    def make_lock():  # type: ignore[no-untyped-def]
        nonlocal attempts
        attempts += 1
        return threading.Lock()

    @kit.function()
    async def flow(ctx: Context) -> None:
        await ctx.step.run("grab-lock", make_lock)

    with pytest.raises(RunFailedError) as info:
        await kit.run(flow)
    assert info.value.error_type == "StepSerializationError"
    assert (
        "step 'grab-lock' returned lock, which is not JSON-serializable" in info.value.error_message
    )
    assert attempts == 1
    assert kit.journal(kit.list_runs()[0].id) == []


async def test_mismatched_return_annotation_is_reported(kit: AgentKit) -> None:
    def lies() -> int:
        return "not a number"  # type: ignore[return-value]

    @kit.function()
    async def flow(ctx: Context) -> None:
        await ctx.step.run("lies", lies)

    with pytest.raises(RunFailedError, match="step 'lies' returned a value that does not match"):
        await kit.run(flow)


async def test_retries_back_off_and_record_attempts(kit: AgentKit, clock: ManualClock) -> None:
    calls = 0

    def flaky() -> str:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise ConnectionError(f"boom {calls}")
        return "fine"

    @kit.function(retry=RetryPolicy(max_attempts=5, initial_backoff=2, max_backoff=5, jitter=0))
    async def flow(ctx: Context) -> str:
        return await ctx.step.run("flaky", flaky)

    assert await kit.run(flow) == "fine"
    assert clock.sleeps == [2, 4]
    [step] = kit.journal(kit.list_runs()[0].id)
    assert (step.status, step.attempts) == ("completed", 3)


async def test_backoff_is_capped(clock: ManualClock) -> None:
    policy = RetryPolicy(max_attempts=10, initial_backoff=1, max_backoff=5, jitter=0)
    assert [policy.delay(n) for n in range(1, 6)] == [1, 2, 4, 5, 5]


async def test_a_deadline_ends_step_retries_on_the_kit_clock(
    kit: AgentKit, clock: ManualClock
) -> None:
    calls = 0

    def down() -> None:
        nonlocal calls
        calls += 1
        raise ConnectionError("down")

    # Waits of 1 then 2 s: the second would end at 3 s, past the 2.5 s deadline.
    policy = RetryPolicy(max_attempts=10, initial_backoff=1, jitter=0, deadline=2.5)

    @kit.function(retry=policy)
    async def flow(ctx: Context) -> None:
        await ctx.step.run("fetch", down)

    with pytest.raises(RunFailedError) as caught:
        await kit.run(flow)
    assert str(caught.value).endswith(
        " failed: StepFailed: step 'fetch' failed after 2 attempt(s): ConnectionError: down"
    )
    assert (calls, clock.sleeps) == (2, [1])


async def test_non_retriable_error_stops_at_once(kit: AgentKit, clock: ManualClock) -> None:
    calls = 0

    def refuse() -> None:
        nonlocal calls
        calls += 1
        raise NonRetriableError("card declined")

    @kit.function(retries=5)
    async def flow(ctx: Context) -> None:
        await ctx.step.run("charge", refuse)

    with pytest.raises(RunFailedError, match="step 'charge' failed after 1 attempt"):
        await kit.run(flow)
    assert calls == 1
    assert clock.sleeps == []


async def test_exhausted_step_is_journaled_and_fails_identically_on_replay(
    kit: AgentKit, clock: ManualClock
) -> None:
    calls = 0
    caught: list[str] = []

    def broken() -> None:
        nonlocal calls
        calls += 1
        raise ValueError("bad input 42")

    @kit.function(retries=2)
    async def flow(ctx: Context) -> str:
        try:
            await ctx.step.run("broken", broken)
        except StepFailed as exc:
            caught.append(str(exc))
        await ctx.step.sleep("later", 10)
        return "compensated"

    handle = await kit.start(flow)
    await drain(kit)
    clock.advance(11)
    await drain(kit)
    assert await handle.result() == "compensated"
    assert calls == 3
    expected = "step 'broken' failed after 3 attempt(s): ValueError: bad input 42"
    assert caught == [expected, expected]
    [step, _sleep] = kit.journal(handle.id)
    assert (step.status, step.attempts) == ("failed", 3)


async def test_uncaught_step_failure_fails_the_run(kit: AgentKit) -> None:
    @kit.function(retries=0)
    async def flow(ctx: Context) -> None:
        await ctx.step.run("explode", lambda: 1 / 0)

    with pytest.raises(RunFailedError) as info:
        await kit.run(flow)
    assert info.value.error_type == "StepFailed"
    assert "ZeroDivisionError: division by zero" in info.value.error_message


async def test_steps_cannot_be_nested(kit: AgentKit) -> None:
    @kit.function()
    async def flow(ctx: Context) -> None:
        async def outer() -> None:
            await ctx.step.run("inner", lambda: 1)

        await ctx.step.run("outer", outer)

    with pytest.raises(RunFailedError, match="step 'inner' was called inside step 'outer'"):
        await kit.run(flow)


async def test_sync_steps_run_in_a_thread_async_steps_in_the_loop(kit: AgentKit) -> None:
    main = threading.get_ident()

    async def async_body() -> int:
        return threading.get_ident()

    @kit.function()
    async def flow(ctx: Context) -> list[bool]:
        sync_thread = await ctx.step.run("sync", threading.get_ident)
        async_thread = await ctx.step.run("async", async_body)
        return [sync_thread != main, async_thread == main]

    assert await kit.run(flow) == [True, True]


async def test_idempotency_key_names_run_and_step(kit: AgentKit) -> None:
    @kit.function()
    async def flow(ctx: Context) -> list[str]:
        keys = [await ctx.step.run("pay", lambda: ctx.step.idempotency_key) for _ in range(2)]
        return [k.removeprefix(ctx.run_id) for k in keys]

    assert await kit.run(flow) == ["/pay", "/pay#1"]


async def test_idempotency_key_outside_a_step_is_an_error(kit: AgentKit) -> None:
    @kit.function()
    async def flow(ctx: Context) -> str:
        return ctx.step.idempotency_key

    with pytest.raises(RunFailedError, match="only available inside a step"):
        await kit.run(flow)


async def test_step_id_must_be_a_string(kit: AgentKit) -> None:
    @kit.function()
    async def flow(ctx: Context) -> None:
        await ctx.step.run(42, lambda: 1)  # type: ignore[arg-type]

    with pytest.raises(RunFailedError, match="a step id must be a non-empty string, got 42"):
        await kit.run(flow)


async def test_a_step_id_may_not_contain_the_repeat_mark(kit: AgentKit) -> None:
    ran: list[str] = []

    @kit.function()
    async def flow(ctx: Context) -> None:
        await ctx.step.run("a", ran.append, "first")
        await ctx.step.run("a#1", ran.append, "would collide with the second 'a'")

    with pytest.raises(RunFailedError) as failed:
        await kit.run(flow)
    assert failed.value.error_message == (
        "step id 'a#1' contains '#', which step keys reserve for repeats "
        "('read', 'read#1', ...); use another character"
    )
    assert ran == ["first"]


async def test_function_output_is_typed_by_its_annotation(kit: AgentKit) -> None:
    @kit.function()
    async def flow(ctx: Context, title: str) -> Report:
        return Report(title=title, score=1)

    result = await kit.run(flow, title="x")
    assert result == Report(title="x", score=1.0)


async def test_run_input_is_validated_against_the_signature(kit: AgentKit) -> None:
    @kit.function()
    async def flow(ctx: Context, when: datetime, n: int = 3) -> str:
        return f"{when.year}:{n}"

    assert await kit.run(flow, when=datetime(2030, 5, 1, tzinfo=UTC)) == "2030:3"
    with pytest.raises(Exception, match="bad input for durable function 'flow'"):
        await kit.start(flow, nope=1)
