"""Executes a claimed run: replay from the journal, continue live, record the end.

The executor holds the run's lease while it works and renews it from a
heartbeat task. When the lease cannot be renewed (the run was cancelled, or the
worker stalled so long that another one took over) the function's task is
cancelled at its next await.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from typing import TYPE_CHECKING, Any

from agentkit.durable._context import Context, Steps
from agentkit.durable._execution import Execution, Suspended
from agentkit.durable._replay import Journal
from agentkit.durable._serde import round_trip
from agentkit.errors import AgentkitError
from agentkit.store import RunRecord
from agentkit.store._records import error_json

if TYPE_CHECKING:
    from agentkit.durable._kit import AgentKit

logger = logging.getLogger("agentkit.durable")


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

    def __init__(self, kit: AgentKit, run: RunRecord, owner: str) -> None:
        self.kit = kit
        self.run = run
        self.owner = owner
        self.execution: Execution | None = None

    async def execute(self) -> None:
        """Execute until the run waits or ends; loop while wake-ups race a suspend."""
        while True:
            again = await self._execute_once()
            if not again:
                return
            fresh = self.kit.store.get_run(self.run.id)
            if fresh is None or fresh.status != "running" or fresh.lease_owner != self.owner:
                return
            self.run = fresh

    def stop(self, reason: Any) -> None:
        """Cancel the function's task (run cancelled, or lease lost)."""
        ex = self.execution
        if ex is not None and ex.main_task is not None and not ex.main_task.done():
            ex.stop_reason = reason
            ex.main_task.cancel()

    async def _execute_once(self) -> bool:
        kit, run = self.kit, self.run
        function = kit.get_function(run.function_id)
        journal = Journal.load(run.id, kit.store.load_journal(run.id))
        ex = Execution(
            kit=kit,
            function=function,
            run=run,
            store=kit.store,
            clock=kit.clock,
            journal=journal,
            owner=self.owner,
        )
        self.execution = ex
        ctx = Context(run_id=run.id, function_id=function.id, step=Steps(ex, function.retry))
        heartbeat = asyncio.create_task(self._heartbeat(), name=f"agentkit-heartbeat-{run.id}")
        try:
            kwargs = function.input_codec.decode(run.input)
            ex.main_task = asyncio.create_task(function.fn(ctx, **kwargs), name=f"run-{run.id}")
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
                kit.store.release_run(run.id, self.owner, kit.clock.now())
                raise
            logger.info("run %s stopped: %s", run.id, ex.stop_reason)
            return False
        except Exception as exc:
            self._fail(exc)
            return False
        finally:
            heartbeat.cancel()
            await self._end_branches(ex)
        kit.store.finish_run(run.id, self.owner, "completed", kit.clock.now(), output=output_json)
        kit._notify()
        logger.info("run %s completed", run.id)
        return False

    def _suspend(self, ex: Execution, signal: Suspended) -> bool:
        wait = signal.wait
        kit = self.kit
        parked = kit.store.suspend_run(
            self.run.id, self.owner, wait.wake_at, self.run.wake_seq, kit.clock.now()
        )
        if parked:
            logger.info("run %s waits on %s step %r", self.run.id, wait.kind, wait.key)
        return not parked

    def _fail(self, exc: Exception) -> None:
        kit = self.kit
        detail = "".join(traceback.format_exception(exc))
        error = error_json(type(exc).__name__, str(exc), traceback=detail)
        if not isinstance(exc, AgentkitError):
            logger.warning("run %s failed: %s: %s", self.run.id, type(exc).__name__, exc)
        kit.store.finish_run(self.run.id, self.owner, "failed", kit.clock.now(), error=error)
        kit._notify()

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

    async def _heartbeat(self) -> None:
        kit = self.kit
        interval = kit.lease_ttl / 3
        while True:
            await asyncio.sleep(interval)
            renewed = kit.store.renew_lease(
                self.run.id, self.owner, kit.clock.now() + kit.lease_ttl
            )
            if not renewed:
                current = kit.store.get_run(self.run.id)
                reason = "cancelled" if current and current.status == "cancelled" else "lease-lost"
                self.stop(reason)
                return
