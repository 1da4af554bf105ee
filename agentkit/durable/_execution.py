"""State of one execution of a run, shared by its `Context` and the executor.

An execution begins when a worker claims a run and ends when the function
returns, raises, or suspends on a wait. Nothing here outlives it: a later
execution rebuilds all of it from the journal.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from agentkit.durable._clock import Clock
from agentkit.durable._replay import Journal
from agentkit.errors import StepFailed, UsageError
from agentkit.store import RunRecord, StepKind, StepRecord, Store

if TYPE_CHECKING:
    from agentkit.durable._function import DurableFunction
    from agentkit.durable._kit import AgentKit

StopReason = Literal["cancelled", "lease-lost"]

# The step whose body is running in this task, so that nesting is refused and
# ``ctx.step.idempotency_key`` knows where it is.
current_step: contextvars.ContextVar[tuple[str, str] | None] = contextvars.ContextVar(
    "agentkit_current_step", default=None
)

# How many times a new step yields to the event loop so that concurrent branches
# can replay their journaled steps before a divergence is declared.
_QUIESCE_ROUNDS = 50


class Suspended(BaseException):
    """Ends the current execution because the run now waits.

    A `BaseException` so that ``except Exception`` in user code lets it through.
    """

    def __init__(self, wait: StepRecord) -> None:
        super().__init__(f"run waits on step {wait.key!r}")
        self.wait = wait


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
        """Called before a step runs live: refuse it if replay has diverged."""
        if not self.journal.has_unconsumed():
            return
        # Branches of an asyncio.gather may not have replayed their journaled
        # steps yet. Let them run until nothing changes, then judge.
        consumed = -1
        for _ in range(_QUIESCE_ROUNDS):
            if len(self.journal.consumed) == consumed:
                break
            consumed = len(self.journal.consumed)
            await asyncio.sleep(0)
        self.journal.check_new_step(key, kind)

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
