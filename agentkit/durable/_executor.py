"""Executes a claimed run: replay from the journal, continue live, record the end.

The executor holds the run's lease while it works; the worker's
`LeaseHeartbeat` thread renews it, so that code blocking the event loop cannot
let it lapse. When the lease cannot be renewed (the run was cancelled, or the
worker lost it) the function's task is cancelled at its next await.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from typing import TYPE_CHECKING, Any

from agentkit._redact import RedactingFilter
from agentkit.durable._context import Context, Steps
from agentkit.durable._execution_state import Execution, Suspended, failure_json, guard_function
from agentkit.durable._heartbeat import LeaseHeartbeat
from agentkit.durable._observers import RunExecution, _run_id, notify
from agentkit.durable._replay import Journal
from agentkit.durable._serde import round_trip
from agentkit.errors import StepFailed
from agentkit.store import RunRecord, StepRecord, database_url_from_env

if TYPE_CHECKING:
    from agentkit.durable._kit import AgentKit
    from agentkit.durable._observers import ExecutionOutcome
    from agentkit.durable._replay import JournalObserver
    from agentkit.durable._worker import Worker

logger = logging.getLogger("agentkit.durable")
logger.addFilter(RedactingFilter())


def _logging_shows(log: logging.Logger, level: int) -> bool:
    """Whether a record at ``level`` on ``log`` reaches a handler that prints it."""
    if not log.isEnabledFor(level):
        return False
    current: logging.Logger | None = log
    while current is not None:
        for handler in current.handlers:
            if not isinstance(handler, logging.NullHandler) and level >= handler.level:
                return True
        current = current.parent if current.propagate else None
    return False


def answer_command(kit: AgentKit, token: str) -> str:
    """The command (or call) that completes ``token`` from outside the run."""
    store = kit.store
    if store.url is None:  # nothing outside this process can reach it
        return f"kit.complete_token({token!r}, data)"
    url = ""
    if store.url != database_url_from_env(None):
        url = f" --database-url '{store.safe_url}'"
    return f"agentkit{url} tokens complete {token} --data '<json>'"


def _only_suspensions(group: BaseExceptionGroup[Any]) -> Suspended | None:
    """A TaskGroup that ended because branches suspended counts as one suspension."""
    suspended, rest = group.split(Suspended)
    if suspended is None:
        return None
    if rest is not None:
        _, other = rest.split(asyncio.CancelledError)
        if other is not None:
            return None
    first = suspended.exceptions[0]
    while isinstance(first, BaseExceptionGroup):
        first = first.exceptions[0]
    return first if isinstance(first, Suspended) else None


class Executor:
    """Runs one claimed run to its next resting point (waiting or ended)."""

    def __init__(
        self,
        kit: AgentKit,
        run: RunRecord,
        owner: str,
        heartbeat: LeaseHeartbeat | None = None,
        worker: Worker | None = None,
        observer: JournalObserver | None = None,
    ) -> None:
        self.kit = kit
        self.observer = observer  # a replay's (`execute_observed`); None for real work
        self.run = run
        self.owner = owner
        # A worker shares one heartbeat among its executions; an executor used
        # on its own (a benchmark, a test) runs its own while it executes.
        self._own_heartbeat = heartbeat is None
        self.heartbeat = heartbeat
        self.worker = worker
        self.execution: Execution | None = None
        self._passes = 0
        # What observers are told about this pass (None when none are registered),
        # and how it ended, told once the branches still running have settled.
        self._seen: RunExecution | None = None
        self._ending: tuple[str, tuple[Any, ...]] | None = None

    async def execute(self) -> None:
        """Execute until the run waits or ends; loop while wake-ups race a suspend."""
        if self._own_heartbeat:
            self.heartbeat = LeaseHeartbeat(self.kit, asyncio.get_running_loop())
            self.heartbeat.start()
        try:
            while True:
                again = await self._execute_once()
                if not again:
                    return
                fresh = self.kit.store.get_run(self.run.id)
                if fresh is None or fresh.status != "running" or fresh.lease_owner != self.owner:
                    return
                self.run = fresh
        finally:
            if self._own_heartbeat and self.heartbeat is not None:
                await self.heartbeat.stop()
                self.heartbeat = None

    def _stop_renewing(self) -> None:
        """Take the lease off the heartbeat: the run is being given up, or stopped."""
        if self.heartbeat is not None:
            self.heartbeat.discard(self)

    def stop(self, reason: Any) -> None:
        """Cancel the function's task (run cancelled, or lease lost)."""
        self._stop_renewing()  # a stopped execution's lease is never renewed
        ex = self.execution
        if ex is not None and ex.main_task is not None and not ex.main_task.done():
            ex.stop_reason = reason
            ex.main_task.cancel()

    async def _execute_once(self) -> bool:
        kit, run = self.kit, self.run
        function = kit.get_function(run.function_id)
        journal = Journal.load(run.id, kit.store.load_journal(run.id), self.observer)
        ex = Execution(
            kit=kit,
            function=function,
            run=run,
            store=kit.store,
            clock=kit.clock,
            journal=journal,
            owner=self.owner,
            fresh=run.executions == 1 and self._passes == 0,
            observers=tuple(kit.observers),
        )
        self._passes += 1
        self._seen, self._ending = None, None
        if ex.observers:
            self._seen = RunExecution(run, kit.store)
            notify(ex.observers, "execution_started", self._seen)
        self.execution = ex
        ctx = Context(run_id=run.id, function_id=function.id, step=Steps(ex, function.retry))
        if self.heartbeat is not None:
            self.heartbeat.add(self)
        try:
            kwargs = function.input_codec.decode(run.input)
            # A BaseException of the body fails the run, not the worker.
            body = guard_function(function.fn(ctx, **kwargs))
            # Every task the body creates is a branch that replay waits for.
            # The run's id for `current_run_id`, in every task of the execution.
            scope = _run_id.set(run.id)
            try:
                ex.main_task = ex.branches.start(body, name=f"run-{run.id}")
            finally:
                _run_id.reset(scope)
            try:
                output = await ex.main_task
            except BaseExceptionGroup as group:
                suspended = _only_suspensions(group)
                if suspended is None:
                    raise
                raise suspended from None
            journal.check_finished()
            output_json, _ = round_trip(
                function.output_adapter, output, f"durable function {function.id!r}"
            )
        except Suspended as signal:
            return self._suspend(ex, signal)
        except asyncio.CancelledError:
            if ex.stop_reason is None:  # the worker itself is shutting down
                self._stop_renewing()
                kit.store.release_run(run.id, self.owner, kit.clock.now())
                logger.info("run %s handed back: this worker is stopping", run.id)
                self._tell_end("released", None)
                raise
            logger.info("run %s stopped: %s", run.id, ex.stop_reason)
            self._tell_end("stopped", ex.stop_reason)
            return False
        except Exception as exc:
            self._fail(exc)
            return False
        finally:
            await self._end_branches(ex)
            self._tell_ending()
        self._stop_renewing()
        kit.store.finish_run(run.id, self.owner, "completed", kit.clock.now(), output=output_json)
        kit._notify()
        logger.info("run %s completed", run.id)
        self._tell_end("completed", None)
        return False

    def _tell_end(self, outcome: ExecutionOutcome, detail: str | None) -> None:
        """Tell observers how the execution ended (once its other branches settled)."""
        if self._seen is not None:
            self._ending = ("execution_ended", (self._seen, outcome, detail))
            if outcome == "completed":  # told after the branches ended already
                self._tell_ending()

    def _tell_ending(self) -> None:
        if self._ending is not None and self.execution is not None:
            callback, args = self._ending
            self._ending = None
            notify(self.execution.observers, callback, *args)

    def _suspend(self, ex: Execution, signal: Suspended) -> bool:
        wait = signal.wait
        kit = self.kit
        self._stop_renewing()
        parked = kit.store.suspend_run(
            self.run.id, self.owner, wait.wake_at, self.run.wake_seq, kit.clock.now()
        )
        if self._seen is not None:
            self._ending = ("execution_suspended", (self._seen, wait))
        if not parked:
            return True
        if wait.kind == "token" and wait.wait_ref is not None:
            self._tell_token_wait(wait, wait.wait_ref)
        else:
            logger.info("run %s waits on %s step %r", self.run.id, wait.kind, wait.key)
        return False

    def _tell_token_wait(self, wait: StepRecord, token: str) -> None:
        """Say once that the run waits for a token, and how to answer it."""
        worker = self.worker
        if worker is not None:
            if token in worker.announced:
                return
            worker.announced.add(token)
        announce = worker is not None and worker.announce_waits
        if not announce and not logger.isEnabledFor(logging.INFO):
            return  # nobody would read it: spare the token's read (one per parked run)
        record = self.kit.store.get_token(token)
        about = f" ({record.description})" if record is not None and record.description else ""
        message = (
            f"run {self.run.id} waits for a token on step {wait.key!r}{about}; "
            f"answer it with: {answer_command(self.kit, token)}"
        )
        logger.info("%s", message)
        if (
            worker is not None
            and worker.announce_waits
            and not _logging_shows(logger, logging.INFO)
        ):
            print(message, file=sys.stderr, flush=True)

    def _fail(self, exc: Exception) -> None:
        kit = self.kit
        # failure_json is total, even when the exception's __str__ raises.
        error = failure_json(exc)
        failure = json.loads(error)
        if isinstance(exc, StepFailed):
            # Names the step that failed the run, which `AgentKit.resume` runs again.
            failure["step"] = exc.step_key
            error = json.dumps(failure)
        logger.warning("run %s failed: %s: %s", self.run.id, failure["type"], failure["message"])
        self._stop_renewing()
        kit.store.finish_run(self.run.id, self.owner, "failed", kit.clock.now(), error=error)
        kit._notify()
        self._tell_end("failed", error)

    async def _end_branches(self, ex: Execution) -> None:
        """Stop gather/TaskGroup branches still running after the function ended.

        Steps already running in other branches are let finish first, so their
        results are journaled rather than thrown away and paid for again (a
        sync step in a thread could not be cancelled anyway). Further step calls
        in those branches see the suspension and stop.
        """
        if ex.live_steps and ex.stop_reason is None:
            await ex.steps_settled.wait()
        pending = [task for task in ex.tasks if not task.done()]
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
