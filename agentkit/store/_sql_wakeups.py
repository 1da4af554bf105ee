"""Wake-ups between processes on PostgreSQL: ``NOTIFY`` when a run becomes due, ``LISTEN`` for it.

A transition that makes a run due (a new run, a token completed, an event that
closes a wait, a child that ends and wakes its parent, a resumed or released
run) calls `notify_due` inside its transaction: PostgreSQL delivers the
notification at commit, never for a transaction that rolled back, and folds
repeats within one transaction into one. A worker holds one extra connection
that listens (`DueListener`, a daemon thread) and is told at once, instead of at
its next poll.

Polling stays: it is the only path on SQLite (no ``LISTEN``), it still finds
runs whose timer passed (``ctx.sleep``, timeouts: these are not notified) and
runs whose worker died (their lease expires), and it covers the moments the
listening connection is down (the listener reconnects, then wakes the worker
once for whatever it may have missed).
"""

from __future__ import annotations

import logging
import select
import socket
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Engine

from agentkit._redact import RedactingFilter

logger = logging.getLogger("agentkit.worker")
logger.addFilter(RedactingFilter())

#: The PostgreSQL channel due runs are announced on.
CHANNEL = "agentkit_due"
_NOTIFY = f"NOTIFY {CHANNEL}"
# Seconds between attempts to reconnect a listener whose connection failed.
_RETRY_MIN, _RETRY_MAX = 0.1, 5.0
_KEEPALIVES = {"keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10}


def notify_due(conn: Connection) -> None:
    """Announce, at this transaction's commit, that a run may have become due (PostgreSQL only)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(_NOTIFY)


class DueListener:
    """A daemon thread that ``LISTEN``s on `CHANNEL` and calls ``on_due`` for each notification.

    Notifications that arrive together make one call. ``on_due`` runs on the
    listener's thread and must only hand the news over (e.g.
    ``loop.call_soon_threadsafe(event.set)``).

    Args:
        connect: opens a new psycopg connection (autocommit) to the database.
        on_due: called when a run may have become due.
        where: the database, for log messages (password hidden).
    """

    def __init__(self, connect: Callable[[], Any], on_due: Callable[[], None], where: str) -> None:
        self._connect = connect
        self._on_due = on_due
        self._where = where
        self._stop_rx, self._stop_tx = socket.socketpair()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._main, name="agentkit-listen", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop listening, close the connection and wait for the thread (briefly)."""
        if not self._stopping.is_set():
            self._stopping.set()
            self._stop_tx.send(b"x")
        self._thread.join(timeout=5)
        if not self._thread.is_alive():
            self._stop_rx.close()
            self._stop_tx.close()

    def _main(self) -> None:
        retry = _RETRY_MIN
        failing = False
        while not self._stopping.is_set():
            conn = None
            try:
                conn = self._connect()
                conn.execute(f"LISTEN {CHANNEL}")
                if failing:
                    logger.warning("listening for due runs on %s again", self._where)
                failing, retry = False, _RETRY_MIN
                self._on_due()  # whatever was announced while nobody listened
                self._listen(conn)
            except Exception as exc:  # a database hiccup: poll meanwhile, reconnect
                if not failing:
                    logger.warning(
                        "cannot listen for due runs on %s (%s); polling until it is back",
                        self._where,
                        exc,
                    )
                failing = True
                if self._wait_stop(retry):
                    return
                retry = min(retry * 2, _RETRY_MAX)
            finally:
                if conn is not None:
                    try:
                        conn.close()
                    except Exception:  # closing a broken connection
                        pass

    def _listen(self, conn: Any) -> None:
        pgconn = conn.pgconn
        fd = pgconn.socket
        while True:
            ready, _, _ = select.select([fd, self._stop_rx], [], [])
            if self._stop_rx in ready:
                return
            pgconn.consume_input()  # raises if the server went away
            heard = False
            while pgconn.notifies() is not None:
                heard = True
            if not heard and pgconn.status != 0:  # CONNECTION_OK is 0
                raise ConnectionError("the listening connection broke")
            if heard:
                self._on_due()

    def _wait_stop(self, seconds: float) -> bool:
        ready, _, _ = select.select([self._stop_rx], [], [], seconds)
        return bool(ready) or self._stopping.is_set()


class SQLWakeups:
    """`Store.watch_due` for the `SQLStore`: a `DueListener` on PostgreSQL (psycopg), else None."""

    _engine: Engine
    safe_url: str | None

    def watch_due(self, on_due: Callable[[], None]) -> Callable[[], None] | None:
        engine = self._engine
        if engine.dialect.name != "postgresql" or engine.dialect.driver != "psycopg":
            return None  # SQLite (or another driver): the worker polls
        import psycopg  # the postgres extra, loaded with the engine's dialect

        cargs, cparams = engine.dialect.create_connect_args(engine.url)
        # A connection that only listens sends nothing: TCP keepalives find it
        # dead (a peer gone without a goodbye) so that it is made again.
        cparams = {**_KEEPALIVES, **cparams}

        def connect() -> Any:
            return psycopg.connect(*cargs, **cparams, autocommit=True)

        return DueListener(connect, on_due, str(self.safe_url)).stop
