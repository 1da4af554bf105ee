"""The SQL store: SQLite (embedded default) and PostgreSQL through one code path.

Written against SQLAlchemy Core over the SQLModel tables so that both databases
run the same statements. Every method is one short transaction; the hot path,
`SQLStore.append_step`, is a single INSERT and COMMIT.

SQLite specifics: WAL journal, ``synchronous=NORMAL`` (a killed process loses
nothing; a power cut may lose the last commits), a busy timeout so that several
processes can share one file, and ``BEGIN IMMEDIATE`` for write transactions so
that two writers queue on the lock instead of failing on an upgrade.
"""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    create_engine,
    delete,
    event,
    or_,
    select,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import (
    ArgumentError,
    IntegrityError,
    NoSuchModuleError,
    SQLAlchemyError,
)
from sqlalchemy.pool import StaticPool

from agentkit.errors import ConfigError, RunNotFound, TokenAlreadyCompleted, TokenNotFound
from agentkit.store import _rules as rules
from agentkit.store._base import Store
from agentkit.store._core_tables import metadata
from agentkit.store._flow_rules import FlowPlan
from agentkit.store._records import (
    TERMINAL_RUN_STATUSES,
    CompletionRecord,
    EventRecord,
    RunRecord,
    RunStatus,
    StepRecord,
    StepStatus,
    TokenRecord,
    TokenStatus,
    scrub_text,
)
from agentkit.store._schema import HEAD, check_revision, current_revision, stamp_head, upgrade
from agentkit.store._sql_core import (
    _INSERT_COMPLETION,
    _INSERT_EVENT,
    _INSERT_RUN,
    _INSERT_STEP,
    _INSERT_TOKEN,
    _READ_ONLY,
    _STEP_COLUMNS,
    _TABLES,
    _claimable,
    _close_and_wake,
    _close_wait,
    _completions,
    _lock_run,
    _retry_conflicts,
    _row,
    _run,
    _runs,
    _same_key_run,
    _step,
    _steps,
    _token,
    _tokens,
    _update_run,
)
from agentkit.store._sql_flow import SQLFlow, claim_order
from agentkit.store._sql_rate import SQLRates
from agentkit.store._sql_threads import SQLThreads
from agentkit.store._sql_traces import SQLTraces
from agentkit.store._sql_vectors import SQLVectorSearch
from agentkit.store._sql_wakeups import SQLWakeups, notify_due
from agentkit.store._sqlite_fast import SQLiteFastPath, step_conflicted
from agentkit.store._url import DEFAULT_DATABASE_URL, database_url_from_env

# A claim returns its runs in the record's field order: rows become records
# positionally, without a mapping per row (thousands of runs per claim).

__all__ = ["DEFAULT_DATABASE_URL", "SQLStore", "database_url_from_env"]


