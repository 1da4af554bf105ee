"""State of one execution of a run, shared by its `Context` and the executor.

An execution begins when a worker claims a run and ends when the function
returns, raises, or suspends on a wait. Nothing here outlives it: a later
execution rebuilds all of it from the journal.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import traceback
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from agentkit.durable._branches import Branches
from agentkit.durable._clock import Clock
from agentkit.durable._observers import notify
from agentkit.durable._replay import Journal
from agentkit.errors import NonDeterminismError, StepFailed, UsageError
from agentkit.store import RunRecord, StepKind, StepRecord, Store
from agentkit.store._records import error_json

if TYPE_CHECKING:
    from agentkit.durable._function import DurableFunction
    from agentkit.durable._kit import AgentKit
    from agentkit.durable._observers import RunObserver

StopReason = Literal["cancelled", "lease-lost"]
T = TypeVar("T")

# The step whose body is running in this task, so that nesting is refused and
# ``ctx.step.idempotency_key`` knows where it is.
current_step: contextvars.ContextVar[tuple[str, str] | None] = contextvars.ContextVar(
    "agentkit_current_step", default=None
)


class Suspended(BaseException):
    """Ends the current execution because the run now waits.

    A `BaseException` so that ``except Exception`` in user code lets it through.
    """

    def __init__(self, wait: StepRecord) -> None:
        super().__init__(f"run waits on step {wait.key!r}")
        self.wait = wait


def is_engine_signal(exc: BaseException) -> bool:
    """Whether ``exc`` is the engine's own control flow, which must pass through a step.

    The engine signals are its suspension (`Suspended`), the cancellation of a
    task the engine is cancelling (run cancelled, lease lost, worker stopping),
    ``GeneratorExit`` (a coroutine being closed) and ``KeyboardInterrupt`` (a
    person stopping the worker: the run is handed back unfinished and the step
    runs again elsewhere). Every other exception, ``SystemExit`` and user
    ``BaseException`` subclasses included, is a failure of the code that raised it.
    """
    if isinstance(exc, Suspended | KeyboardInterrupt | GeneratorExit):
        return True
    if isinstance(exc, asyncio.CancelledError):
        task = asyncio.current_task()
        # A CancelledError raised by user code, with nobody cancelling this
        # task, is the step's own failure, not a cancellation by the engine.
        return task is not None and task.cancelling() > 0
    if isinstance(exc, BaseExceptionGroup) and not isinstance(exc, Exception):
        _, rest = exc.split(lambda e: isinstance(e, Suspended | asyncio.CancelledError))
        return rest is None
    return False


def error_message(exc: BaseException) -> str:
    """``str(exc)``, or a placeholder when the exception cannot describe itself.

    Total: a failure is journaled even when its ``__str__`` raises.
    """
    try:
        return str(exc)
    except KeyboardInterrupt:
        raise
    except BaseException as secondary:  # describing an error must not fail
        return f"<unprintable {type(exc).__name__}: __str__ raised {type(secondary).__name__}>"


def error_traceback(exc: BaseException) -> str:
    """The formatted traceback of ``exc``; never raises."""
    try:
        return "".join(traceback.format_exception(exc))
    except KeyboardInterrupt:
        raise
    except BaseException:  # describing an error must not fail
        return f"{type(exc).__name__}: {error_message(exc)} (traceback could not be formatted)"


class FunctionAborted(Exception):
    """Carries a non-``Exception`` raised by a function body out of its task.

    asyncio re-raises ``SystemExit`` out of the event loop from any task, so a
    ``sys.exit()`` in a function body would stop the worker; user
    ``BaseException`` subclasses would end the task and leave the run running.
    Wrapped in this ``Exception``, they fail the run like any error.
    """

    def __init__(self, original: BaseException) -> None:
        super().__init__(error_message(original))
        self.original = original


def failure_json(exc: BaseException) -> str:
    """The journaled form of a failure (type, message, traceback); never raises."""
    original = exc.original if isinstance(exc, FunctionAborted) else exc
    return error_json(
        type(original).__name__, error_message(original), traceback=error_traceback(original)
    )


async def guard_function(body: Coroutine[Any, Any, T]) -> T:
    """Await a function body; a non-``Exception`` it raises becomes `FunctionAborted`."""
    try:
        return await body
    except Exception:
        raise
    except BaseException as exc:
        if is_engine_signal(exc):
            raise
        raise FunctionAborted(exc) from exc


@dataclass
class Execution:
    """What a `Context` needs to run steps: the run, its journal and services."""

    kit: AgentKit
    function: DurableFunction[..., Any]
    run: RunRecord
    store: Store
    clock: Clock
    journal: Journal
    owner: str
    suspended: StepRecord | None = None
    stop_reason: StopReason | None = None
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)
    main_task: asyncio.Task[Any] | None = None
    live_steps: int = 0
    steps_settled: asyncio.Event = field(default_factory=asyncio.Event)
    branches: Branches = field(default_factory=Branches)
    # New steps parked in before_live, by task; and the divergence once decided.
    new_steps: dict[asyncio.Task[Any] | None, tuple[str, StepKind]] = field(default_factory=dict)
    divergence: NonDeterminismError | None = None
    # True on a run's first claim, first pass: no earlier execution can have
    # stored a completion it did not journal, so ``infer`` need not look.
    fresh: bool = False
    # The kit's observers when the execution began; empty costs one test per step.
    observers: tuple[RunObserver, ...] = ()

    def __post_init__(self) -> None:
        self.journal.on_consume = self.branches.changed

    def step_started(self, key: str, kind: StepKind) -> None:
        """Tell the observers that step ``key`` runs live."""
        notify(self.observers, "step_started", self.run.id, key, kind)

    def step_ended(self, key: str, record: StepRecord | None) -> None:
        """Tell the observers what step ``key`` journaled (None: nothing)."""
        notify(self.observers, "step_ended", self.run.id, key, record)

    def live_step_started(self) -> None:
        self.live_steps += 1
        self.steps_settled.clear()

    def live_step_ended(self) -> None:
        self.live_steps -= 1
        if self.live_steps == 0:
            self.steps_settled.set()

    def enter(self, step_id: str) -> None:
        """Bookkeeping at the start of every ``ctx.step`` call."""
        if not isinstance(step_id, str) or not step_id:
            raise UsageError(f"a step id must be a non-empty string, got {step_id!r}")
        if "#" in step_id:
            # '#n' marks the n-th repeat of an id: "a#1" would be the second call of "a".
            raise UsageError(
                f"step id {step_id!r} contains '#', which step keys reserve for repeats "
                "('read', 'read#1', ...); use another character"
            )
        outer = current_step.get()
        if outer is not None:
            raise UsageError(
                f"step {step_id!r} was called inside step {outer[1]!r}; steps cannot be "
                "nested — call it from the function body instead"
            )
        if self.suspended is not None:
            # A sibling branch already suspended the run: stop this branch too.
            raise Suspended(self.suspended)
        task = asyncio.current_task()
        if task is not None and task is not self.main_task:
            self.tasks.add(task)

    async def before_live(self, key: str, kind: StepKind) -> None:
        """Called before a step runs live: refuse it if replay has diverged.

        While journaled steps remain unreplayed, a new step waits until every
        other branch is at rest (finished, suspended, or itself waiting to run
        a new step) or the journal has been replayed; then the journal decides.
        The verdict does not depend on how the event loop schedules branches,
        nor does its message: it names the new step of the earliest-created
        branch among those parked, and every parked branch raises that one.
        """
        if self.divergence is None and not self.journal.has_unconsumed():
            return
        task = asyncio.current_task()
        self.new_steps[task] = (key, kind)
        try:
            await self.branches.wait_until_decidable(
                lambda: self.divergence is not None or not self.journal.has_unconsumed()
            )
            if self.divergence is None and self.journal.has_unconsumed():
                first = min(self.new_steps, key=self.branches.creation_rank)
                try:
                    self.journal.check_new_step(*self.new_steps[first])
                except NonDeterminismError as error:
                    self.divergence = error
                    self.branches.changed()
        finally:
            del self.new_steps[task]
        if self.divergence is not None:
            found = self.divergence
            raise NonDeterminismError(found.run_id, found.expected, found.actual)

    def suspend(self, wait: StepRecord) -> Suspended:
        """Mark the run as waiting on ``wait``; raise the returned signal."""
        if self.suspended is None:
            self.suspended = wait
        return Suspended(self.suspended)

    def step_failed(self, entry: StepRecord) -> StepFailed:
        """The `StepFailed` a journaled failure raises, the same on every replay."""
        error = json.loads(entry.error or "{}")
        return StepFailed(
            entry.key,
            str(error.get("type", "Error")),
            str(error.get("message", "")),
            entry.attempts,
        )
