"""How model calls retry: their default policy, and which failures are retried.

The policy itself is `agentkit.retry.RetryPolicy`, shared with steps; the model
layer brings its own defaults and its own classification, decided once at the
provider boundary (`ModelError.retryable`, ``retry-after``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from agentkit.models._errors import ModelError
from agentkit.retry import RetryPolicy

__all__ = ["MODEL_CALL_RETRY", "RetryPolicy", "is_retryable", "retry_after", "retry_model_call"]

T = TypeVar("T")

MODEL_CALL_RETRY = RetryPolicy(
    max_attempts=3, initial_backoff=0.5, max_backoff=30.0, jitter=0.5, deadline=120.0
)
"""A model's policy unless it is given one: 3 attempts from 0.5 s, within 120 s."""


def is_retryable(error: BaseException) -> bool:
    """Whether another attempt of the same model may succeed (429, 5xx, timeouts...)."""
    return isinstance(error, ModelError) and error.retryable


def retry_after(error: BaseException) -> float | None:
    """The wait the provider asked for, when it said."""
    return error.retry_after if isinstance(error, ModelError) else None


async def retry_model_call(
    policy: RetryPolicy,
    attempt: Callable[[float], Awaitable[T]],
    *,
    sleep: Callable[[float], Awaitable[None]],
    clock: Callable[[], float],
) -> T:
    """Call ``attempt(waited_s)`` under ``policy`` until it succeeds or the policy gives up.

    ``waited_s`` is the backoff slept just before this attempt (0 for the first),
    so each attempt's record can say how long it waited. Retries follow the
    model layer's classification (`is_retryable`, `retry_after`).
    """
    slept = 0.0

    async def recording_sleep(seconds: float) -> None:
        nonlocal slept
        slept = seconds
        await sleep(seconds)

    async def once() -> T:
        nonlocal slept
        waited, slept = slept, 0.0
        return await attempt(waited)

    return await policy.call(
        once, retryable=is_retryable, retry_after=retry_after, sleep=recording_sleep, clock=clock
    )
