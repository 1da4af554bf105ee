"""The worker loop: claim due runs and execute them, up to a concurrency limit.

Due runs are queued runs, waiting runs whose timer passed, and running runs whose
lease expired. The loop wakes on a poll interval, when one of its executions
finishes, and at once when this process starts a run, completes a token, sends
an event or cancels a run. On a store that can tell (PostgreSQL, by
``LISTEN/NOTIFY``: `Store.watch_due`) it also wakes at once when another
process makes a run due; polling remains for timers, expired leases and stores
that cannot tell.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from agentkit._redact import RedactingFilter
from agentkit.durable._executor import Executor
from agentkit.durable._gc import relaxed_gc
from agentkit.durable._heartbeat import LeaseHeartbeat
from agentkit.durable._triggers import fire_cron_ticks

if TYPE_CHECKING:
    from agentkit.durable._kit import AgentKit

# Silent unless the application configures logging (the library convention);
# `agentkit worker -v` does. Records are scrubbed of registered secrets.
logging.getLogger("agentkit").addHandler(logging.NullHandler())
logger = logging.getLogger("agentkit.worker")
logger.addFilter(RedactingFilter())

#: Runs one worker executes at once unless told otherwise. Agents spend their
#: time waiting for models and tools, not on the CPU, and a waiting run holds
#: only a task and its locals (a few KB), so the default is sized for I/O-bound
#: work; lower it for CPU-bound steps.
DEFAULT_CONCURRENCY = 1000
# After a slot frees, how long to let others free before claiming again.
CLAIM_GATHER_DELAY = 0.005


class Worker:
    """Executes due runs of the functions registered on ``kit``.

    Args:
        kit: the kit whose store and functions to use.
        concurrency: runs executed at once (default `DEFAULT_CONCURRENCY`).
        poll_interval: seconds between looks at the store when nothing happens.
        root_run_id: only this run and its descendants (used by `AgentKit.run`).
        announce_waits: also say on stderr, when it is a terminal, that a run
            waits for a token and how to answer it (default: when ``root_run_id``
            is given, i.e. for `AgentKit.run`; never twice for one token, and
            not when agentkit's logging already shows it).
    """

    def __init__(
        self,
        kit: AgentKit,
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        poll_interval: float = 0.5,
        root_run_id: str | None = None,
        announce_waits: bool | None = None,
    ) -> None:
        self.kit = kit
        self.concurrency = concurrency
        self.poll_interval = poll_interval
        self.root_run_id = root_run_id
        self.active: dict[str, asyncio.Task[None]] = {}
        if announce_waits is None:
            announce_waits = root_run_id is not None and sys.stderr.isatty()
        self.announce_waits = announce_waits
        # Tokens whose wait this worker has already told about.
        self.announced: set[str] = set()
        self._heartbeat: LeaseHeartbeat | None = None
        self._freed = asyncio.Event()  # an execution ended: a slot is free
        self._cron_seen: dict[str, float] = {}  # the latest tick handed to the store

    async def run(
        self, *, stop_when_idle: bool = False, until: Callable[[], bool] | None = None
    ) -> None:
        """Loop until ``until()`` is true, or (``stop_when_idle``) nothing is due or running."""
        with relaxed_gc(self.concurrency):
            await self._run(stop_when_idle, until)

    async def _run(self, stop_when_idle: bool, until: Callable[[], bool] | None) -> None:
        wake = asyncio.Event()
        self.kit._wakers.add(wake)
        loop = asyncio.get_running_loop()
        self._heartbeat = LeaseHeartbeat(self.kit, loop)
        self._heartbeat.start()
        unwatch = self.kit.store.watch_due(functools.partial(_set_from_thread, loop, wake))
        try:
            while True:
                wake.clear()
                claimed = self._claim_due()
                if until is not None and until():
                    return
                if stop_when_idle and not self.active and not claimed:
                    return
                await self._idle(wake)
        finally:
            self.kit._wakers.discard(wake)
            try:
                await self._shutdown()
            finally:
                if unwatch is not None:
                    await asyncio.to_thread(unwatch)
                await self._heartbeat.stop()

    def _claim_due(self) -> int:
        kit = self.kit
        free = self.concurrency - len(self.active)
        if free <= 0:
            return 0
        now = kit.clock.now()
        if self.root_run_id is None:
            fire_cron_ticks(kit, now, self._cron_seen)
        # One statement claims them all (the store's batch claim), instead of
        # a transaction per run before any of them starts.
        runs = kit.store.claim_due_runs(
            kit.worker_id,
            now,
            now + kit.lease_ttl,
            free,
            function_ids=list(kit.functions),
            root_run_id=self.root_run_id,
        )
        for run in runs:
            if run.id in self.active:
                # Its lease lapsed while this worker still executes it (renewals
                # failed): the claim renewed it; the execution under way goes on.
                continue
            logger.info(
                "claimed run %s (%s), execution %d%s",
                run.id,
                run.function_id,
                run.executions,
                "" if run.executions == 1 else ": replaying its journal",
            )
            assert self._heartbeat is not None, "claims happen inside run()"
            executor = Executor(kit, run, kit.worker_id, self._heartbeat, self)
            task = asyncio.create_task(self._execute(executor), name=f"agentkit-exec-{run.id}")
            self.active[run.id] = task
        return len(runs)

    async def _execute(self, executor: Executor) -> None:
        run_id = executor.run.id
        self.kit._executors[run_id] = executor
        try:
            await executor.execute()
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("executing run %s failed unexpectedly", run_id)
        finally:
            self.kit._executors.pop(run_id, None)
            self.active.pop(run_id, None)
            self._freed.set()

    async def _idle(self, wake: asyncio.Event) -> None:
        # Wait for a notification or a freed slot, not on every active task: with
        # thousands of runs, waiting on each task would cost O(runs) per wake-up.
        freed = self._freed
        freed.clear()
        waiters = [asyncio.ensure_future(wake.wait()), asyncio.ensure_future(freed.wait())]
        try:
            await asyncio.wait(
                waiters, timeout=self.poll_interval, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for waiter in waiters:
                waiter.cancel()
        if freed.is_set() and not wake.is_set():
            # Runs that end together free their slots together: one claim for all.
            await asyncio.sleep(CLAIM_GATHER_DELAY)

    async def _shutdown(self) -> None:
        tasks = list(self.active.values())
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)


def _set_from_thread(loop: asyncio.AbstractEventLoop, wake: asyncio.Event) -> None:
    """Set ``wake`` on ``loop`` from another thread (the store's listener)."""
    try:
        loop.call_soon_threadsafe(wake.set)
    except RuntimeError:  # the loop has closed: nobody is waiting any more
        pass
