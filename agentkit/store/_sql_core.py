"""The SQL store's shared pieces: its tables, prebuilt statements and row helpers.

Every SQL transition (`SQLStore`, and the batch and fast paths beside it) uses
these: the run lock taken parent before child, the conflict retry for
PostgreSQL, the conversions from rows to records, and `scrubbed_row`, the one
place secrets are removed before a row is written.
"""

from __future__ import annotations

import dataclasses
import functools
import random
import time
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from sqlalchemy import (
    Connection,
    and_,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import (
    DBAPIError,
)

from agentkit.store import _core_tables as core
from agentkit.store import _rules as rules
from agentkit.store._records import (
    RunRecord,
    StepRecord,
    TokenRecord,
    scrubbed_row,
)
from agentkit.store._sql_rate import RATE_TABLES
from agentkit.store._sql_threads import THREAD_TABLES
from agentkit.store._sql_wakeups import notify_due

# The Core copy of the SQLModel tables (see `agentkit.store._core_tables`).
_runs = core.runs
_steps = core.steps
_tokens = core.tokens
_events = core.events
_completions = core.completions
# Flow control's tables (used by `agentkit.store._sql_flow`).
_slots = core.run_slots
_cancel_on = core.cancel_on
_flow_state = core.flow_state
FLOW_TABLES = [_slots, _cancel_on, _flow_state]
_TABLES = [
    _runs,
    _steps,
    _tokens,
    _events,
    _completions,
    *THREAD_TABLES,
    *RATE_TABLES,
    *FLOW_TABLES,
]

_READ_ONLY = "agentkit_read_only"

# Prebuilt statements executed with a parameter dict: SQLAlchemy compiles each
# once, where ``insert(...).values(**row)`` would build new bind parameters per call.
_INSERT_RUN = insert(_runs)
_INSERT_STEP = insert(_steps)
_INSERT_TOKEN = insert(_tokens)
_INSERT_EVENT = insert(_events)
_INSERT_COMPLETION = insert(_completions)


# Every row is written through `scrubbed_row`: the one place where secrets a
# provider echoed back are removed before they reach the database.
_row = scrubbed_row

P = ParamSpec("P")
R = TypeVar("R")

# PostgreSQL aborts one of two transactions that lock the same rows in opposite
# orders (deadlock_detected) or that conflict under SERIALIZABLE. Transitions
# lock runs top-down (parent before child) so this is rare; when it happens the
# whole transaction is simply run again.
_RETRIED_SQLSTATES = frozenset({"40P01", "40001"})
_CONFLICT_ATTEMPTS = 5


def _retry_conflicts(method: Callable[P, R]) -> Callable[P, R]:
    @functools.wraps(method)
    def retrying(*args: P.args, **kwargs: P.kwargs) -> R:
        for attempt in range(1, _CONFLICT_ATTEMPTS + 1):
            try:
                return method(*args, **kwargs)
            except DBAPIError as exc:
                state = getattr(exc.orig, "sqlstate", None)
                if state not in _RETRIED_SQLSTATES or attempt == _CONFLICT_ATTEMPTS:
                    raise
                time.sleep(random.uniform(0, 0.01 * attempt))
        raise AssertionError("unreachable: the last attempt returns or raises")

    return retrying


def _same_key_run(conn: Connection, run: RunRecord) -> RunRecord:
    """The stored run a start with ``run``'s idempotency key ran into."""
    row = conn.execute(
        select(_runs).where(
            _runs.c.function_id == run.function_id,
            _runs.c.idempotency_key == run.idempotency_key,
        )
    ).one()
    return _run(row)


def _lock_run(conn: Connection, run_id: str) -> Any:
    """Read a run and lock its row until the transaction ends (None if there is none).

    Every transition that reads a run's state before changing it takes this
    lock first, so two transitions of one run never both act on the state they
    read. SQLite has no row locks; its write transactions (``BEGIN IMMEDIATE``)
    already run one at a time.
    """
    return conn.execute(select(_runs).where(_runs.c.id == run_id).with_for_update()).first()


def _claimable(now: float) -> Any:
    """SQL twin of `agentkit.store._records.is_claimable`."""
    return or_(
        _runs.c.status == "queued",
        and_(_runs.c.status == "waiting", _runs.c.wake_at <= now),
        and_(_runs.c.status == "running", _runs.c.lease_expires_at < now),
    )


def _claimed(owner: str, now: float, lease_expires_at: float) -> dict[str, Any]:
    """SQL twin of `rules.claimed`: the values a batch claim writes to each run it takes."""
    return {
        "status": "running",
        "lease_owner": owner,
        "lease_expires_at": lease_expires_at,
        "started_at": func.coalesce(_runs.c.started_at, now),
        "executions": _runs.c.executions + 1,
        "updated_at": now,
    }


def _update_run(conn: Connection, run_id: str, fields: dict[str, Any]) -> None:
    """Write the fields a rule of `agentkit.store._rules` says a transition writes."""
    conn.execute(update(_runs).where(_runs.c.id == run_id).values(**fields))


def _close_wait(conn: Connection, wait: rules.WaitResolution, now: float) -> bool:
    """Close the wait if it is still open (the WHERE twin of `rules.is_open`)."""
    result = conn.execute(
        update(_steps)
        .where(
            _steps.c.run_id == wait.run_id,
            _steps.c.key == wait.step_key,
            _steps.c.status == "waiting",
        )
        .values(**rules.closed_wait(wait.status, now, wait.output, wait.error))
    )
    return result.rowcount == 1


def _close_and_wake(conn: Connection, wait: rules.WaitResolution | None, now: float) -> bool:
    """Close an open wait and wake its run; False if there was none to close.

    Callers have locked the waiting run already; it is read again here so the
    wake-up counts from its current state.
    """
    if wait is None or not _close_wait(conn, wait, now):
        return False
    row = _lock_run(conn, wait.run_id)
    wake = rules.woken(None if row is None else _run(row), now)
    if wake is not None:
        _update_run(conn, wait.run_id, wake)
        if wake["status"] == "queued":
            notify_due(conn)
    return True


def _run(row: Any) -> RunRecord:
    return RunRecord(**row._mapping)


_STEP_FIELDS = [f.name for f in dataclasses.fields(StepRecord)]
# Steps are selected in the record's field order so rows become records
# positionally: a journal of 1000 steps loads in a fraction of the keyword path.
_STEP_COLUMNS = [_steps.c[name] for name in _STEP_FIELDS]


def _step(row: Any) -> StepRecord:
    return StepRecord(*row)


def _token(row: Any) -> TokenRecord:
    return TokenRecord(**row._mapping)
