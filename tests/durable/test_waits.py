"""Waits suspend the run: sleep, tokens, events, child runs; cancellation."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from pydantic import BaseModel

from agentkit import (
    AgentKit,
    Context,
    Event,
    ManualClock,
    RunCancelledError,
    StepFailed,
    TokenAlreadyCompleted,
    TokenExpired,
    TokenNotFound,
    TokenPayloadInvalid,
    TokenRunNotWaiting,
    TokenTimeout,
)
from agentkit.errors import EventTimeout
from tests.durable.conftest import drain
from tests.killing import deadline


class Approval(BaseModel):
    approved: bool
    reason: str = ""


async def test_sleep_suspends_and_holds_nothing(kit: AgentKit, clock: ManualClock) -> None:
    @kit.function()
    async def flow(ctx: Context) -> str:
        await ctx.step.sleep("cool-down", timedelta(minutes=5))
        return "done"

    handle = await kit.start(flow)
    await drain(kit)
    record = handle.record()
    assert (record.status, record.wake_at) == ("waiting", clock.now() + 300)
    assert record.lease_owner is None
    assert kit._executors == {}
    assert [t for t in asyncio.all_tasks() if t.get_name().startswith("run-")] == []
    clock.advance(299)
    await drain(kit)
    assert handle.status() == "waiting"
    clock.advance(1)
    await drain(kit)
    assert await handle.result() == "done"


async def _token_flow(kit: AgentKit, timeout: float = 3600):  # type: ignore[no-untyped-def]
    @kit.function()
    async def approve(ctx: Context, action: str) -> str:
        answer = await ctx.step.wait_for_token(
            "approve", timeout=timeout, schema=Approval, description=f"allow {action}?"
        )
        return f"{action}: {answer.approved} {answer.reason}".strip()

    handle = await kit.start(approve, action="deploy")
    await drain(kit)
    [token] = handle.tokens()
    return handle, token


async def test_token_approve_resumes_with_typed_payload(kit: AgentKit) -> None:
    handle, token = await _token_flow(kit)
    assert token.description == "allow deploy?"
    assert len(token.token) >= 32  # 192 bits, url-safe
    kit.complete_token(token.token, Approval(approved=True, reason="lgtm"))
    await drain(kit)
    assert await handle.result() == "deploy: True lgtm"


async def test_token_errors_leave_the_run_untouched(kit: AgentKit, clock: ManualClock) -> None:
    handle, token = await _token_flow(kit)
    before = handle.record()
    with pytest.raises(TokenNotFound):
        kit.complete_token("tok_nope", {"approved": True})
    with pytest.raises(TokenPayloadInvalid, match="approved: 'yes' is not of type 'boolean'"):
        kit.complete_token(token.token, {"approved": "yes"})
    with pytest.raises(TokenPayloadInvalid, match="'approved' is a required property"):
        kit.complete_token(token.token, {})
    assert handle.record() == before
    assert kit.store.get_token(token.token).status == "pending"  # type: ignore[union-attr]

    kit.complete_token(token.token, {"approved": False, "reason": "no"})
    with pytest.raises(TokenAlreadyCompleted):
        kit.complete_token(token.token, {"approved": True})
    await drain(kit)
    assert await handle.result() == "deploy: False no"


async def test_late_token_is_rejected_and_the_wait_times_out(
    kit: AgentKit, clock: ManualClock
) -> None:
    handle, token = await _token_flow(kit, timeout=60)
    clock.advance(61)
    with pytest.raises(TokenExpired):
        kit.complete_token(token.token, {"approved": True})
    await drain(kit)
    with pytest.raises(Exception, match="TokenTimeout"):
        await handle.result()
    assert kit.store.get_token(token.token).status == "expired"  # type: ignore[union-attr]


async def test_token_timeout_can_return_none(kit: AgentKit, clock: ManualClock) -> None:
    @kit.function()
    async def flow(ctx: Context) -> str:
        answer = await ctx.step.wait_for_token("ok?", timeout=10, on_timeout="none")
        try:
            await ctx.step.wait_for_token("second", timeout=10)
        except TokenTimeout as exc:
            return f"{answer} / {exc}"
        return "unreachable"

    handle = await kit.start(flow)
    for _ in range(3):
        await drain(kit)
        clock.advance(11)
    assert await handle.result() == (
        "None / wait 'second' timed out: the token was not completed before it expired"
    )


async def test_token_created_first_can_be_sent_in_a_step(kit: AgentKit) -> None:
    outbox: list[str] = []

    @kit.function()
    async def flow(ctx: Context) -> int:
        token = await ctx.step.create_token("budget", timeout=600, schema=int)
        await ctx.step.run("notify", outbox.append, token.value)
        return await ctx.step.wait_for_token(token, schema=int) * 2

    handle = await kit.start(flow)
    await drain(kit)
    [token] = handle.tokens()
    assert outbox == [token.token]
    kit.complete_token(outbox[0], 21)
    await drain(kit)
    assert await handle.result() == 42
    assert outbox == [token.token]  # the notification was not sent twice


async def test_cancel_while_waiting_on_a_token(kit: AgentKit) -> None:
    handle, token = await _token_flow(kit)
    assert handle.cancel() is True
    assert handle.status() == "cancelled"
    with pytest.raises(TokenRunNotWaiting, match="cancelled"):
        kit.complete_token(token.token, {"approved": True})
    with pytest.raises(RunCancelledError):
        await handle.result()
    assert handle.cancel() is False


async def test_event_wakes_only_matching_waits(kit: AgentKit) -> None:
    @kit.function()
    async def flow(ctx: Context, order_id: str) -> Event | None:
        return await ctx.step.wait_for_event("order.paid", match={"order.id": order_id})

    first = await kit.start(flow, order_id="A")
    second = await kit.start(flow, order_id="B")
    assert await kit.send_event("order.paid", {"order": {"id": "A"}}) == []  # not waiting yet
    await drain(kit)
    assert await kit.send_event("order.shipped", {"order": {"id": "A"}}) == []
    assert await kit.send_event("order.paid", {"order": {"id": "A"}, "total": 5}) == [first.id]
    await drain(kit)
    event = await first.result()
    assert event is not None
    assert (event.name, event.data) == ("order.paid", {"order": {"id": "A"}, "total": 5})
    assert second.status() == "waiting"


async def test_event_timeout(kit: AgentKit, clock: ManualClock) -> None:
    @kit.function()
    async def flow(ctx: Context) -> str:
        maybe = await ctx.step.wait_for_event("ping", timeout=30, on_timeout="none")
        try:
            await ctx.step.wait_for_event("pong", timeout=30)
        except EventTimeout:
            return f"{maybe} then timeout"
        return "unreachable"

    handle = await kit.start(flow)
    for _ in range(3):
        await drain(kit)
        clock.advance(31)
    assert await handle.result() == "None then timeout"


async def test_invoke_returns_the_child_output(kit: AgentKit) -> None:
    @kit.function()
    async def square(ctx: Context, n: int) -> int:
        return await ctx.step.run("mul", lambda: n * n)

    @kit.function()
    async def parent(ctx: Context) -> int:
        a = await ctx.step.invoke("sq", square, n=3)
        b = await ctx.step.invoke("sq", square, n=4)
        return a + b

    assert await kit.run(parent) == 25
    runs = kit.list_runs()
    children = [r for r in runs if r.parent_run_id is not None]
    assert sorted(r.parent_step_key for r in children) == ["sq", "sq#1"]  # type: ignore[type-var]


async def test_child_failure_surfaces_in_the_parent(kit: AgentKit) -> None:
    @kit.function(retries=0)
    async def child(ctx: Context) -> None:
        await ctx.step.run("fail", lambda: int("x"))

    @kit.function()
    async def parent(ctx: Context) -> str:
        try:
            await ctx.step.invoke("child", child)
        except StepFailed as exc:
            return f"{exc.step_key} <- {exc.error_type}: {exc.error_message}"
        return "unreachable"

    assert await kit.run(parent) == (
        "child <- StepFailed: step 'fail' failed after 1 attempt(s): "
        "ValueError: invalid literal for int() with base 10: 'x'"
    )


async def test_cancelling_a_parent_cancels_its_waiting_child(kit: AgentKit) -> None:
    @kit.function()
    async def child(ctx: Context) -> None:
        await ctx.step.wait_for_token("forever", timeout=None)

    @kit.function()
    async def parent(ctx: Context) -> None:
        await ctx.step.invoke("child", child)

    handle = await kit.start(parent)
    await drain(kit)
    [child_run] = [r for r in kit.list_runs() if r.parent_run_id == handle.id]
    assert child_run.status == "waiting"
    handle.cancel()
    assert kit.get_run(child_run.id).status() == "cancelled"
    assert kit.list_tokens(status="pending") == []


async def test_cancelling_a_child_fails_the_parent_step(kit: AgentKit) -> None:
    @kit.function()
    async def child(ctx: Context) -> None:
        await ctx.step.wait_for_token("forever", timeout=None)

    @kit.function()
    async def parent(ctx: Context) -> str:
        try:
            await ctx.step.invoke("child", child)
        except StepFailed as exc:
            return exc.error_type
        return "unreachable"

    handle = await kit.start(parent)
    await drain(kit)
    [child_run] = [r for r in kit.list_runs() if r.parent_run_id == handle.id]
    kit.cancel(child_run.id)
    await drain(kit)
    assert await handle.result() == "RunCancelledError"


async def test_cancel_while_running_stops_the_function(kit: AgentKit) -> None:
    started = asyncio.Event()
    finished: list[str] = []

    async def slow() -> None:
        started.set()
        await asyncio.sleep(30)
        finished.append("slow")

    @kit.function()
    async def flow(ctx: Context) -> None:
        await ctx.step.run("slow", slow)

    handle = await kit.start(flow)
    worker = asyncio.create_task(kit.worker(poll_interval=0.01))
    await asyncio.wait_for(started.wait(), deadline(30))
    assert handle.cancel() is True
    with pytest.raises(RunCancelledError):
        await handle.result(timeout=deadline(30))
    await asyncio.sleep(0.05)
    assert kit._executors == {}
    worker.cancel()
    await asyncio.gather(worker, return_exceptions=True)
    assert finished == []
    assert kit.journal(handle.id) == []


async def test_run_idempotency_key_returns_the_same_run(kit: AgentKit) -> None:
    @kit.function()
    async def flow(ctx: Context, n: int) -> int:
        return n

    first = await kit.start(flow.options(idempotency_key="order-7"), n=1)
    second = await kit.start(flow.options(idempotency_key="order-7"), n=1)
    third = await kit.start(flow.options(idempotency_key="order-8"), n=3)
    assert first.id == second.id != third.id
    await drain(kit)
    assert [await first.result(), await third.result()] == [1, 3]


async def test_expired_lease_lets_another_worker_resume(kit: AgentKit, clock: ManualClock) -> None:
    executions: list[int] = []

    @kit.function()
    async def flow(ctx: Context) -> str:
        await ctx.step.run("one", lambda: executions.append(1))
        return "resumed"

    handle = await kit.start(flow)
    # A worker that claims the run and dies without renewing its lease.
    assert kit.store.claim_run(handle.id, "dead-worker", clock.now(), clock.now() + 30)
    await drain(kit)
    assert handle.status() == "running"  # lease still valid: nobody else may take it
    clock.advance(31)
    await drain(kit)
    assert await handle.result() == "resumed"
    assert handle.record().executions == 2
    assert executions == [1]


async def test_gathered_waits_suspend_one_at_a_time(kit: AgentKit, clock: ManualClock) -> None:
    @kit.function()
    async def flow(ctx: Context) -> list[object]:
        return list(
            await asyncio.gather(
                ctx.step.sleep("a", 10), ctx.step.wait_for_event("go", timeout=100)
            )
        )

    handle = await kit.start(flow)
    await drain(kit)
    assert handle.status() == "waiting"
    clock.advance(11)
    await drain(kit)
    await kit.send_event("go", {"x": 1})
    await drain(kit)
    result = await handle.result()
    assert result[0] is None
    assert result[1]["data"] == {"x": 1}  # type: ignore[index]
