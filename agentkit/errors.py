"""Every error agentkit raises, in one tree.

::

    AgentkitError
    ├── ConfigError                  bad database URL, bad function definition, bad options
    ├── UsageError                   an API used in a way it does not support (nested steps)
    ├── IdempotencyConflict          a start reused an idempotency key with another input
    ├── NotFoundError                an id that names nothing (LookupError too)
    │   ├── RunNotFound
    │   ├── FunctionNotFound
    │   └── ThreadNotFound           (also a thread message named by a fork)
    ├── NonRetriableError            raised by user code in a step: do not retry
    │   └── ToolRetryRequested       (internal) the journaled form of a ToolRetry
    ├── ToolRetry                    raised by a tool: the model is asked to call again
    ├── MaxIterationsExceeded        an agent made max_iter model calls without an answer
    ├── OutputValidationError        an agent's structured answer stayed invalid
    ├── StepFailed                   a step used up its attempts (journaled, raised again on replay)
    ├── StepSerializationError       a step's result or input cannot round-trip through JSON
    ├── NonDeterminismError          replay asked for a step the journal does not have there
    ├── WaitTimeout                  a wait reached its timeout
    │   ├── TokenTimeout
    │   └── EventTimeout
    ├── TokenError                   completing a token went wrong; the run is untouched
    │   ├── TokenNotFound
    │   ├── TokenAlreadyCompleted
    │   ├── TokenExpired
    │   ├── TokenRunNotWaiting
    │   └── TokenPayloadInvalid
    ├── RunFailedError               RunHandle.result() of a run that failed
    └── RunCancelledError            RunHandle.result() of a run that was cancelled

    ModelError and its subclasses live in :mod:`agentkit.models`; ToolRetry and the
    agent errors in the agent modules (exported from :mod:`agentkit`). All derive
    from AgentkitError.

Cancellation *inside* a run is ``asyncio.CancelledError``, a ``BaseException``,
so user code that catches ``Exception`` cannot swallow it.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AgentkitError",
    "ConfigError",
    "EventTimeout",
    "FunctionNotFound",
    "IdempotencyConflict",
    "NonDeterminismError",
    "NonRetriableError",
    "NotFoundError",
    "RunCancelledError",
    "RunFailedError",
    "RunNotFound",
    "StepFailed",
    "StepSerializationError",
    "ThreadNotFound",
    "TokenAlreadyCompleted",
    "TokenError",
    "TokenExpired",
    "TokenNotFound",
    "TokenPayloadInvalid",
    "TokenRunNotWaiting",
    "TokenTimeout",
    "UsageError",
    "WaitTimeout",
]


class AgentkitError(Exception):
    """Root of every error agentkit raises."""


class ConfigError(AgentkitError):
    """A configuration value or a definition is invalid."""


class UsageError(AgentkitError):
    """An API was used in a way it does not support."""


class IdempotencyConflict(AgentkitError):
    """A start reused an idempotency key, with another input than the run that owns it.

    Start with another key, or with ``fn.options(idempotency_key=k,
    on_conflict="return_existing")`` to get the existing run back.

    Attributes:
        idempotency_key: the key.
        function_id: the durable function both starts name.
        run_id: the run that owns the key.
        existing_fingerprint: hash of that run's input.
        new_fingerprint: hash of the refused start's input.
    """

    def __init__(
        self,
        idempotency_key: str,
        function_id: str,
        run_id: str,
        existing_fingerprint: str,
        new_fingerprint: str,
    ) -> None:
        super().__init__(
            f"idempotency key {idempotency_key!r} of durable function {function_id!r} belongs "
            f"to run {run_id!r}, started with another input (fingerprint "
            f"{existing_fingerprint}; this start's input has fingerprint {new_fingerprint}); "
            "use another key, or on_conflict='return_existing' to get the existing run"
        )
        self.idempotency_key = idempotency_key
        self.function_id = function_id
        self.run_id = run_id
        self.existing_fingerprint = existing_fingerprint
        self.new_fingerprint = new_fingerprint


class NotFoundError(AgentkitError, LookupError):
    """An id names nothing the store knows."""


class RunNotFound(NotFoundError):
    """No run has this id."""

    def __init__(self, run_id: str) -> None:
        super().__init__(f"no run with id {run_id!r}")
        self.run_id = run_id


class ThreadNotFound(NotFoundError):
    """No thread has this id (or no message of the thread has the id a fork names)."""

    def __init__(self, thread_id: str, detail: str | None = None) -> None:
        super().__init__(detail or f"no thread with id {thread_id!r}")
        self.thread_id = thread_id


class FunctionNotFound(NotFoundError):
    """No durable function with this id is registered in this process."""

    def __init__(self, function_id: str, known: list[str]) -> None:
        known_text = ", ".join(repr(k) for k in sorted(known)) or "none"
        super().__init__(
            f"no durable function {function_id!r} is registered in this process "
            f"(registered: {known_text}); import the module that defines it before "
            "starting a worker"
        )
        self.function_id = function_id


class NonRetriableError(AgentkitError):
    """Raise inside a step to fail it at once, without further attempts."""


class StepFailed(AgentkitError):
    """A step failed after its last attempt.

    The failure is journaled, so a replay raises the same ``StepFailed`` (same
    step key, error type and message) without running the step again. On the
    first run ``__cause__`` is the original exception; on replay only its type
    name and message survive.
    """

    def __init__(self, step_key: str, error_type: str, message: str, attempts: int) -> None:
        super().__init__(
            f"step {step_key!r} failed after {attempts} attempt(s): {error_type}: {message}"
        )
        self.step_key = step_key
        self.error_type = error_type
        self.error_message = message
        self.attempts = attempts


class StepSerializationError(AgentkitError):
    """A value that must be journaled cannot round-trip through JSON."""


class NonDeterminismError(AgentkitError):
    """Replay diverged from the journal: the code asked for a different step.

    ``expected`` describes what the journal holds, ``actual`` what the code asked
    for.
    """

    def __init__(self, run_id: str, expected: str, actual: str) -> None:
        super().__init__(
            f"run {run_id!r} is not deterministic: the journal has {expected}, "
            f"but the code asked for {actual}"
        )
        self.run_id = run_id
        self.expected = expected
        self.actual = actual


class WaitTimeout(AgentkitError):
    """A wait reached its timeout before it was satisfied."""

    def __init__(self, step_key: str, what: str) -> None:
        super().__init__(f"wait {step_key!r} timed out: {what}")
        self.step_key = step_key


class TokenTimeout(WaitTimeout):
    """Nobody completed the token before it expired."""


class EventTimeout(WaitTimeout):
    """No matching event arrived before the timeout."""


class TokenError(AgentkitError):
    """Completing a token failed; neither the token nor its run was changed."""


class TokenNotFound(TokenError, NotFoundError):
    """No token has this value."""

    def __init__(self, token: str) -> None:
        shown = token if len(token) <= 16 else token[:16] + "..."
        super().__init__(f"no token {shown!r} (mistyped, or from another database?)")


class TokenAlreadyCompleted(TokenError):
    """The token was completed before; tokens are single-use."""


class TokenExpired(TokenError):
    """The token's timeout has passed."""


class TokenRunNotWaiting(TokenError):
    """The token's run is cancelled or finished, so nothing waits for it."""


class TokenPayloadInvalid(TokenError):
    """The payload does not match the token's schema."""

    def __init__(self, message: str, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or []


class RunFailedError(AgentkitError):
    """The awaited run ended in failure."""

    def __init__(self, run_id: str, error_type: str, message: str) -> None:
        super().__init__(f"run {run_id!r} failed: {error_type}: {message}")
        self.run_id = run_id
        self.error_type = error_type
        self.error_message = message


class RunCancelledError(AgentkitError):
    """The awaited run was cancelled."""

    def __init__(self, run_id: str) -> None:
        super().__init__(f"run {run_id!r} was cancelled")
        self.run_id = run_id
