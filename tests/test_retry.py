"""`RetryPolicy`: one policy for steps and model calls, as data and a schedule."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

import agentkit
import agentkit.durable
import agentkit.models
from agentkit import ConfigError
from agentkit.retry import RetryPolicy

NAN, INF = math.nan, math.inf


class FakeTime:
    """A clock that moves only by what is slept, or by ``advance`` inside an attempt."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


class Flaky:
    """An attempt that fails with ``errors`` in turn, then returns ``"ok"``."""

    def __init__(self, errors: list[BaseException], time: FakeTime, takes: float = 0.0) -> None:
        self.errors = list(errors)
        self.time = time
        self.takes = takes
        self.started_at: list[float] = []

    async def __call__(self) -> str:
        self.started_at.append(self.time.now)
        self.time.now += self.takes
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


class Slow(Exception):
    def __init__(self, retry_after: float | None = None) -> None:
        super().__init__(f"slow down ({retry_after})")
        self.retry_after = retry_after


def any_exception(error: BaseException) -> bool:
    return isinstance(error, Exception)


def asked_wait(error: BaseException) -> float | None:
    return error.retry_after if isinstance(error, Slow) else None


async def call(
    policy: RetryPolicy,
    attempt: Flaky,
    time: FakeTime,
    retryable: Callable[[BaseException], bool] = any_exception,
) -> str:
    return await policy.call(
        attempt, retryable=retryable, sleep=time.sleep, clock=time.clock, retry_after=asked_wait
    )


def test_steps_models_and_the_top_level_share_one_class() -> None:
    assert agentkit.RetryPolicy is RetryPolicy
    assert agentkit.durable.RetryPolicy is RetryPolicy
    assert agentkit.models.RetryPolicy is RetryPolicy


def test_defaults_are_the_steps_and_a_model_has_its_own() -> None:
    assert RetryPolicy() == RetryPolicy(
        max_attempts=4, initial_backoff=1.0, max_backoff=60.0, jitter=1.0, deadline=None
    )
    model = agentkit.models.ScriptedModel(["ok"])
    assert model.retry == RetryPolicy(
        max_attempts=3, initial_backoff=0.5, max_backoff=30.0, jitter=0.5, deadline=120.0
    )


@pytest.mark.parametrize(
    ("policy", "delays"),
    [
        (RetryPolicy(jitter=0), [1, 2, 4, 8, 16, 32, 60, 60]),
        (RetryPolicy(initial_backoff=0.5, max_backoff=30, jitter=0), [0.5, 1, 2, 4, 8, 16, 30]),
        (RetryPolicy(initial_backoff=2, max_backoff=5, jitter=0), [2, 4, 5, 5]),
        (RetryPolicy(initial_backoff=0, jitter=0), [0, 0, 0]),
        (RetryPolicy(initial_backoff=10, max_backoff=1, jitter=0), [1, 1]),
    ],
)
def test_delays_without_jitter(policy: RetryPolicy, delays: list[float]) -> None:
    numbers = range(1, len(delays) + 1)
    assert [policy.delay(n) for n in numbers] == delays
    assert [policy.backoff(n) for n in numbers] == delays


def test_a_late_attempt_waits_the_cap_rather_than_overflow() -> None:
    assert RetryPolicy(jitter=0).delay(5000) == 60.0


@pytest.mark.parametrize(
    ("policy", "failed_attempts", "low", "high"),
    [
        (RetryPolicy(), 1, 1.0, 2.0),
        (RetryPolicy(), 7, 60.0, 61.0),  # the jitter comes on top of the cap
        (RetryPolicy(initial_backoff=0.5, max_backoff=30, jitter=0.5), 1, 0.5, 1.0),
        (RetryPolicy(initial_backoff=0.5, max_backoff=30, jitter=0.5), 2, 1.0, 1.5),
        (RetryPolicy(initial_backoff=0, jitter=3), 4, 0.0, 3.0),
    ],
)
def test_jitter_is_seconds_of_uniform_noise_on_top(
    policy: RetryPolicy,
    failed_attempts: int,
    low: float,
    high: float,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    draws = [policy.delay(failed_attempts) for _ in range(300)]
    assert low <= min(draws) < max(draws) <= high
    monkeypatch.setattr(random, "uniform", lambda a, b: b)
    assert policy.delay(failed_attempts) == high
    monkeypatch.setattr(random, "uniform", lambda a, b: a)
    assert policy.delay(failed_attempts) == low


@pytest.mark.parametrize(("retries", "max_attempts"), [(0, 1), (1, 2), (3, 4), (10, 11)])
def test_from_retries_counts_extra_attempts(retries: int, max_attempts: int) -> None:
    assert RetryPolicy.from_retries(retries) == RetryPolicy(max_attempts=max_attempts)


@pytest.mark.parametrize(
    ("make", "message"),
    [
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
            lambda: RetryPolicy(deadline=NAN),
            "RetryPolicy: deadline must be a finite number of seconds, got nan",
        ),
        (lambda: RetryPolicy(deadline=-1), "RetryPolicy: deadline must not be negative, got -1"),
        (
            lambda: RetryPolicy(initial_backoff="1"),  # type: ignore[arg-type]  # the point
            "RetryPolicy: initial_backoff must be a number of seconds or a timedelta, got '1'",
        ),
        (
            lambda: RetryPolicy(max_attempts=0),
            "RetryPolicy: max_attempts must be an integer of at least 1, got 0",
        ),
        (
            lambda: RetryPolicy(max_attempts=2.5),  # type: ignore[arg-type]  # the point
            "RetryPolicy: max_attempts must be an integer of at least 1, got 2.5",
        ),
        (
            lambda: RetryPolicy(max_attempts=True),
            "RetryPolicy: max_attempts must be an integer of at least 1, got True",
        ),
        (lambda: RetryPolicy.from_retries(-1), "retries must be a non-negative integer, got -1"),
        (
            lambda: RetryPolicy.from_retries(1.0),  # type: ignore[arg-type]  # the point
            "retries must be a non-negative integer, got 1.0",
        ),
    ],
)
def test_bad_values_are_config_errors_naming_the_field(
    make: Callable[[], Any], message: str
) -> None:
    with pytest.raises(ConfigError) as error:
        make()
    assert str(error.value) == message


