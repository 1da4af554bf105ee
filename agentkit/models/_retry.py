"""Retry policy for model calls: exponential backoff with jitter, on tenacity."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception
from tenacity.wait import wait_base, wait_exponential, wait_random

from agentkit.models._errors import ModelError

__all__ = ["RetryPolicy"]


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently one model is retried before failing over.

    The n-th retry waits ``initial_backoff * 2**(n-1)`` seconds, capped at
    ``max_backoff``, plus a random ``[0, initial_backoff)`` when ``jitter``. A
    provider's ``retry-after`` wins when it is longer. No retry starts whose
    wait would end past ``deadline`` seconds after the first attempt began.

    Attributes:
        max_attempts: Attempts in total, the first included.
        initial_backoff: Wait before the first retry, in seconds.
        max_backoff: Cap on the computed backoff (not on a provider's retry-after).
        jitter: Add random jitter so that many clients do not retry in step.
        deadline: Seconds from the first attempt after which no retry starts.
    """

    max_attempts: int = 3
    initial_backoff: float = 0.5
    max_backoff: float = 30.0
    jitter: bool = True
    deadline: float = 120.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {self.max_attempts}")

    def wait_strategy(self) -> wait_base:
        """The tenacity wait for the computed backoff (retry-after not included)."""
        strategy: wait_base = wait_exponential(
            multiplier=self.initial_backoff, max=self.max_backoff
        )
        if self.jitter:
            strategy = strategy + wait_random(0, self.initial_backoff)
        return strategy

    def retrying(
        self,
        *,
        sleep: Callable[[float], Awaitable[None]],
        clock: Callable[[], float],
    ) -> AsyncRetrying:
        """A tenacity loop applying this policy with an injected sleep and clock."""
        schedule = _Schedule(self, clock)
        return AsyncRetrying(
            stop=schedule.stop,
            wait=schedule.wait,
            retry=retry_if_exception(_is_retryable),
            sleep=sleep,
            reraise=True,
        )


def _is_retryable(error: BaseException) -> bool:
    return isinstance(error, ModelError) and error.retryable


class _Schedule:
    """Backoff and stop decisions for one retry loop, on the injected clock.

    The delay is computed once per attempt and shared by ``wait`` and ``stop``,
    so the deadline check sees the same (jittered) delay that is then slept.
    """

    def __init__(self, policy: RetryPolicy, clock: Callable[[], float]) -> None:
        self._policy = policy
        self._clock = clock
        self._started = clock()
        self._backoff = policy.wait_strategy()
        self._delays: dict[int, float] = {}

    def wait(self, state: RetryCallState) -> float:
        number = state.attempt_number
        if number not in self._delays:
            delay = min(self._backoff(state), self._policy.max_backoff)
            error = state.outcome.exception() if state.outcome is not None else None
            if isinstance(error, ModelError) and error.retry_after is not None:
                delay = max(delay, error.retry_after)
            self._delays[number] = delay
        return self._delays[number]

    def stop(self, state: RetryCallState) -> bool:
        if state.attempt_number >= self._policy.max_attempts:
            return True
        elapsed = self._clock() - self._started
        return elapsed + self.wait(state) > self._policy.deadline
