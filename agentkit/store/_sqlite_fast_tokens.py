"""The SQLite hot path for reading a run and completing a token.

Completing 10,000 tokens went through the general SQLAlchemy path: eight
statements per token, each with a pool checkout, events and result wrapping,
2.4 ms a token. Here the same transition (the SQL of `SQLStore.complete_token`,
decided by the same `agentkit.store._rules`) runs as raw DBAPI statements,
compiled once from the same tables, in one ``BEGIN IMMEDIATE`` transaction.
SQLite has no row locks: that write transaction already runs alone.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Engine, Table, bindparam, select, update

from agentkit.errors import TokenAlreadyCompleted, TokenNotFound
from agentkit.store import _rules as rules
from agentkit.store._records import RunRecord, StepRecord, TokenRecord

T = TypeVar("T")

_RUN_FIELDS = [f.name for f in dataclasses.fields(RunRecord)]
_STEP_FIELDS = [f.name for f in dataclasses.fields(StepRecord)]
_TOKEN_FIELDS = [f.name for f in dataclasses.fields(TokenRecord)]


class _Statement:
    """A Core statement compiled once, bound by name into its positional order."""

    def __init__(self, statement: Any, engine: Engine) -> None:
        self._compiled = compiled = statement.compile(dialect=engine.dialect)
        self.sql = str(compiled)
        self._order = list(compiled.positiontup or [])

    def params(self, **values: Any) -> tuple[Any, ...]:
        bound = self._compiled.construct_params(values)  # with the statement's literals
        return tuple(bound[name] for name in self._order)


class SQLiteTokenPath:
    """Mixin of `SQLiteFastPath`: `get_run` and `complete_token` on raw statements."""

    _write: Callable[[Callable[[Any], Any]], Any]
    _connection: Callable[[], Any]

    def _init_token_path(self, engine: Engine, runs: Table, steps: Table, tokens: Table) -> None:
        self._run_by_id = _Statement(
            select(*[runs.c[name] for name in _RUN_FIELDS]).where(runs.c.id == bindparam("id")),
            engine,
        )
        self._token_by_value = _Statement(
            select(*[tokens.c[name] for name in _TOKEN_FIELDS]).where(
                tokens.c.token == bindparam("token")
            ),
            engine,
        )
        self._step_by_key = _Statement(
            select(*[steps.c[name] for name in _STEP_FIELDS]).where(
                steps.c.run_id == bindparam("run_id"), steps.c.key == bindparam("key")
            ),
            engine,
        )
        done = rules.completed_token("", 0.0)
        self._complete_token = _Statement(
            update(tokens)
            .where(tokens.c.token == bindparam("token"), tokens.c.status == "pending")
            .values({name: bindparam(f"v_{name}") for name in done}),
            engine,
        )
        closed = rules.closed_wait("completed", 0.0, None, None)
        # The WHERE twin of `rules.is_open` (as `_sql_core._close_wait`).
        self._close_wait = _Statement(
            update(steps)
            .where(
                steps.c.run_id == bindparam("run_id"),
                steps.c.key == bindparam("key"),
                steps.c.status == "waiting",
            )
            .values({name: bindparam(f"v_{name}") for name in closed}),
            engine,
        )
        woken = rules.woken(RunRecord("", "", "waiting", "", 0.0, 0.0), 0.0)
        assert woken is not None
        self._wake = _Statement(
            update(runs)
            .where(runs.c.id == bindparam("id"))
            .values({name: bindparam(f"v_{name}") for name in woken}),
            engine,
        )

    def get_run(self, run_id: str) -> RunRecord | None:
        cursor = self._connection().cursor()
        try:
            row = cursor.execute(self._run_by_id.sql, (run_id,)).fetchone()
        finally:
            cursor.close()
        return None if row is None else RunRecord(*row)

    def complete_token(self, token: str, payload: str, now: float) -> TokenRecord:
        """Complete a pending token and close its wait and wake its run, atomically."""

        def work(cursor: Any) -> TokenRecord:
            row = cursor.execute(self._token_by_value.sql, (token,)).fetchone()
            if row is None:
                raise TokenNotFound(token)
            record = TokenRecord(*row)
            run_row = cursor.execute(self._run_by_id.sql, (record.run_id,)).fetchone()
            run = None if run_row is None else RunRecord(*run_row)
            rules.check_token_completable(record, run, now)
            key = {"run_id": record.run_id, "key": record.step_key}
            wait = cursor.execute(self._step_by_key.sql, self._step_by_key.params(**key))
            wait_row = wait.fetchone()
            rules.check_wait_open(record, None if wait_row is None else StepRecord(*wait_row))
            done = rules.completed_token(payload, now)
            completed = cursor.execute(
                self._complete_token.sql,
                self._complete_token.params(token=token, **_prefixed(done)),
            )
            if completed.rowcount != 1:  # the write transaction makes this unreachable
                raise TokenAlreadyCompleted(
                    f"token for step {record.step_key!r} was already completed"
                )
            wait_done = rules.token_resolution(record, payload)
            closed = rules.closed_wait(wait_done.status, now, wait_done.output, wait_done.error)
            closing = self._close_wait.params(**key, **_prefixed(closed))
            if cursor.execute(self._close_wait.sql, closing).rowcount == 1:
                wake = rules.woken(run, now)
                if wake is not None:
                    cursor.execute(
                        self._wake.sql, self._wake.params(id=record.run_id, **_prefixed(wake))
                    )
            return dataclasses.replace(record, **done)

        result: TokenRecord = self._write(work)
        return result


def _prefixed(values: dict[str, Any]) -> dict[str, Any]:
    return {f"v_{name}": value for name, value in values.items()}
