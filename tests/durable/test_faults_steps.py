"""Faults found by an outside suite (issue 14): what a step or a function body raises,
values that cannot be journaled as they are, and inputs that no store can hold."""

from __future__ import annotations

import asyncio
import json
import math
import sys
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict

from agentkit import AgentKit, Context, ManualClock, RetryPolicy, RunFailedError, StepFailed
from agentkit.errors import ConfigError, UsageError
from agentkit.store import RunRecord
from tests.durable.conftest import drain


class Abort(BaseException):
    """A user's own BaseException, as some libraries define for "stop now"."""


class Unprintable(Exception):
    def __str__(self) -> str:
        raise RuntimeError("no text for you")


# -- BaseException from a step body --------------------------------------------------


def _exit_three() -> None:
    sys.exit(3)


async def _exit_three_async() -> None:
    sys.exit(3)


def _abort() -> None:
    raise Abort("stop the world")


async def _cancel_myself() -> None:
    raise asyncio.CancelledError("raised by the step, nobody cancelled it")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (_abort, "Abort: stop the world"),
        (_exit_three, "SystemExit: 3"),
        (_exit_three_async, "SystemExit: 3"),
        (_cancel_myself, "CancelledError: raised by the step, nobody cancelled it"),
    ],
)
async def test_a_base_exception_in_a_step_is_a_journaled_step_failure(
    kit: AgentKit, clock: ManualClock, body: Any, expected: str
) -> None:
    calls: list[str] = []

    def counted() -> Any:
        calls.append("body")
        return body()

    async def counted_async() -> Any:
        calls.append("body")
        return await body()

    step = counted_async if asyncio.iscoroutinefunction(body) else counted

    @kit.function(retries=3)
    async def flow(ctx: Context) -> str:
        try:
            await ctx.step.run("risky", step)
        except StepFailed as exc:
            outcome = f"{exc.error_type}: {exc.error_message}"
        await ctx.step.sleep("then", 10)  # the outcome must replay identically
        return outcome

    handle = await kit.start(flow)
    await drain(kit)
    assert handle.status() == "waiting"
    clock.advance(11)
    await drain(kit)
    assert await handle.result() == expected
    assert calls == ["body"]  # not retried, and not run again on replay
    risky = kit.journal(handle.id)[0]
    assert (risky.key, risky.status, risky.attempts) == ("risky", "failed", 1)
    error = json.loads(risky.error or "{}")
    assert f"{error['type']}: {error['message']}" == expected
    assert handle.record().executions == 2


async def test_a_base_exception_from_the_function_body_fails_the_run(kit: AgentKit) -> None:
    @kit.function()
    async def aborts(ctx: Context) -> None:
        raise Abort("outside any step")

    @kit.function()
    async def exits(ctx: Context) -> None:
        sys.exit(4)

    with pytest.raises(RunFailedError) as aborted:
        await kit.run(aborts)
    assert (aborted.value.error_type, aborted.value.error_message) == ("Abort", "outside any step")
    with pytest.raises(RunFailedError) as exited:
        await kit.run(exits)
    assert (exited.value.error_type, exited.value.error_message) == ("SystemExit", "4")
    assert sorted(r.status for r in kit.list_runs()) == ["failed", "failed"]
    error = json.loads(kit.get_run(aborted.value.run_id).record().error or "{}")
    assert error["traceback"].endswith("Abort: outside any step\n")


# -- exceptions that cannot describe themselves ---------------------------------------


async def test_a_step_error_whose_str_raises_is_still_a_step_failure(kit: AgentKit) -> None:
    def broken() -> None:
        raise Unprintable

    @kit.function(retries=0)
    async def flow(ctx: Context) -> str:
        try:
            await ctx.step.run("broken", broken)
        except StepFailed as exc:
            return exc.error_message
        return "not reached"

    assert await kit.run(flow) == "<unprintable Unprintable: __str__ raised RuntimeError>"
    (step,) = kit.journal(kit.list_runs()[0].id)
    error = json.loads(step.error or "{}")
    assert error["message"] == "<unprintable Unprintable: __str__ raised RuntimeError>"
    assert error["traceback"].endswith("Unprintable: <exception str() failed>\n")


async def test_a_run_error_whose_str_raises_fails_the_run_cleanly(kit: AgentKit) -> None:
    @kit.function()
    async def flow(ctx: Context) -> None:
        raise Unprintable

    with pytest.raises(RunFailedError) as failed:
        await kit.run(flow)
    assert failed.value.error_type == "Unprintable"
    assert failed.value.error_message == "<unprintable Unprintable: __str__ raised RuntimeError>"


# -- bytes -----------------------------------------------------------------------------


class Blob(BaseModel):
    model_config = ConfigDict(ser_json_bytes="base64", val_json_bytes="base64")
    name: str
    data: bytes