def test_durations_may_be_timedeltas_and_are_kept_as_seconds() -> None:
    policy = RetryPolicy(
        initial_backoff=timedelta(milliseconds=500),
        max_backoff=timedelta(minutes=1),
        jitter=timedelta(0),
        deadline=timedelta(seconds=90),
    )
    assert policy == RetryPolicy(initial_backoff=0.5, max_backoff=60.0, jitter=0, deadline=90.0)


async def test_retries_until_an_attempt_succeeds() -> None:
    time = FakeTime()
    attempt = Flaky([ValueError("1"), ValueError("2")], time)

    assert await call(RetryPolicy(jitter=0), attempt, time) == "ok"
    assert time.slept == [1.0, 2.0]
    assert attempt.started_at == [100.0, 101.0, 103.0]


async def test_the_last_failure_is_raised_after_max_attempts() -> None:
    time = FakeTime()
    attempt = Flaky([ValueError(str(n)) for n in range(1, 6)], time)

    with pytest.raises(ValueError) as caught:
        await call(RetryPolicy(max_attempts=3, jitter=0), attempt, time)
    assert (str(caught.value), time.slept) == ("3", [1.0, 2.0])


@pytest.mark.parametrize(
    ("policy", "errors"),
    [
        (RetryPolicy(max_attempts=1), [ValueError("once")]),
        (RetryPolicy(), [KeyError("not retryable")]),
    ],
)
async def test_no_retry_without_attempts_left_or_for_what_the_caller_refuses(
    policy: RetryPolicy, errors: list[BaseException]
) -> None:
    time = FakeTime()
    attempt = Flaky(errors, time)

    with pytest.raises(type(errors[0])):
        await call(policy, attempt, time, lambda e: not isinstance(e, KeyError))
    assert (len(attempt.started_at), time.slept) == (1, [])


async def test_a_later_failure_the_caller_refuses_ends_the_retries() -> None:
    time = FakeTime()
    attempt = Flaky([ValueError("retry me"), KeyError("not me"), ValueError("never")], time)

    with pytest.raises(KeyError):
        await call(RetryPolicy(jitter=0), attempt, time, lambda e: isinstance(e, ValueError))
    assert (len(attempt.started_at), time.slept) == (2, [1.0])


async def test_a_base_exception_is_never_retried() -> None:
    time = FakeTime()
    attempt = Flaky([KeyboardInterrupt()], time)

    with pytest.raises(KeyboardInterrupt):
        await call(RetryPolicy(), attempt, time, lambda e: True)
    assert (len(attempt.started_at), time.slept) == (1, [])


@pytest.mark.parametrize(
    ("asked", "slept"),
    [(5.0, [5.0, 2.0]), (0.1, [1.0, 2.0]), (None, [1.0, 2.0])],
)
async def test_a_wait_the_failure_asks_for_wins_when_longer(
    asked: float | None, slept: list[float]
) -> None:
    time = FakeTime()
    attempt = Flaky([Slow(asked), ValueError("again")], time)

    assert await call(RetryPolicy(jitter=0), attempt, time) == "ok"
    assert time.slept == slept


@pytest.mark.parametrize(
    ("policy", "takes", "errors", "attempts", "slept"),
    [
        # t=0 fails, waits 1 (ends at 1); t=1 fails, waits 2 (3); t=3 fails, 4 would end at 7 > 5.
        (RetryPolicy(max_attempts=10, jitter=0, deadline=5), 0.0, [ValueError()] * 9, 3, [1, 2]),
        # Attempts take 1.5 s: the deadline counts from the first attempt's start,
        # so at 4 s (two attempts, one wait) a wait of 2 would end at 6 > 5.
        (RetryPolicy(max_attempts=10, jitter=0, deadline=5), 1.5, [ValueError()] * 9, 2, [1]),
        # A retry-after past the deadline is not waited out.
        (RetryPolicy(max_attempts=10, jitter=0, deadline=120), 0.0, [Slow(200.0)], 1, []),
        # A wait that ends exactly at the deadline still happens.
        (RetryPolicy(max_attempts=10, jitter=0, deadline=3), 0.0, [ValueError()] * 2, 3, [1, 2]),
        (RetryPolicy(max_attempts=10, jitter=0, deadline=0), 0.0, [ValueError()], 1, []),
    ],
)
async def test_no_retry_starts_whose_wait_ends_past_the_deadline(
    policy: RetryPolicy,
    takes: float,
    errors: list[BaseException],
    attempts: int,
    slept: list[float],
) -> None:
    time = FakeTime()
    attempt = Flaky(errors, time, takes=takes)

    if attempts <= len(errors):
        with pytest.raises(type(errors[0])):
            await call(policy, attempt, time)
    else:
        assert await call(policy, attempt, time) == "ok"
    assert (len(attempt.started_at), time.slept) == (attempts, slept)


def test_jitter_as_on_off_keeps_its_old_meaning() -> None:
    # Model-call policies once took jitter=True/False: up to initial_backoff of noise, or none.
    assert RetryPolicy(jitter=False).jitter == 0.0
    assert RetryPolicy(initial_backoff=0.5, jitter=True).jitter == 0.5
