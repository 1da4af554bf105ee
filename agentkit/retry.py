"""One retry policy for steps and model calls: exponential backoff with jitter, on tenacity.

A `RetryPolicy` is data (how many attempts, how long to wait) and the schedule
built from it. What is worth retrying is the caller's decision, passed to
`RetryPolicy.call`: steps retry any `Exception` but `NonRetriableError` and
the engine's own usage errors; model calls retry a `ModelError` marked
retryable and honour the provider's ``retry-after``. Each layer keeps its own
defaults: the field defaults below are those of steps (``kit.function``,
``@tool``); a model's default is ``agentkit.models``' own (3 attempts from
0.5 s, 0.5 s of jitter, a 120 s deadline).
"""

from __future__ import annotations

import math
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, TypeVar

from agentkit.errors import ConfigError

if TYPE_CHECKING:
    from tenacity import RetryCallState

__all__ = ["RetryPolicy"]

T = TypeVar("T")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _seconds(name: str, value: object) -> float:
    """``value`` (seconds or a timedelta) as finite, non-negative float seconds."""
    what = f"RetryPolicy: {name}"
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    else:
        raise ConfigError(f"{what} must be a number of seconds or a timedelta, got {value!r}")
    if not math.isfinite(seconds):
        raise ConfigError(f"{what} must be a finite number of seconds, got {value!r}")
    if seconds < 0:
        raise ConfigError(f"{what} must not be negative, got {value!r}")
    return seconds


@dataclass(frozen=True)
class RetryPolicy:
    """How often a failing call is attempted, and how long to wait in between.

    The wait after the ``n``-th failed attempt is ``min(max_backoff,
    initial_backoff * 2 ** (n - 1))`` plus uniform random noise in ``[0,
    jitter]`` seconds. A wait the failure asks for itself (a provider's
    ``retry-after``) wins when it is longer. No retry starts whose wait would
    end more than ``deadline`` seconds after the first attempt began.

    Durations are seconds (a timedelta is taken too); ``nan``, infinities and
    negative values are a `ConfigError` naming the field.

    Attributes:
        max_attempts: Attempts in total, the first included (1: no retry).
        initial_backoff: Wait after the first failure, in seconds.
        max_backoff: Cap on the exponential part of the wait; the jitter comes
            on top, and a provider's ``retry-after`` is not capped.
        jitter: Seconds of uniform random noise added to each wait (``True``/``False``,
            the older on/off form, mean ``initial_backoff`` and 0), so that
            many clients do not retry in step; 0 for none.
        deadline: Seconds from the start of the first attempt after which no
            retry starts; None for no limit.
    """

    max_attempts: int = 4
    initial_backoff: float = 1.0
    max_backoff: float = 60.0
    jitter: float = 1.0
    deadline: float | None = None

    def __post_init__(self) -> None:
        if not _is_int(self.max_attempts) or self.max_attempts < 1:
            raise ConfigError(
                f"RetryPolicy: max_attempts must be an integer of at least 1, "
                f"got {self.max_attempts!r}"
            )
        if isinstance(self.jitter, bool):
            # The models' policy once took jitter as on/off: True meant up to
            # initial_backoff seconds of noise. Kept so that such code still runs.
            object.__setattr__(self, "jitter", self.initial_backoff if self.jitter else 0.0)
        for name in ("initial_backoff", "max_backoff", "jitter"):
            object.__setattr__(self, name, _seconds(name, getattr(self, name)))
        if self.deadline is not None:
            object.__setattr__(self, "deadline", _seconds("deadline", self.deadline))

    @classmethod
    def from_retries(cls, retries: int) -> RetryPolicy:
        """``retries`` extra attempts after the first, the other fields by default."""
        if not _is_int(retries) or retries < 0:
            raise ConfigError(f"retries must be a non-negative integer, got {retries!r}")
        return cls(max_attempts=retries + 1)

    def backoff(self, failed_attempts: int) -> float:
        """The wait after ``failed_attempts`` failures, without jitter."""
        try:
            exponential = self.initial_backoff * 2.0 ** (failed_attempts - 1)
        except OverflowError:
            exponential = math.inf
        return min(self.max_backoff, exponential)

    def delay(self, failed_attempts: int) -> float:
        """The wait after ``failed_attempts`` failures, jitter included."""
        noise = random.uniform(0, self.jitter) if self.jitter else 0.0
        return self.backoff(failed_attempts) + noise

    async def call(
        self,
        attempt: Callable[[], Awaitable[T]],
        *,
        retryable: Callable[[BaseException], bool],
        sleep: Callable[[float], Awaitable[None]],
        clock: Callable[[], float],
        retry_after: Callable[[BaseException], float | None] | None = None,
    ) -> T:
        """Await ``attempt()`` until it succeeds or this policy gives up.

        Args:
            attempt: One try; awaited again after each retryable failure.
            retryable: Whether a failure is worth another attempt; any other
                failure (and every ``BaseException``) is raised at once.
            sleep: Awaited with each wait (injected, so tests need not wait).
            clock: Seconds on any steady scale, for the deadline.
            retry_after: The wait a failure asks for, if it says (a provider's
                ``retry-after``); the longer of it and the backoff is slept.

        Returns:
            What the first successful attempt returned.

        Raises:
            BaseException: The last failure, when no attempt succeeded.
        """
        started = clock() if self.deadline is not None else 0.0
        # The first attempt skips tenacity entirely: it is the hot path, and most
        # processes never retry (importing tenacity costs tens of milliseconds,
        # which count when a fresh process resumes a crashed run).
        try:
            return await attempt()
        except Exception as error:
            if not retryable(error) or self.max_attempts <= 1:
                raise
            first_failure: BaseException | None = error

        from tenacity import AsyncRetrying, retry_if_exception

        async def attempt_again() -> T:
            # Tenacity counts from the attempt already made: its failure is
            # handed over as attempt 1, so waits and stops number as they should.
            nonlocal first_failure
            if first_failure is not None:
                failure, first_failure = first_failure, None
                raise failure
            return await attempt()

        schedule = _Schedule(self, clock, started, retry_after)
        retrying = AsyncRetrying(
            stop=schedule.stop,
            wait=schedule.wait,
            retry=retry_if_exception(retryable),
            sleep=sleep,
            reraise=True,
        )
        return await retrying(attempt_again)


class _Schedule:
    """Waits and stops of one retry loop, on the caller's clock.

    A wait is drawn once per failed attempt and shared by ``wait`` and
    ``stop``, so the deadline is checked against the very (jittered) wait that
    is then slept, whichever of the two tenacity asks first.
    """

    def __init__(
        self,
        policy: RetryPolicy,
        clock: Callable[[], float],
        started: float,
        retry_after: Callable[[BaseException], float | None] | None,
    ) -> None:
        self._policy = policy
        self._clock = clock
        self._started = started
        self._retry_after = retry_after
        self._drawn: tuple[int, float] | None = None

    def wait(self, state: RetryCallState) -> float:
        number = state.attempt_number
        if self._drawn is None or self._drawn[0] != number:
            delay = self._policy.delay(number)
            error = state.outcome.exception() if state.outcome is not None else None
            if self._retry_after is not None and error is not None:
                asked = self._retry_after(error)
                if asked is not None:
                    delay = max(delay, asked)
            self._drawn = (number, delay)
        return self._drawn[1]

    def stop(self, state: RetryCallState) -> bool:
        if state.attempt_number >= self._policy.max_attempts:
            return True
        deadline = self._policy.deadline
        if deadline is None:
            return False
        return self._clock() - self._started + self.wait(state) > deadline
