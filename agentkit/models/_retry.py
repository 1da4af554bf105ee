"""How model calls retry: their default policy, and which failures are retried.

The policy itself is `agentkit.retry.RetryPolicy`, shared with steps; the model
layer brings its own defaults and its own classification, decided once at the
provider boundary (`ModelError.retryable`, ``retry-after``).
"""

from __future__ import annotations

from agentkit.models._errors import ModelError
from agentkit.retry import RetryPolicy

__all__ = ["MODEL_CALL_RETRY", "RetryPolicy", "is_retryable", "retry_after"]

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