class PlainBlob(BaseModel):
    data: bytes


async def test_bytes_round_trip_as_base64_by_the_annotation(kit: AgentKit) -> None:
    def raw() -> bytes:
        return b"\xff\x00\x80abc"

    def chunks() -> list[bytes]:
        return [b"\xfe", b"ok"]

    def blob() -> Blob:
        return Blob(name="b", data=b"\x81\x82")

    @kit.function()
    async def flow(ctx: Context, seed: bytes) -> tuple[bytes, bytes, list[bytes], Blob]:
        return (
            seed,
            await ctx.step.run("raw", raw),
            await ctx.step.run("chunks", chunks),
            await ctx.step.run("blob", blob),
        )

    result = await kit.run(flow, seed=b"\x00\xff")
    assert result == (
        b"\x00\xff",
        b"\xff\x00\x80abc",
        [b"\xfe", b"ok"],
        Blob(name="b", data=b"\x81\x82"),
    )
    run = kit.list_runs()[0]
    assert json.loads(run.input) == {"seed": "AP8="}
    assert [s.output for s in kit.journal(run.id)] == [
        '"_wCAYWJj"',
        '["_g==","b2s="]',
        '{"name":"b","data":"gYI="}',
    ]


async def test_bytes_in_a_model_without_base64_config_name_the_fix(kit: AgentKit) -> None:
    def blob() -> PlainBlob:
        return PlainBlob(data=b"\xff")

    @kit.function()
    async def flow(ctx: Context) -> None:
        await ctx.step.run("blob", blob)

    with pytest.raises(RunFailedError) as failed:
        await kit.run(flow)
    assert failed.value.error_type == "StepSerializationError"
    assert failed.value.error_message == (
        "step 'blob' returned PlainBlob, which is not JSON-serializable (Error serializing "
        "to JSON: invalid utf-8 sequence of 1 bytes from index 0); bytes are journaled as "
        "base64 where the annotation says bytes (bytes, list[bytes], ...); inside a pydantic "
        "model, dataclass or TypedDict they follow its own config: set "
        "ser_json_bytes='base64' and val_json_bytes='base64' in it"
    )


async def test_bytes_journaled_before_as_utf8_text_stay_readable(kit: AgentKit) -> None:
    @kit.function()
    async def flow(ctx: Context, data: bytes) -> bytes:
        return data + b"!"

    now = kit.clock.now()
    kit.store.create_run(
        RunRecord(
            id="run_legacy",
            function_id="flow",
            status="queued",
            input='{"data": "h\\u00e9llo"}',  # how bytes were stored before: UTF-8 text
            created_at=now,
            updated_at=now,
        )
    )
    await drain(kit)
    assert await kit.get_run("run_legacy").result() == "héllo!".encode()


# -- durations and settings -----------------------------------------------------------

NAN, INF = math.nan, math.inf


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda ctx: ctx.step.sleep("s", NAN),
            "ctx.step.sleep('s'): duration must be a finite number of seconds, got nan",
        ),
        (
            lambda ctx: ctx.step.sleep("s", INF),
            "ctx.step.sleep('s'): duration must be a finite number of seconds, got inf",
        ),
        (
            lambda ctx: ctx.step.sleep("s", "10"),
            "ctx.step.sleep('s'): duration must be a number of seconds or a timedelta, got '10'",
        ),
        (
            lambda ctx: ctx.step.sleep_until("s", NAN),
            "ctx.step.sleep_until('s'): when must be a finite number of seconds, got nan",
        ),
        (
            lambda ctx: ctx.step.wait_for_token("t", timeout=NAN),
            "ctx.step.wait_for_token('t'): timeout must be a finite number of seconds, got nan",
        ),
        (
            lambda ctx: ctx.step.create_token("t", timeout=-1),
            "ctx.step.create_token('t'): timeout must not be negative, got -1",
        ),
        (
            lambda ctx: ctx.step.wait_for_event("go", timeout=INF),
            "ctx.step.wait_for_event('go'): timeout must be a finite number of seconds, got inf",
        ),
    ],
)
async def test_non_finite_durations_in_steps_are_usage_errors(
    kit: AgentKit, call: Any, message: str
) -> None:
    @kit.function()
    async def flow(ctx: Context) -> None:
        await call(ctx)

    with pytest.raises(RunFailedError) as failed:
        await kit.run(flow)
    assert (failed.value.error_type, failed.value.error_message) == ("UsageError", message)
    assert kit.journal(failed.value.run_id) == []


async def test_a_negative_sleep_wakes_at_once(kit: AgentKit) -> None:
    @kit.function()
    async def flow(ctx: Context) -> str:
        await ctx.step.sleep("past", -5)
        await ctx.step.sleep_until("long-ago", datetime(2001, 1, 1, tzinfo=UTC))
        return "awake"

    assert await kit.run(flow) == "awake"


