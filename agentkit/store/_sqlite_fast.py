"""The SQLite file store's hot path: raw DBAPI statements on one connection per thread.

Appending a step, storing a completion with its journal entry, creating runs and
finishing a run are what every durable run does, thousands of times a second
under load. SQLAlchemy still compiles each statement (from the same tables as
everywhere else, so the schema has one source of truth); only the
per-transaction machinery (pool checkout, events, result wrapping) is skipped,
which on SQLite costs more than the statement itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import sqlite3
import threading
import weakref
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from functools import partial
from typing import Any, TypeVar

from sqlalchemy import Engine, Table, bindparam, insert, select, update

from agentkit.store._group_commit import GroupCommitter, Work
from agentkit.store._records import CompletionRecord, RunRecord, StepRecord, TokenRecord
from agentkit.store._sqlite_fast_tokens import SQLiteTokenPath

T = TypeVar("T")

_STEP_FIELDS = [f.name for f in dataclasses.fields(StepRecord)]
_COMPLETION_FIELDS = [f.name for f in dataclasses.fields(CompletionRecord)]
_RUN_FIELDS = [f.name for f in dataclasses.fields(RunRecord)]
_TOKEN_FIELDS = [f.name for f in dataclasses.fields(TokenRecord)]


class _Insert:
    """An INSERT compiled once, with the order its positional parameters take."""

    def __init__(
        self, table: Table, engine: Engine, fields: list[str], *, ignore_conflict: bool = False
    ) -> None:
        compiled = insert(table).compile(dialect=engine.dialect, column_keys=fields)
        self.sql = str(compiled)
        if ignore_conflict:
            self.sql += " ON CONFLICT DO NOTHING"
        self.order = list(compiled.positiontup or [])

    def params(self, row: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(row[name] for name in self.order)


class _Compiled:
    """A Core statement compiled once; executed with a dict of its bind parameters."""

    def __init__(self, statement: Any, engine: Engine) -> None:
        self._compiled = statement.compile(dialect=engine.dialect)
        self.sql = str(self._compiled)
        self._order = list(self._compiled.positiontup or [])

    def params(self, values: dict[str, Any]) -> tuple[Any, ...]:
        bound = self._compiled.construct_params(values)
        return tuple(bound[name] for name in self._order)


class SQLiteFastPath(SQLiteTokenPath):
    """Hot statements of one SQLite file, each in its own short write transaction."""

    def __init__(
        self,
        engine: Engine,
        database: str,
        runs: Table,
        steps: Table,
        completions: Table,
        tokens: Table,
    ) -> None:
        self._insert_token = _Insert(tokens, engine, _TOKEN_FIELDS)
        self._token_sql = str(
            select(*[tokens.c[name] for name in _TOKEN_FIELDS])
            .where(tokens.c.token == bindparam("token"))
            .compile(dialect=engine.dialect)
        )
        # Parks a running run (the SQL of `rules.suspended`), only while its
        # owner holds it and no wake-up arrived since the claim.
        self._suspend = _Compiled(
            update(runs)
            .where(
                runs.c.id == bindparam("run_id"),
                runs.c.lease_owner == bindparam("owner"),
                runs.c.status == "running",
                runs.c.wake_seq == bindparam("seq"),
            )
            .values(
                status="waiting",
                wake_at=bindparam("wake"),
                lease_owner=None,
                lease_expires_at=None,
                updated_at=bindparam("now"),
            ),
            engine,
        )
        self._insert_step = _Insert(steps, engine, _STEP_FIELDS)
        self._insert_step_or_keep = _Insert(steps, engine, _STEP_FIELDS, ignore_conflict=True)
        self._insert_completion = _Insert(completions, engine, _COMPLETION_FIELDS)
        self._insert_run = _Insert(runs, engine, _RUN_FIELDS)
        self._journal_sql = str(
            select(*[steps.c[name] for name in _STEP_FIELDS])
            .where(steps.c.run_id == bindparam("run_id"))
            .order_by(steps.c.seq)
            .compile(dialect=engine.dialect)
        )
        self._completion_sql = str(
            select(*[completions.c[name] for name in _COMPLETION_FIELDS])
            .where(completions.c.id == bindparam("id"))
            .compile(dialect=engine.dialect)
        )
        # Ends a run that is not a child (a child's end resolves its parent's
        # wait, which the general path does): held by the owner, still running.
        finish = (
            update(runs)
            .where(
                runs.c.id == bindparam("run_id"),
                runs.c.lease_owner == bindparam("owner"),
                runs.c.status == "running",
                runs.c.parent_run_id.is_(None),
            )
            .values(
                status=bindparam("new_status"),
                ended_at=bindparam("now"),
                updated_at=bindparam("now"),
                wake_at=None,
                lease_owner=None,
                lease_expires_at=None,
                output=bindparam("output"),
                error=bindparam("error"),
            )
            .compile(dialect=engine.dialect)
        )
        self._finish = finish
        self._finish_sql = str(finish)
        self._finish_order = list(finish.positiontup or [])
        self._database = database
        self.group = GroupCommitter(partial(open_connection, database))
        self._local = threading.local()
        self._opened: weakref.WeakSet[_Connection] = weakref.WeakSet()
        self._lock = threading.Lock()
        self._init_token_path(engine, runs, steps, tokens)

    def _connection(self) -> sqlite3.Connection:
        held: _Connection | None = getattr(self._local, "conn", None)
        if held is None:
            held = _Connection(self._database)
            self._local.conn = held
            with self._lock:
                self._opened.add(held)
        return held.conn

    def _write(self, work: Callable[[Any], T]) -> T:
        """Run ``work(cursor)`` in one ``BEGIN IMMEDIATE`` transaction."""
        cursor = self._connection().cursor()
        try:
            cursor.execute("BEGIN IMMEDIATE")
            try:
                result = work(cursor)
            except BaseException:
                cursor.execute("ROLLBACK")
                raise
            cursor.execute("COMMIT")
            return result
        finally:
            cursor.close()

    def insert_step(self, row: dict[str, Any]) -> bool:
        """Insert one step in its own transaction; False on a key conflict."""
        try:
            self._write(lambda c: c.execute(self._insert_step.sql, self._insert_step.params(row)))
        except sqlite3.IntegrityError:
            return False
        return True

    def insert_step_and_token(self, step: dict[str, Any], token: dict[str, Any]) -> bool:
        """Insert a token wait and its token atomically; False on a step key conflict."""

        def work(cursor: Any) -> None:
            cursor.execute(self._insert_step.sql, self._insert_step.params(step))
            cursor.execute(self._insert_token.sql, self._insert_token.params(token))

        try:
            self._write(work)
        except sqlite3.IntegrityError:
            return False
        return True

    def submit_step(self, step: dict[str, Any], token: dict[str, Any] | None) -> Future[None]:
        """Insert a step (and its token) on the group-commit thread.

        The future fails with `sqlite3.IntegrityError` on a step key conflict.
        """
        insert_step, insert_token = self._insert_step, self._insert_token

        def work(cursor: Any) -> None:
            cursor.execute(insert_step.sql, insert_step.params(step))
            if token is not None:
                cursor.execute(insert_token.sql, insert_token.params(token))

        return self.group.submit(work)

    def suspend_run(
        self, run_id: str, owner: str, wake_at: float | None, wake_seq: int, now: float
    ) -> bool:
        params = self._suspend.params(
            {"run_id": run_id, "owner": owner, "seq": wake_seq, "wake": wake_at, "now": now}
        )
        return bool(self._write(lambda c: c.execute(self._suspend.sql, params).rowcount == 1))

    def get_token(self, token: str) -> TokenRecord | None:
        cursor = self._connection().cursor()
        try:
            row = cursor.execute(self._token_sql, (token,)).fetchone()
        finally:
            cursor.close()
        return None if row is None else TokenRecord(*row)

    def insert_completion(self, row: dict[str, Any]) -> None:
        self._write(
            lambda c: c.execute(self._insert_completion.sql, self._insert_completion.params(row))
        )

    def _completion_step(self, completion: dict[str, Any], step: dict[str, Any]) -> Work:
        def work(cursor: Any) -> bool:
            cursor.execute(self._insert_completion.sql, self._insert_completion.params(completion))
            cursor.execute(self._insert_step_or_keep.sql, self._insert_step_or_keep.params(step))
            return bool(cursor.rowcount == 1)

        return work

    def insert_completion_step(self, completion: dict[str, Any], step: dict[str, Any]) -> bool:
        """Insert a completion and the step naming it, atomically.

        False when the step's key was already journaled: the completion is
        stored anyway, the stored step is kept.
        """
        return bool(self._write(self._completion_step(completion, step)))

    def submit_completion_step(
        self, completion: dict[str, Any], step: dict[str, Any]
    ) -> Future[bool]:
        """`insert_completion_step` on the group-commit thread."""
        return self.group.submit(self._completion_step(completion, step))

    def insert_runs(self, rows: Sequence[dict[str, Any]]) -> None:
        """Insert many runs (none with an idempotency key) in one transaction."""
        insert_run = self._insert_run
        self._write(lambda c: c.executemany(insert_run.sql, [insert_run.params(r) for r in rows]))

    def finish_root_run(
        self,
        run_id: str,
        owner: str,
        status: str,
        now: float,
        output: str | None,
        error: str | None,
    ) -> bool:
        """End a run that has no parent, held by ``owner``; False if it is not such a run."""
        values = {
            "run_id": run_id,
            "owner": owner,
            "new_status": status,
            "now": now,
            "output": output,
            "error": error,
        }
        bound = self._finish.construct_params(values)
        params = tuple(bound[name] for name in self._finish_order)
        return bool(self._write(lambda c: c.execute(self._finish_sql, params).rowcount == 1))

    def load_journal(self, run_id: str) -> list[StepRecord]:
        """The run's steps in seq order, in one SELECT (the other half of the hot path)."""
        cursor = self._connection().cursor()
        try:
            return [StepRecord(*row) for row in cursor.execute(self._journal_sql, (run_id,))]
        finally:
            cursor.close()

    def get_completion(self, completion_id: str) -> CompletionRecord | None:
        cursor = self._connection().cursor()
        try:
            row = cursor.execute(self._completion_sql, (completion_id,)).fetchone()
        finally:
            cursor.close()
        return None if row is None else CompletionRecord(*row)

    def close(self) -> None:
        self.group.close()
        with self._lock:
            for held in list(self._opened):
                held.conn.close()
            self._opened.clear()
        self._local = threading.local()


async def step_conflicted(written: Future[None]) -> bool:
    """Await a step write of the group-commit thread; True if its key was already journaled.

    A caller cancelled meanwhile lets the write land first: a run handed back
    at shutdown is then never claimed by another worker before its last step
    is stored (which would run that step again).
    """
    try:
        await asyncio.shield(asyncio.wrap_future(written))
    except sqlite3.IntegrityError:
        return True
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):
            written.result()  # committed within one group; the loop waits that long
        raise
    return False


def open_connection(database: str) -> sqlite3.Connection:
    """A connection with our own BEGIN/COMMIT and the same pragmas as the engine's."""
    conn = sqlite3.connect(database, timeout=30, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


class _Connection:
    """One thread's connection, closed when that thread ends (its locals are freed).

    Opened outside the engine's pool, so that many short-lived threads (a
    thread pool, the lease heartbeat) never exhaust it.
    """

    __slots__ = ("__weakref__", "conn")

    def __init__(self, database: str) -> None:
        self.conn = open_connection(database)

    def __del__(self) -> None:
        self.conn.close()