class SQLStore(SQLFlow, SQLWakeups, SQLThreads, SQLRates, SQLTraces, SQLVectorSearch, Store):
    """A `Store` on any SQLAlchemy URL; tested on SQLite and PostgreSQL.

    Args:
        url: SQLAlchemy database URL. ``sqlite:///path.db`` creates the parent
            folder; ``sqlite://`` is a private in-memory database;
            ``postgresql+psycopg://...`` needs the ``postgres`` extra.
        create_tables: create the tables of a database that has none.
        auto_migrate: migrate a database made by an older agentkit to this
            one's schema on open; without it such a database is refused with
            a `ConfigError` that says to run ``agentkit db upgrade``.
        check_schema: refuse a database at another schema revision (False
            only to inspect or migrate it, as ``agentkit db`` does).
    """

    def __init__(
        self,
        url: str = DEFAULT_DATABASE_URL,
        *,
        create_tables: bool = True,
        auto_migrate: bool = False,
        check_schema: bool = True,
    ) -> None:
        try:
            parsed = make_url(url)
        except ArgumentError as exc:
            raise ConfigError(f"database URL {url!r} is not a valid SQLAlchemy URL") from exc
        self.url = url
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        shown = parsed.render_as_string(hide_password=True)
        #: The URL with its password hidden, for messages and logs.
        self.safe_url = shown
        in_memory = self.is_sqlite and parsed.database in (None, "", ":memory:")
        # A private in-memory SQLite database is one connection shared by every
        # thread (the lease heartbeat runs in one): transactions take turns on it.
        self._serial: threading.RLock | None = threading.RLock() if in_memory else None
        try:
            self._engine = (
                self._make_engine(parsed.database) if self.is_sqlite else self._other(url)
            )
            self._open_schema(create_tables, auto_migrate, check_schema)
        except SQLAlchemyError as exc:
            reason = getattr(exc, "orig", None) or exc
            raise ConfigError(f"cannot open database {shown}: {reason}") from exc
        except OSError as exc:  # the SQLite file's folder cannot be made
            reason = (
                f"{exc.filename} is not a folder"
                if isinstance(exc, FileExistsError | NotADirectoryError)
                else f"{exc.strerror}: {exc.filename}"
            )
            raise ConfigError(f"cannot open database {shown}: {reason}") from exc
        self._hot: SQLiteFastPath | None = (
            SQLiteFastPath(self._engine, str(parsed.database), _runs, _steps, _completions, _tokens)
            if self.is_sqlite and not in_memory
            else None
        )

    def _open_schema(self, create_tables: bool, auto_migrate: bool, check_schema: bool) -> None:
        """Create a new database's tables, or check (or migrate) an existing one's revision."""
        with self._read() as conn:
            revision = current_revision(conn)
        if revision is None:
            if create_tables:
                with self._write() as conn:
                    metadata.create_all(conn, tables=_TABLES)
                    stamp_head(conn)
            return
        if revision != HEAD and auto_migrate:
            self.upgrade_schema()
        elif check_schema:
            check_revision(revision, str(self.safe_url))

    def schema_revision(self) -> str | None:
        """The database's schema revision (None for a database with no agentkit tables)."""
        with self._read() as conn:
            return current_revision(conn)

    def upgrade_schema(self) -> tuple[str | None, str]:
        """Migrate the database to this agentkit's schema; the revisions before and after."""
        with self._serial or nullcontext():
            return upgrade(self._engine, str(self.safe_url))

    def _make_engine(self, database: str | None) -> Engine:
        if database and database != ":memory:":
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(f"sqlite:///{database}", connect_args={"timeout": 30})
        else:
            engine = create_engine(
                "sqlite://",
                connect_args={"check_same_thread": False},
                poolclass=StaticPool,
            )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            # We issue BEGIN ourselves (below); the driver must not.
            dbapi_conn.isolation_level = None
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            read_only = conn.get_execution_options().get(_READ_ONLY, False)
            conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

        return engine

    @staticmethod
    def _other(url: str) -> Engine:
        try:
            return create_engine(url, pool_pre_ping=True)
        except NoSuchModuleError as exc:
            raise ConfigError(f"database URL {url.split('://', 1)[0]!r}: unknown dialect") from exc
        except ModuleNotFoundError as exc:
            raise ConfigError(
                f"the driver for {url.split('://', 1)[0]!r} is not installed "
                f"({exc.name}); for PostgreSQL install agentkit[postgres]"
            ) from exc

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self._serial or nullcontext(), self._engine.begin() as conn:
            yield conn

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self._serial or nullcontext(), self._engine.connect() as conn:
            conn.execution_options(**{_READ_ONLY: True})
            yield conn

    def close(self) -> None:
        self._close_vectors()
        if self._hot is not None:
            self._hot.close()
        self._engine.dispose()

    # -- runs ---------------------------------------------------------------

    def create_run(self, run: RunRecord) -> tuple[RunRecord, bool]:
        try:
            with self._write() as conn:
                conn.execute(_INSERT_RUN, _row(run))
                notify_due(conn)
            return run, True
        except IntegrityError:
            if run.idempotency_key is None:
                raise
        with self._read() as conn:
            return _same_key_run(conn, run), False

    def create_runs(self, runs: list[RunRecord]) -> list[tuple[RunRecord, bool]]:
        if any(run.idempotency_key is not None for run in runs):
            return super().create_runs(runs)  # each may meet an existing run
        rows = [_row(run) for run in runs]
        if self._hot is not None:
            self._hot.insert_runs(rows)
        elif rows:
            with self._write() as conn:
                conn.execute(_INSERT_RUN, rows)
                notify_due(conn)
        return [(run, True) for run in runs]

    def get_run(self, run_id: str) -> RunRecord | None:
        if self._hot is not None:
            return self._hot.get_run(run_id)
        with self._read() as conn:
            row = conn.execute(select(_runs).where(_runs.c.id == run_id)).first()
        return None if row is None else _run(row)

    def list_runs(
        self,
        *,
        status: RunStatus | None = None,
        function_id: str | None = None,
        parent_run_id: str | None = None,
        limit: int = 50,
    ) -> list[RunRecord]:
        query = select(_runs).order_by(_runs.c.created_at.desc(), _runs.c.id.desc()).limit(limit)
        if status is not None:
            query = query.where(_runs.c.status == status)
        if function_id is not None:
            query = query.where(_runs.c.function_id == function_id)
        if parent_run_id is not None:
            query = query.where(_runs.c.parent_run_id == parent_run_id)
        with self._read() as conn:
            return [_run(row) for row in conn.execute(query)]

    def due_run_ids(
        self,
        now: float,
        limit: int,
        *,
        function_ids: Collection[str] | None = None,
        root_run_id: str | None = None,
    ) -> list[str]:
        query = (
            select(_runs.c.id)
            .where(_claimable(now))
            .order_by(claim_order(), _runs.c.id)
            .limit(limit)
        )
        if function_ids is not None:
            query = query.where(_runs.c.function_id.in_(list(function_ids)))
        if root_run_id is not None:
            query = query.where(or_(_runs.c.id == root_run_id, _runs.c.root_run_id == root_run_id))
        with self._read() as conn:
            return list(conn.execute(query).scalars())

    @_retry_conflicts
    def claim_run(
        self, run_id: str, owner: str, now: float, lease_expires_at: float
    ) -> RunRecord | None:
        with self._write() as conn:
            row = _lock_run(conn, run_id)
            if row is None or not rules.is_claimable(run := _run(row), now):
                return None
            claim = rules.claimed(run, owner, now, lease_expires_at)
            _update_run(conn, run_id, claim)
        return dataclasses.replace(run, **claim)

    def renew_lease(self, run_id: str, owner: str, lease_expires_at: float) -> bool:
        with self._write() as conn:
            result = conn.execute(
                update(_runs)
                .where(
                    _runs.c.id == run_id,
                    _runs.c.lease_owner == owner,
                    _runs.c.status == "running",
                )
                .values(lease_expires_at=lease_expires_at)
            )
        return result.rowcount == 1

    def renew_leases(
        self, run_ids: Collection[str], owner: str, lease_expires_at: float
    ) -> set[str]:
        if not run_ids:
            return set()
        with self._write() as conn:
            renewed = conn.execute(
                update(_runs)
                .where(
                    _runs.c.id.in_(list(run_ids)),
                    _runs.c.lease_owner == owner,
                    _runs.c.status == "running",
                )
                .values(lease_expires_at=lease_expires_at)
                .returning(_runs.c.id)
            )
            return set(renewed.scalars())

    def suspend_run(
        self, run_id: str, owner: str, wake_at: float | None, wake_seq: int, now: float
    ) -> bool:
        if self._hot is not None:
            return self._hot.suspend_run(run_id, owner, wake_at, wake_seq, now)
        with self._write() as conn:
            result = conn.execute(
                update(_runs)
                .where(
                    _runs.c.id == run_id,
                    _runs.c.lease_owner == owner,
                    _runs.c.status == "running",
                    _runs.c.wake_seq == wake_seq,
                )
                .values(**rules.suspended(wake_at, now))
                .returning(_runs.c.slots)
            )
            slots = result.scalar()
            if slots:  # a waiting run holds no concurrency slot: another keyed run may go
                notify_due(conn)
        return slots is not None

    def release_run(self, run_id: str, owner: str, now: float) -> None:
        with self._write() as conn:
            conn.execute(
                update(_runs)
                .where(
                    _runs.c.id == run_id,
                    _runs.c.lease_owner == owner,
                    _runs.c.status == "running",
                )
                .values(**rules.released(now))
            )
            notify_due(conn)

    @_retry_conflicts
    def finish_run(
        self,
        run_id: str,
        owner: str,
        status: RunStatus,
        now: float,
        *,
        output: str | None = None,
        error: str | None = None,
    ) -> bool:
        output, error = scrub_text(output), scrub_text(error)
        if self._hot is not None and self._hot.finish_root_run(
            run_id, owner, status, now, output, error
        ):
            return True  # a run without a parent: nothing else to resolve
        with self._write() as conn:
            parent = conn.execute(
                select(_runs.c.parent_run_id).where(_runs.c.id == run_id)
            ).scalar()
            if parent is not None:
                _lock_run(conn, parent)  # parent before child, like every transition
            row = _lock_run(conn, run_id)
            if row is None or not rules.is_held_by(run := _run(row), owner):
                return False
            _update_run(
                conn, run_id, {**rules.ended(status, now), "output": output, "error": error}
            )
            if run.slots:  # its concurrency slots are free for the next keyed run
                notify_due(conn)
            _close_and_wake(conn, rules.parent_resolution(run, status, output, error), now)
        return True

    @_retry_conflicts
    def cancel_run(self, run_id: str, now: float) -> bool:
        with self._write() as conn:
            parent = conn.execute(
                select(_runs.c.parent_run_id).where(_runs.c.id == run_id)
            ).scalar()
            if parent is not None:
                _lock_run(conn, parent)
            top = _lock_run(conn, run_id)
            if top is None or top.status in TERMINAL_RUN_STATUSES:
                return False
            # Lock the family level by level, top-down, before changing any of it:
            # a child finishing now either commits first (and stays completed) or
            # finds itself cancelled.
            family = rules.family(
                run_id,
                lambda parents: conn.execute(
                    select(_runs.c.id)
                    .where(_runs.c.parent_run_id.in_(parents))
                    .order_by(_runs.c.id)
                    .with_for_update()
                ).scalars(),
            )
            conn.execute(
                update(_runs)
                .where(_runs.c.id.in_(family), _runs.c.status.not_in(TERMINAL_RUN_STATUSES))
                .values(**rules.ended("cancelled", now))
            )
            conn.execute(
                update(_tokens)
                .where(_tokens.c.run_id.in_(family), _tokens.c.status == "pending")
                .values(status=rules.TOKEN_STATUS_ON_CANCEL)
            )
            _close_and_wake(conn, rules.parent_resolution(_run(top), "cancelled"), now)
        return True

    @_retry_conflicts
    def resume_run(self, run_id: str, now: float) -> RunRecord:
        with self._write() as conn:
            self._resume(conn, run_id, now)
            return _run(conn.execute(select(_runs).where(_runs.c.id == run_id)).one())

    def _resume(self, conn: Connection, run_id: str, now: float) -> None:
        row = _lock_run(conn, run_id)
        if row is None:
            raise RunNotFound(run_id)
        run = _run(row)
        rules.check_resumable(run)
        journal = [
            _step(r)
            for r in conn.execute(
                select(*_STEP_COLUMNS).where(_steps.c.run_id == run_id).order_by(_steps.c.seq)
            )
        ]
        failed = rules.step_to_rerun(run, journal)
        if failed is not None:
            at_step = (_steps.c.run_id == run_id, _steps.c.key == failed.key)
            child = None if failed.kind != "invoke" or failed.wait_ref is None else failed.wait_ref
            child_row = None if child is None else _lock_run(conn, child)
            if child_row is not None and rules.child_to_resume(failed, _run(child_row)):
                # The child failed the run: resume it too, and wait for it again,
                # so that its completed steps are kept as well.
                self._resume(conn, child_row.id, now)
                conn.execute(update(_steps).where(*at_step).values(**rules.REOPENED_WAIT))
            else:
                conn.execute(delete(_steps).where(*at_step, _steps.c.status == "failed"))
        result = conn.execute(
            update(_runs)
            .where(_runs.c.id == run_id, _runs.c.status == "failed")
            .values(**rules.requeued(now))
        )
        assert result.rowcount == 1, "the row lock keeps the run failed until now"
        notify_due(conn)

    # -- journal ------------------------------------------------------------

    def load_journal(self, run_id: str) -> list[StepRecord]:
        if self._hot is not None:
            return self._hot.load_journal(run_id)
        with self._read() as conn:
            rows = conn.execute(
                select(*_STEP_COLUMNS).where(_steps.c.run_id == run_id).order_by(_steps.c.seq)
            )
            return [_step(row) for row in rows]

    def append_step(self, step: StepRecord, token: TokenRecord | None = None) -> StepRecord:
        if self._hot is not None:
            written = (
                self._hot.insert_step(_row(step))
                if token is None
                else self._hot.insert_step_and_token(_row(step), _row(token))
            )
            if written:
                return step
            existing = self._get_step(step.run_id, step.key)
            assert existing is not None, "a unique-key conflict implies a stored step"
            return existing
        try:
            with self._write() as conn:
                conn.execute(_INSERT_STEP, _row(step))
                if token is not None:
                    conn.execute(_INSERT_TOKEN, _row(token))
            return step
        except IntegrityError:
            existing = self._get_step(step.run_id, step.key)
            if existing is None:
                raise
            return existing

    async def append_step_async(
        self, step: StepRecord, token: TokenRecord | None = None
    ) -> StepRecord:
        if self._hot is None:
            return self.append_step(step, token)
        written = self._hot.submit_step(_row(step), None if token is None else _row(token))
        if not await step_conflicted(written):
            return step
        existing = self._get_step(step.run_id, step.key)
        assert existing is not None, "a unique-key conflict implies a stored step"
        return existing

    @_retry_conflicts
    def start_child(
        self, child: RunRecord, wait: StepRecord, plan: FlowPlan | None = None
    ) -> StepRecord:
        try:
            with self._write() as conn:
                parent = _lock_run(conn, wait.run_id)
                child = rules.born(child, None if parent is None else _run(parent))
                conn.execute(_INSERT_STEP, _row(wait))
                if plan is None:
                    conn.execute(_INSERT_RUN, _row(child))
                else:
                    child = dataclasses.replace(child, slots=len(plan.slots))
                    self._insert_planned(conn, self._throttled(conn, child, plan), plan)
                notify_due(conn)
            return wait
        except IntegrityError:
            existing = self._get_step(wait.run_id, wait.key)
            if existing is None:
                raise
            return existing

    def _get_step(self, run_id: str, key: str) -> StepRecord | None:
        with self._read() as conn:
            row = conn.execute(
                select(*_STEP_COLUMNS).where(_steps.c.run_id == run_id, _steps.c.key == key)
            ).first()
        return None if row is None else _step(row)

    @_retry_conflicts
    def resolve_wait(
        self,
        run_id: str,
        key: str,
        status: StepStatus,
        now: float,
        *,
        output: str | None = None,
        error: str | None = None,
    ) -> StepRecord | None:
        with self._write() as conn:
            _lock_run(conn, run_id)
            if not _close_wait(conn, rules.WaitResolution(run_id, key, status, output, error), now):
                return None
            conn.execute(
                update(_tokens)
                .where(
                    _tokens.c.run_id == run_id,
                    _tokens.c.step_key == key,
                    _tokens.c.status == "pending",
                )
                .values(status=rules.TOKEN_STATUS_ON_WAIT_CLOSED)
            )
            row = conn.execute(
                select(*_STEP_COLUMNS).where(_steps.c.run_id == run_id, _steps.c.key == key)
            ).one()
        return _step(row)

    # -- completions --------------------------------------------------------

    def append_completion(self, completion: CompletionRecord) -> None:
        if self._hot is not None:
            self._hot.insert_completion(_row(completion))
            return
        with self._write() as conn:
            conn.execute(_INSERT_COMPLETION, _row(completion))

    def append_completion_step(self, completion: CompletionRecord, step: StepRecord) -> StepRecord:
        if self._hot is not None:
            if self._hot.insert_completion_step(_row(completion), _row(step)):
                return step
        else:
            with self._write() as conn:
                conn.execute(_INSERT_COMPLETION, _row(completion))
                try:
                    with conn.begin_nested():
                        conn.execute(_INSERT_STEP, _row(step))
                    return step
                except IntegrityError:
                    pass  # journaled by another worker first; the completion stays
        existing = self._get_step(step.run_id, step.key)
        assert existing is not None, "a unique-key conflict implies a stored step"
        return existing

    async def append_completion_step_async(
        self, completion: CompletionRecord, step: StepRecord
    ) -> StepRecord:
        if self._hot is None:
            return self.append_completion_step(completion, step)
        written = self._hot.submit_completion_step(_row(completion), _row(step))
        # Shielded: a run cancelled meanwhile still keeps the call it paid for.
        if await asyncio.shield(asyncio.wrap_future(written)):
            return step
        existing = self._get_step(step.run_id, step.key)
        assert existing is not None, "a unique-key conflict implies a stored step"
        return existing

    def get_completion(self, completion_id: str) -> CompletionRecord | None:
        if self._hot is not None:
            return self._hot.get_completion(completion_id)
        with self._read() as conn:
            row = conn.execute(
                select(_completions).where(_completions.c.id == completion_id)
            ).first()
        return None if row is None else CompletionRecord(**row._mapping)

    def list_completions(self, run_id: str, step_key: str | None = None) -> list[CompletionRecord]:
        query = (
            select(_completions)
            .where(_completions.c.run_id == run_id)
            .order_by(_completions.c.created_at, _completions.c.attempt)
        )
        if step_key is not None:
            query = query.where(_completions.c.step_key == step_key)
        with self._read() as conn:
            return [CompletionRecord(**row._mapping) for row in conn.execute(query)]

    # -- tokens -------------------------------------------------------------

    def get_token(self, token: str) -> TokenRecord | None:
        if self._hot is not None:
            return self._hot.get_token(token)
        with self._read() as conn:
            row = conn.execute(select(_tokens).where(_tokens.c.token == token)).first()
        return None if row is None else _token(row)

    def list_tokens(
        self, *, status: TokenStatus | None = None, run_id: str | None = None, limit: int = 100
    ) -> list[TokenRecord]:
        query = select(_tokens).order_by(_tokens.c.created_at.desc()).limit(limit)
        if status is not None:
            query = query.where(_tokens.c.status == status)
        if run_id is not None:
            query = query.where(_tokens.c.run_id == run_id)
        with self._read() as conn:
            return [_token(row) for row in conn.execute(query)]

    @_retry_conflicts
    def complete_token(self, token: str, payload: str, now: float) -> TokenRecord:
        payload = scrub_text(payload) or payload
        if self._hot is not None:
            return self._hot.complete_token(token, payload, now)
        by_value = select(_tokens).where(_tokens.c.token == token)
        with self._write() as conn:
            row = conn.execute(by_value).first()
            if row is None:
                raise TokenNotFound(token)
            # With the run locked, no other transition of it (another completion,
            # a timeout, a cancellation) can change the token until we commit;
            # read it again under the lock.
            run_row = _lock_run(conn, row.run_id)
            record = _token(conn.execute(by_value).one())
            rules.check_token_completable(record, None if run_row is None else _run(run_row), now)
            wait = conn.execute(
                select(*_STEP_COLUMNS).where(
                    _steps.c.run_id == record.run_id, _steps.c.key == record.step_key
                )
            ).first()
            rules.check_wait_open(record, None if wait is None else _step(wait))
            done = rules.completed_token(payload, now)
            completed = conn.execute(
                update(_tokens)
                .where(_tokens.c.token == token, _tokens.c.status == "pending")
                .values(**done)
            )
            if completed.rowcount != 1:  # the lock makes this unreachable; keep it so
                raise TokenAlreadyCompleted(
                    f"token for step {record.step_key!r} was already completed"
                )
            _close_and_wake(conn, rules.token_resolution(record, payload), now)
        return dataclasses.replace(record, **done)

    # -- events -------------------------------------------------------------

    @_retry_conflicts
    def record_event(self, event: EventRecord, matches: Callable[[StepRecord], bool]) -> list[str]:
        woken: list[str] = []
        row = _row(event)
        output = EventRecord(**row).as_step_output()
        with self._write() as conn:
            conn.execute(_INSERT_EVENT, row)
            waits = conn.execute(
                select(*_STEP_COLUMNS)
                .where(
                    _steps.c.status == "waiting",
                    _steps.c.kind == "event",
                    _steps.c.wait_ref == event.name,
                )
                .order_by(_steps.c.run_id, _steps.c.seq)
            )
            for wait in [_step(r) for r in waits]:
                if not matches(wait):
                    continue
                # Locked in run-id order: two events never wait on each other.
                _lock_run(conn, wait.run_id)
                resolution = rules.WaitResolution(wait.run_id, wait.key, "completed", output)
                if _close_and_wake(conn, resolution, event.received_at):
                    woken.append(wait.run_id)
        return woken

    # -- forks (a new run from a copy of another's journal prefix) ----------

    def create_forked_run(self, run: RunRecord, journal: list[StepRecord]) -> RunRecord:
        with self._write() as conn:
            conn.execute(_INSERT_RUN, _row(run))
            if journal:
                conn.execute(_INSERT_STEP, [_row(step) for step in journal])
            notify_due(conn)
        return run
