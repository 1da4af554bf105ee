"""Flow control in the SQL store: planned starts, the concurrency-keyed claim, cron ticks.

The worker's batch claim (`SQLFlow.claim_due_runs`) takes runs with slot keys
first (`claim_slotted`), then the others in one statement (`_claim_plain`,
filtered by `plain_runs`), and orders the batch by priority. Slotted claims
take one transaction each that first takes a lock all of them share (SQLite:
the write lock of ``BEGIN IMMEDIATE``; PostgreSQL: a transaction-scoped
advisory lock), then counts the runs executing per slot key, so two workers
can never both take the last slot of a key.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Collection
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import Connection, exists, func, insert, or_, select, text, update
from sqlalchemy.exc import IntegrityError

from agentkit.store import _flow_rules as flow
from agentkit.store._flow_base import FlowStore
from agentkit.store._records import TERMINAL_RUN_STATUSES, RunRecord
from agentkit.store._sql_core import (
    _INSERT_RUN,
    _cancel_on,
    _claimable,
    _claimed,
    _events,
    _flow_state,
    _lock_run,
    _retry_conflicts,
    _row,
    _run,
    _runs,
    _same_key_run,
    _slots,
)
from agentkit.store._sql_dialect import insert_if_absent
from agentkit.store._sql_wakeups import notify_due

# A claimed run's columns in `RunRecord`'s field order: rows become records positionally.
_RUN_COLUMNS = [_runs.c[field.name] for field in dataclasses.fields(RunRecord)]

# The PostgreSQL advisory lock every slotted claim takes (an arbitrary constant).
_SLOT_CLAIM_LOCK = 0x61676B74  # "agkt"


def claim_order() -> Any:
    """The SQL twin of `_flow_rules.claim_order`: due runs ordered by priority-aged creation."""
    return _runs.c.created_at - _runs.c.priority


def plain_runs() -> Any:
    """Runs the batch claim may take in one statement: those holding no concurrency slot."""
    return _runs.c.slots == 0


class SQLFlow(FlowStore):
    """`FlowStore` for `SQLStore` (mixed in, like `SQLThreads`)."""

    is_sqlite: bool

    def _write(self) -> AbstractContextManager[Connection]:
        raise NotImplementedError  # SQLStore's

    def _read(self) -> AbstractContextManager[Connection]:
        raise NotImplementedError  # SQLStore's

    def _state(self, conn: Connection, key: str) -> tuple[float, str | None]:
        """The flow state at ``key`` (0.0, None when new), locked until the transaction ends."""
        insert_if_absent(conn, _flow_state, "key", {"key": key, "value": 0.0, "run_id": None})
        row = conn.execute(
            select(_flow_state.c.value, _flow_state.c.run_id)
            .where(_flow_state.c.key == key)
            .with_for_update()
        ).one()
        return float(row.value), row.run_id

    @staticmethod
    def _set_state(conn: Connection, key: str, value: float, run_id: str | None = None) -> None:
        conn.execute(
            update(_flow_state).where(_flow_state.c.key == key).values(value=value, run_id=run_id)
        )

    def _throttled(self, conn: Connection, run: RunRecord, plan: flow.FlowPlan) -> RunRecord:
        """The run delayed to its turn under the plan's throttle (moving the key's schedule)."""
        if plan.throttle is None or run.status not in ("queued", "waiting"):
            return run
        key = f"throttle:{plan.throttle.key}"
        tat, _ = self._state(conn, key)
        now = run.created_at
        start, next_tat = flow.throttled_start(tat or None, run.wake_at or now, plan.throttle)
        self._set_state(conn, key, next_tat)
        if start > now:
            return dataclasses.replace(run, status="waiting", wake_at=start)
        return run

    @staticmethod
    def _insert_planned(conn: Connection, run: RunRecord, plan: flow.FlowPlan) -> None:
        conn.execute(_INSERT_RUN, _row(run))
        if plan.slots:
            conn.execute(
                insert(_slots),
                [{"run_id": run.id, "slot_key": k, "slot_limit": n} for k, n in plan.slots],
            )
        if plan.cancel_on:
            conn.execute(
                insert(_cancel_on),
                [{"run_id": run.id, "event_name": e, "match": m} for e, m in plan.cancel_on],
            )

    def create_flow_run(self, run: RunRecord, plan: flow.FlowPlan) -> tuple[RunRecord, bool]:
        run = dataclasses.replace(run, slots=len(plan.slots))
        try:
            return self._create_flow_run(run, plan)
        except IntegrityError:
            if run.idempotency_key is None:
                raise
        with self._read() as conn:
            return _same_key_run(conn, run), False

    @_retry_conflicts
    def _create_flow_run(self, run: RunRecord, plan: flow.FlowPlan) -> tuple[RunRecord, bool]:
        now = run.created_at
        with self._write() as conn:
            if plan.debounce is not None:
                key = f"debounce:{plan.debounce.key}"
                first_at, pending_id = self._state(conn, key)
                pending = None if pending_id is None else _lock_run(conn, pending_id)
                if pending is not None and flow.can_extend_debounce(
                    pending.status, pending.executions
                ):
                    wake_at = flow.debounce_deadline(first_at, now, plan.debounce)
                    conn.execute(
                        update(_runs)
                        .where(_runs.c.id == pending_id)
                        .values(input=run.input, wake_at=wake_at, updated_at=now)
                    )
                    folded = dataclasses.replace(
                        _run(pending), input=run.input, wake_at=wake_at, updated_at=now
                    )
                    return folded, False
                wake_at = flow.debounce_deadline(now, now, plan.debounce)
                run = dataclasses.replace(run, status="waiting", wake_at=wake_at)
                self._set_state(conn, key, now, run.id)
            run = self._throttled(conn, run, plan)
            self._insert_planned(conn, run, plan)
            if run.status == "queued":
                notify_due(conn)
        return run, True

    @_retry_conflicts
    def advance_cron(
        self, schedule_key: str, tick: float, run: RunRecord, plan: flow.FlowPlan
    ) -> RunRecord | None:
        run = dataclasses.replace(run, slots=len(plan.slots))
        key = f"cron:{schedule_key}"
        with self._write() as conn:
            last, _ = self._state(conn, key)
            decision = flow.cron_decision(last or None, tick)
            if decision == "seen":
                return None
            self._set_state(conn, key, tick)
            if decision == "first":
                return None
            self._insert_planned(conn, run, plan)
        return run

    def cancel_on_waits(self, event_name: str) -> list[tuple[str, str]]:
        query = (
            select(_cancel_on.c.run_id, _cancel_on.c.match)
            .join(_runs, _runs.c.id == _cancel_on.c.run_id)
            .where(
                _cancel_on.c.event_name == event_name,
                _runs.c.status.not_in(list(TERMINAL_RUN_STATUSES)),
            )
            .order_by(_cancel_on.c.id)
        )
        with self._read() as conn:
            return [(row.run_id, row.match) for row in conn.execute(query)]

    def has_event(self, event_id: str) -> bool:
        with self._read() as conn:
            row = conn.execute(select(_events.c.id).where(_events.c.id == event_id)).first()
        return row is not None

    @_retry_conflicts
    def claim_slotted(
        self,
        owner: str,
        now: float,
        lease_expires_at: float,
        limit: int,
        *,
        function_ids: Collection[str] | None = None,
        root_run_id: str | None = None,
    ) -> list[RunRecord]:
        """Claim up to ``limit`` due runs that hold concurrency slots, within their limits."""
        if limit <= 0:
            return []
        # Most workers have no slotted run due: find out without a write lock.
        with self._read() as conn:
            anything = select(_runs.c.id).where(_runs.c.slots > 0, _claimable(now)).limit(1)
            if conn.execute(anything).first() is None:
                return []
        with self._write() as conn:
            if not self.is_sqlite:
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _SLOT_CLAIM_LOCK})
            executing_rows = conn.execute(
                select(_slots.c.slot_key, func.count(), func.max(_slots.c.slot_limit))
                .join(_runs, _runs.c.id == _slots.c.run_id)
                .where(_runs.c.status == "running", _runs.c.lease_expires_at >= now)
                .group_by(_slots.c.slot_key)
            ).all()
            executing = {key: count for key, count, _ in executing_rows}
            full = [key for key, count, most in executing_rows if count >= most]
            due = (
                select(_runs.c.id)
                .where(_claimable(now), _runs.c.slots > 0)
                .order_by(claim_order(), _runs.c.id)
                .limit(limit * 2 + 16)
            )
            if full:
                held = select(_slots.c.run_id).where(
                    _slots.c.run_id == _runs.c.id, _slots.c.slot_key.in_(full)
                )
                due = due.where(~exists(held))
            if function_ids is not None:
                due = due.where(_runs.c.function_id.in_(list(function_ids)))
            if root_run_id is not None:
                due = due.where(or_(_runs.c.id == root_run_id, _runs.c.root_run_id == root_run_id))
            ids = list(conn.execute(due).scalars())
            if not ids:
                return []
            slots: dict[str, list[tuple[str, int]]] = defaultdict(list)
            for run_id, key, slot_limit in conn.execute(
                select(_slots.c.run_id, _slots.c.slot_key, _slots.c.slot_limit).where(
                    _slots.c.run_id.in_(ids)
                )
            ):
                slots[run_id].append((key, slot_limit))
            chosen = flow.choose_slotted([(i, slots[i]) for i in ids], executing, limit)
            if not chosen:
                return []
            claim = (
                update(_runs)
                .where(_runs.c.id.in_(chosen), _claimable(now))
                .values(**_claimed(owner, now, lease_expires_at))
                .returning(*_runs.c)
            )
            runs = [_run(row) for row in conn.execute(claim)]
        runs.sort(key=lambda run: (flow.claim_order(run.created_at, run.priority), run.id))
        return runs

    def claim_due_runs(
        self,
        owner: str,
        now: float,
        lease_expires_at: float,
        limit: int,
        *,
        function_ids: Collection[str] | None = None,
        root_run_id: str | None = None,
    ) -> list[RunRecord]:
        # Runs holding concurrency slots are claimed apart, within their limits,
        # and first: their keys bound them, where a backlog of others is unbounded.
        runs = self.claim_slotted(
            owner, now, lease_expires_at, limit, function_ids=function_ids, root_run_id=root_run_id
        )
        if len(runs) < limit:
            runs += self._claim_plain(
                owner, now, lease_expires_at, limit - len(runs), function_ids, root_run_id
            )
        runs.sort(key=lambda run: (flow.claim_order(run.created_at, run.priority), run.id))
        return runs

    @_retry_conflicts
    def _claim_plain(
        self,
        owner: str,
        now: float,
        lease_expires_at: float,
        limit: int,
        function_ids: Collection[str] | None,
        root_run_id: str | None,
    ) -> list[RunRecord]:
        due = (
            select(_runs.c.id)
            .where(_claimable(now), plain_runs())
            .order_by(claim_order(), _runs.c.id)
        )
        if function_ids is not None:
            due = due.where(_runs.c.function_id.in_(list(function_ids)))
        if root_run_id is not None:
            due = due.where(or_(_runs.c.id == root_run_id, _runs.c.root_run_id == root_run_id))
        due = due.limit(limit)
        if self.is_sqlite:
            chosen = due.scalar_subquery()
        else:
            # Other workers' claims skip the rows this one is taking. The
            # chosen ids are materialized once: PostgreSQL may otherwise run a
            # LIMIT subquery again per row and claim more than ``limit``.
            locked = due.with_for_update(skip_locked=True).cte("due").prefix_with("MATERIALIZED")
            chosen = select(locked.c.id).scalar_subquery()
        claim = (
            update(_runs)
            .where(_runs.c.id.in_(chosen), _claimable(now))
            .values(**_claimed(owner, now, lease_expires_at))
            .returning(*_RUN_COLUMNS)
        )
        with self._write() as conn:
            return [RunRecord(*row) for row in conn.execute(claim)]
