"""Group commit: one database thread runs many callers' writes in one SQLite transaction.

Thousands of runs in one process each journal a step every few hundred
milliseconds. Committed one by one on the event loop, each write costs a
``BEGIN IMMEDIATE`` and a ``COMMIT`` and blocks every other run meanwhile.
Here the event loop hands the write to a dedicated thread and awaits it; the
thread takes every write queued meanwhile and commits them together, each
inside its own savepoint so that one failing write (a key conflict) fails
alone. A caller's future resolves only after the commit that holds its write,
so "written" still means durable, exactly as with a transaction of its own.
"""

from __future__ import annotations

import queue
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

Work = Callable[[sqlite3.Cursor], Any]

#: Writes committed together at most (a bound on one transaction's length).
MAX_GROUP = 512


class GroupCommitter:
    """A thread that owns one SQLite connection and commits queued writes in groups."""

    def __init__(self, connect: Callable[[], sqlite3.Connection]) -> None:
        self._connect = connect
        self._queue: queue.SimpleQueue[tuple[Work, Future[Any]] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def submit(self, work: Work) -> Future[Any]:
        """Queue ``work(cursor)``; the future holds its result once committed."""
        if self._thread is None:
            with self._start_lock:
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._main, name="agentkit-group-commit", daemon=True
                    )
                    self._thread.start()
        future: Future[Any] = Future()
        self._queue.put((work, future))
        return future

    def close(self) -> None:
        """Commit what is queued, then stop the thread."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None

    def _main(self) -> None:
        conn = self._connect()
        try:
            while True:
                first = self._queue.get()
                if first is None:
                    return
                group = [first]
                stop = False
                while len(group) < MAX_GROUP:
                    try:
                        item = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if item is None:
                        stop = True
                        break
                    group.append(item)
                self._commit(conn, group)
                if stop:
                    return
        finally:
            conn.close()

    @staticmethod
    def _commit(conn: sqlite3.Connection, queued: list[tuple[Work, Future[Any]]]) -> None:
        # A write whose caller gave up (cancelled) before it began is not made.
        group = [(work, future) for work, future in queued if future.set_running_or_notify_cancel()]
        if not group:
            return
        outcomes: list[tuple[bool, Any]] = []
        cursor = conn.cursor()
        try:
            cursor.execute("BEGIN IMMEDIATE")
            for work, _ in group:
                cursor.execute("SAVEPOINT agentkit_write")
                try:
                    outcomes.append((True, work(cursor)))
                    cursor.execute("RELEASE agentkit_write")
                except Exception as exc:
                    cursor.execute("ROLLBACK TO agentkit_write")
                    cursor.execute("RELEASE agentkit_write")
                    outcomes.append((False, exc))
            cursor.execute("COMMIT")
        except BaseException as exc:  # the commit itself failed: nothing was written
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            for _, future in group:
                future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        finally:
            cursor.close()
        for (_, future), (ok, value) in zip(group, outcomes, strict=True):
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)
