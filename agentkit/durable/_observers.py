"""`RunObserver`: what a worker tells of its executions and steps, as they happen.

An observer is registered on the kit (``AgentKit(..., observers=[...])`` or
``kit.observers.append(...)``) and called synchronously, in the task that does
the work, at these points of an execution:

- ``execution_started`` when a worker claimed the run and begins (or resumes)
  its function, with a `RunExecution` that can give the run a trace;
- ``step_started`` / ``step_ended`` around every step that runs live (replayed
  steps are not run, so not reported); a wait is reported when it is journaled;
- ``completion_stored`` for each model-call attempt an ``infer`` step stored;
- ``execution_suspended`` when the run parks on a wait, ``execution_ended``
  when it completed, failed, was stopped or handed back.

Nothing is called when no observer is registered, and an observer cannot break
a run: whatever it raises is logged (``agentkit.durable`` logger) and dropped.
Keep callbacks short; they run on the worker's event loop.

`current_run_id` names the run whose execution the calling code belongs to
(the function body, its gather branches, its steps, sync steps in threads).
"""

from __future__ import annotations

import contextvars
import logging
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from agentkit._redact import RedactingFilter
from agentkit.errors import UsageError
from agentkit.store import CompletionRecord, RunRecord, StepKind, StepRecord

if TYPE_CHECKING:
    from agentkit.store import Store

__all__ = [
    "ExecutionOutcome",
    "RunExecution",
    "RunObserver",
    "check_traceparent",
    "current_run_id",
    "notify",
    "start_traceparent",
]

logger = logging.getLogger("agentkit.durable")
logger.addFilter(RedactingFilter())

#: How an execution ended: the run completed or failed; it was stopped (cancelled,
#: lease lost); or this worker handed it back unfinished (shutting down).
ExecutionOutcome = Literal["completed", "failed", "stopped", "released"]

_run_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "agentkit_run_id", default=None
)

_TRACEPARENT = re.compile(r"00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}")


def current_run_id() -> str | None:
    """The id of the run whose execution is running the calling code, else None.

    Set by the engine for the whole execution: the function body, the tasks it
    creates (``asyncio.gather`` branches, ``TaskGroup``), step bodies and the
    threads of sync steps. A child run (``ctx.step.invoke``, an agent called as
    a tool) has its own execution, so its own id.
    """
    return _run_id.get()


def check_traceparent(value: object) -> str:
    """``value`` if it is a W3C traceparent of version 00 with a valid trace id.

    Raises:
        UsageError: naming the value and the expected shape.
    """
    if (
        not isinstance(value, str)
        or _TRACEPARENT.fullmatch(value) is None
        or value[3:35] == "0" * 32
        or value[36:52] == "0" * 16
    ):
        raise UsageError(
            f"traceparent {value!r} is not a W3C traceparent "
            "('00-<32 hex trace id>-<16 hex span id>-<2 hex flags>', ids not all zero)"
        )
    return value


class RunExecution:
    """One execution of a run, as observers see it.

    Attributes:
        run: The run as claimed (its ``traceparent`` kept up to date here).
        number: Which claim of the run this is (1 for the first).
    """

    def __init__(self, run: RunRecord, store: Store) -> None:
        self.run = run
        self.number = run.executions
        self._store = store

    @property
    def run_id(self) -> str:
        """The run's id."""
        return self.run.id

    @property
    def traceparent(self) -> str | None:
        """The W3C traceparent of the run's trace, if it has one yet."""
        return self.run.traceparent

    def set_traceparent(self, traceparent: str) -> str:
        """Store ``traceparent`` on the run unless it has one; return the one it keeps.

        Raises:
            UsageError: ``traceparent`` is not a W3C traceparent.
        """
        check_traceparent(traceparent)
        if self.run.traceparent is None:
            kept = self._store.set_run_traceparent(self.run.id, traceparent)
            self.run.traceparent = kept or traceparent
        return self.run.traceparent


class RunObserver:
    """Called as executions and steps happen; override the callbacks you need.

    Every callback has a default that does nothing. Callbacks run synchronously
    in the engine's task and must not block; an exception is logged, not raised.
    """

    def start_traceparent(self) -> str | None:
        """The traceparent a run started now joins (e.g. the caller's current span)."""
        return None

    def execution_started(self, execution: RunExecution) -> None:
        """A worker begins executing the run (replaying its journal first, if any)."""

    def execution_suspended(self, execution: RunExecution, wait: StepRecord) -> None:
        """The execution ended because the run now waits on ``wait``."""

    def execution_ended(
        self, execution: RunExecution, outcome: ExecutionOutcome, detail: str | None
    ) -> None:
        """The execution ended: ``detail`` is the error JSON (failed) or the stop reason."""

    def step_started(self, run_id: str, key: str, kind: StepKind) -> None:
        """A step begins to run live (it was not in the journal)."""

    def step_ended(self, run_id: str, key: str, record: StepRecord | None) -> None:
        """A live step ended: ``record`` is what the journal holds (attempts, error).

        None when the step ended without an outcome (cancelled, or the run
        suspended in another branch); a wait's record is still ``waiting``.
        """

    def completion_stored(self, completion: CompletionRecord) -> None:
        """An ``infer`` step stored a model-call attempt (success or error)."""


def notify(observers: Sequence[RunObserver], callback: str, *args: Any) -> None:
    """Call ``callback`` on each observer; log and drop whatever one raises."""
    for observer in observers:
        try:
            getattr(observer, callback)(*args)
        except Exception:
            logger.exception("run observer %r failed in %s (ignored)", observer, callback)


def start_traceparent(observers: Sequence[RunObserver]) -> str | None:
    """The first valid traceparent an observer offers for a run started now."""
    for observer in observers:
        try:
            offered = observer.start_traceparent()
            if offered is not None:
                return check_traceparent(offered)
        except Exception:
            logger.exception("run observer %r failed in start_traceparent (ignored)", observer)
    return None
