"""Lease renewal that a blocked event loop cannot stop, and a watch on that loop.

A worker's leases are renewed from a daemon thread, not from a task on its
event loop: an ``async`` step that blocks the loop (``time.sleep`` in an
``async def``, a CPU-bound loop) would otherwise let its leases expire, and
another worker would take the run over and run the step a second time.

The same thread watches the loop: the loop stamps the time a few times per
second, and a stamp that goes stale means something blocks it. The thread then
logs a warning naming the run, the step and the code that blocks, and another
when the loop is back, with how long it was blocked.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
import time
from dataclasses import dataclass
from types import FrameType
from typing import TYPE_CHECKING

from agentkit._redact import RedactingFilter

if TYPE_CHECKING:
    from agentkit.durable._executor import Executor
    from agentkit.durable._kit import AgentKit

logger = logging.getLogger("agentkit.worker")
logger.addFilter(RedactingFilter())

# The modules whose frames hold a step's ``key`` while its body runs.
_STEP_MODULES = frozenset({"agentkit.durable._context", "agentkit.durable._infer"})


#: Leases renewed by one statement.
RENEW_BATCH = 500


def stall_threshold(lease_ttl: float) -> float:
    """How long the loop may be blocked before it is reported: a third of a lease, 0.25-1 s."""
    return max(0.25, min(1.0, lease_ttl / 3))


@dataclass(frozen=True)
class _Blocker:
    """What was running on the loop when it was found blocked."""

    run_id: str | None
    step_key: str | None
    code: str | None

    def describe(self) -> str:
        if self.step_key is None:
            where = "code outside any step"
        else:
            where = f"step {self.step_key!r} of run {self.run_id}"
        return where if self.code is None else f"{where}, in {self.code}"


def _blocker(frame: FrameType | None) -> _Blocker:
    """Find the step (and the user code) a blocked loop thread is running.

    Reads the stack of the loop's thread, innermost first: the first frame
    outside agentkit and asyncio is the code that blocks; the first agentkit
    step frame names the step and its run. Coroutines awaiting each other are
    on one stack while they run, so the step's frame is below the user's.
    """
    code: str | None = None
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module in _STEP_MODULES:
            local = frame.f_locals  # safe: the loop thread is stuck below this frame
            key = local.get("key")
            execution = local.get("ex") or getattr(local.get("self"), "_ex", None)
            run = getattr(execution, "run", None)
            if isinstance(key, str):
                return _Blocker(getattr(run, "id", None), key, code)
        elif code is None and not module.startswith(("agentkit.", "asyncio")):
            name = frame.f_code.co_name
            code = f"{name} ({frame.f_code.co_filename}:{frame.f_lineno})"
        frame = frame.f_back
    return _Blocker(None, None, code)


class LeaseHeartbeat:
    """Renews the leases of a worker's executions from a daemon thread.

    Executors register while they hold a run and unregister before they give it
    up (suspend, finish, release); a stopped executor is never renewed. When a
    lease cannot be renewed (the run was cancelled, or the worker lost it) the
    execution is stopped on its event loop.

    Args:
        kit: the kit whose store and clock to use.
        loop: the worker's event loop.
    """

    def __init__(self, kit: AgentKit, loop: asyncio.AbstractEventLoop) -> None:
        self.kit = kit
        self.loop = loop
        self.renew_every = kit.lease_ttl / 3
        self.stall_after = stall_threshold(kit.lease_ttl)
        self._executors: dict[str, Executor] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._loop_thread = threading.get_ident()
        self._loop_seen = time.monotonic()
        self._stall: tuple[float, _Blocker] | None = None
        self._ticker: asyncio.Task[None] | None = None
        self._thread = threading.Thread(
            target=self._main, name=f"agentkit-heartbeat-{kit.worker_id}", daemon=True
        )

    # -- on the event loop --------------------------------------------------

    def start(self) -> None:
        """Start the thread, and the loop's timestamp task (call on the loop)."""
        self._ticker = asyncio.create_task(self._tick(), name="agentkit-loop-ticker")
        self._thread.start()

    async def stop(self) -> None:
        """Stop the thread and wait for it (call on the loop)."""
        self._stopping.set()
        if self._ticker is not None:
            self._ticker.cancel()
            await asyncio.gather(self._ticker, return_exceptions=True)
        await asyncio.to_thread(self._thread.join)
        # The loop is running again: report a stall that ended too recently for
        # the thread to see it end.
        self._loop_seen = time.monotonic()
        self._watch_loop()

    def add(self, executor: Executor) -> None:
        """Renew ``executor``'s lease until `discard`."""
        with self._lock:
            self._executors[executor.run.id] = executor

    def discard(self, executor: Executor) -> None:
        """Stop renewing ``executor``'s lease (it is giving the run up, or stopped)."""
        with self._lock:
            if self._executors.get(executor.run.id) is executor:
                del self._executors[executor.run.id]

    async def _tick(self) -> None:
        pause = self.stall_after / 4
        while True:
            self._loop_seen = time.monotonic()
            await asyncio.sleep(pause)

    # -- on the thread ------------------------------------------------------

    def _main(self) -> None:
        check = min(self.renew_every, self.stall_after / 2)
        next_renewal = time.monotonic() + self.renew_every
        while not self._stopping.wait(check):
            self._watch_loop()
            if time.monotonic() >= next_renewal:
                next_renewal = time.monotonic() + self.renew_every
                self._renew_all()

    def _renew_all(self) -> None:
        with self._lock:
            executors = list(self._executors.values())
        kit = self.kit
        # One statement per batch: thousands of leases renew in a few transactions.
        for start in range(0, len(executors), RENEW_BATCH):
            if self._stopping.is_set():
                return
            batch = executors[start : start + RENEW_BATCH]
            by_owner: dict[str, list[str]] = {}
            for executor in batch:
                by_owner.setdefault(executor.owner, []).append(executor.run.id)
            renewed: set[str] = set()
            try:
                for owner, run_ids in by_owner.items():
                    renewed |= kit.store.renew_leases(
                        run_ids, owner, kit.clock.now() + kit.lease_ttl
                    )
            except Exception as exc:  # a database hiccup: the next beat tries again
                logger.warning("renewing %d leases failed: %s", len(batch), exc)
                continue
            for executor in batch:
                if executor.run.id not in renewed:
                    self._lost(executor)

    def _lost(self, executor: Executor) -> None:
        """The lease of ``executor``'s run could not be renewed: stop it."""
        kit, run_id = self.kit, executor.run.id
        try:
            current = kit.store.get_run(run_id)
        except Exception as exc:  # a database hiccup: the next beat tries again
            logger.warning("reading run %s after a failed lease renewal failed: %s", run_id, exc)
            return
        with self._lock:
            if self._executors.get(run_id) is not executor:
                return  # it gave the run up while we were renewing
            del self._executors[run_id]
        reason = "cancelled" if current is not None and current.status == "cancelled" else None
        if reason is None:
            logger.warning(
                "run %s: lease lost (another worker took the run over); stopping here", run_id
            )
        try:
            self.loop.call_soon_threadsafe(executor.stop, reason or "lease-lost")
        except RuntimeError:  # the loop has closed: nothing left to stop
            pass

    def _watch_loop(self) -> None:
        now = time.monotonic()
        seen = self._loop_seen
        if now - seen >= self.stall_after:
            if self._stall is None or self._stall[0] != seen:
                frame = sys._current_frames().get(self._loop_thread)
                blocker = _blocker(frame)
                self._stall = (seen, blocker)
                logger.warning(
                    "the event loop has been blocked for %.1f s by %s; leases are still "
                    "renewed, but every other run of this worker is stalled: run blocking "
                    "code in a sync step (it runs in a thread)",
                    now - seen,
                    blocker.describe(),
                )
        elif self._stall is not None:
            started, blocker = self._stall
            self._stall = None
            logger.warning(
                "the event loop was blocked for %.1f s by %s", seen - started, blocker.describe()
            )