def test_non_finite_settings_are_config_errors() -> None:
    cases: list[tuple[Any, str]] = [
        (lambda: AgentKit(lease_ttl=NAN), "lease_ttl must be a finite number of seconds, got nan"),
        (lambda: AgentKit(lease_ttl=0), "lease_ttl must be positive, got 0"),
        (
            lambda: RetryPolicy(initial_backoff=NAN),
            "RetryPolicy: initial_backoff must be a finite number of seconds, got nan",
        ),
        (
            lambda: RetryPolicy(max_backoff=INF),
            "RetryPolicy: max_backoff must be a finite number of seconds, got inf",
        ),
        (lambda: RetryPolicy(jitter=-1), "RetryPolicy: jitter must not be negative, got -1"),
        (
            lambda: RetryPolicy(max_attempts=2.5),  # type: ignore[arg-type]  # the point
            "RetryPolicy: max_attempts must be an integer of at least 1, got 2.5",
        ),
        (
            lambda: RetryPolicy.from_retries(-1),
            "retries must be a non-negative integer, got -1",
        ),
    ]
    for make, message in cases:
        with pytest.raises(ConfigError) as error:
            make()
        assert str(error.value) == message


async def test_worker_and_wait_settings_are_checked(kit: AgentKit) -> None:
    @kit.function()
    async def flow(ctx: Context) -> int:
        return 1

    with pytest.raises(ConfigError) as poll:
        await kit.worker(poll_interval=NAN)
    assert str(poll.value) == "poll_interval must be a finite number of seconds, got nan"
    with pytest.raises(ConfigError) as concurrency:
        await kit.worker(concurrency=0)
    assert str(concurrency.value) == "concurrency must be an integer of at least 1, got 0"
    handle = await kit.start(flow)
    with pytest.raises(ConfigError) as drive:
        await kit.drive(handle, poll_interval=-1)
    assert str(drive.value) == "poll_interval must be positive, got -1"
    with pytest.raises(UsageError) as result:
        await handle.result(timeout=NAN)
    assert str(result.value) == (
        "RunHandle.result: timeout must be a finite number of seconds, got nan"
    )


# -- identifiers longer than the columns ----------------------------------------------


async def test_step_keys_longer_than_the_column_are_refused_on_every_store(
    kit: AgentKit,
) -> None:
    longest = "s" * 300
    near = "n" * 298

    @kit.function()
    async def fits(ctx: Context) -> str:
        return await ctx.step.run(longest, lambda: "ok")

    @kit.function()
    async def too_long(ctx: Context) -> None:
        await ctx.step.run("x" * 301, lambda: "never")

    @kit.function()
    async def suffix_too_long(ctx: Context) -> int:
        for _ in range(11):  # n...n, n...n#1, ..., n...n#10: 301 characters
            await ctx.step.run(near, lambda: None)
        return 0

    assert await kit.run(fits) == "ok"
    with pytest.raises(RunFailedError) as failed:
        await kit.run(too_long)
    assert failed.value.error_type == "UsageError"
    assert failed.value.error_message == (
        f"step key {'x' * 60 + '...'!r} is 301 characters long; the limit is 300"
    )
    assert kit.journal(failed.value.run_id) == []
    with pytest.raises(RunFailedError) as suffixed:
        await kit.run(suffix_too_long)
    assert suffixed.value.error_message == (
        f"step key {'n' * 60 + '...'!r} is 301 characters long; the limit is 300"
    )
    assert len(kit.journal(suffixed.value.run_id)) == 10


async def test_idempotency_keys_function_ids_event_names_and_worker_ids_are_bounded(
    kit: AgentKit,
) -> None:
    @kit.function()
    async def flow(ctx: Context) -> int:
        return 1

    with pytest.raises(UsageError) as key:
        await kit.start(flow.options(idempotency_key="k" * 301))
    assert str(key.value) == (
        f"idempotency key {'k' * 60 + '...'!r} is 301 characters long; the limit is 300"
    )
    assert kit.list_runs() == []
    await kit.start(flow.options(idempotency_key="k" * 300))
    with pytest.raises(ConfigError) as function_id:
        kit.function(id="f" * 201)(flow.fn)
    assert str(function_id.value) == (
        f"function id {'f' * 60 + '...'!r} is 201 characters long; the limit is 200"
    )
    with pytest.raises(UsageError) as event:
        await kit.send_event("e" * 201, {})
    assert str(event.value) == (
        f"event name {'e' * 60 + '...'!r} is 201 characters long; the limit is 200"
    )
    with pytest.raises(ConfigError) as worker:
        AgentKit(store=kit.store, worker_id="w" * 101)
    assert str(worker.value) == (
        f"worker_id {'w' * 60 + '...'!r} is 101 characters long; the limit is 100"
    )
