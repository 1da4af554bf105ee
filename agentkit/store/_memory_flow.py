"""Flow control in the in-memory store: the same transitions as `agentkit.store._sql_flow`."""

from __future__ import annotations

import dataclasses
import threading
from collections import Counter
from collections.abc import Collection

from agentkit.store import _flow_rules as flow
from agentkit.store import _rules as rules
from agentkit.store._flow_base import FlowStore
from agentkit.store._records import EventRecord, RunRecord, StepRecord, scrubbed


class InMemoryFlow(FlowStore):
    """`FlowStore` for `InMemoryStore` (mixed in over its dictionaries and lock)."""

    _lock: threading.RLock
    _runs: dict[str, RunRecord]
    _steps: dict[str, dict[str, StepRecord]]
    _events: list[EventRecord]

    def _init_flow(self) -> None:
        self._slots: dict[str, tuple[tuple[str, int], ...]] = {}
        self._cancel_on: list[tuple[str, str, str]] = []  # (run id, event name, match)
        self._flow_state: dict[str, tuple[float, str | None]] = {}

    def _throttled(self, run: RunRecord, plan: flow.FlowPlan) -> RunRecord:
        """The run delayed to its turn under the plan's throttle (moving the key's schedule)."""
        if plan.throttle is None or run.status not in ("queued", "waiting"):
            return run
        key = f"throttle:{plan.throttle.key}"
        tat = self._flow_state.get(key, (0.0, None))[0]
        now = run.created_at
        start, next_tat = flow.throttled_start(tat or None, run.wake_at or now, plan.throttle)
        self._flow_state[key] = (next_tat, None)
        if start > now:
            return dataclasses.replace(run, status="waiting", wake_at=start)
        return run

    def _insert_planned(self, run: RunRecord, plan: flow.FlowPlan) -> None:
        self._runs[run.id] = scrubbed(run)
        self._steps[run.id] = {}
        if plan.slots:
            self._slots[run.id] = plan.slots
        self._cancel_on += [(run.id, name, match) for name, match in plan.cancel_on]

    def _existing(self, run: RunRecord) -> RunRecord | None:
        if run.idempotency_key is None:
            return None
        for existing in self._runs.values():
            if (existing.function_id, existing.idempotency_key) == (
                run.function_id,
                run.idempotency_key,
            ):
                return dataclasses.replace(existing)
        return None

    def create_flow_run(self, run: RunRecord, plan: flow.FlowPlan) -> tuple[RunRecord, bool]:
        run = dataclasses.replace(run, slots=len(plan.slots))
        now = run.created_at
        with self._lock:
            existing = self._existing(run)
            if existing is not None:
                return existing, False
            if plan.debounce is not None:
                key = f"debounce:{plan.debounce.key}"
                first_at, pending_id = self._flow_state.get(key, (0.0, None))
                pending = None if pending_id is None else self._runs.get(pending_id)
                if pending is not None and flow.can_extend_debounce(
                    pending.status, pending.executions
                ):
                    pending.input = run.input
                    pending.wake_at = flow.debounce_deadline(first_at, now, plan.debounce)
                    pending.updated_at = now
                    return dataclasses.replace(pending), False
                wake_at = flow.debounce_deadline(now, now, plan.debounce)
                run = dataclasses.replace(run, status="waiting", wake_at=wake_at)
                self._flow_state[key] = (now, run.id)
            run = self._throttled(run, plan)
            self._insert_planned(run, plan)
            return dataclasses.replace(run), True

    def advance_cron(
        self, schedule_key: str, tick: float, run: RunRecord, plan: flow.FlowPlan
    ) -> RunRecord | None:
        run = dataclasses.replace(run, slots=len(plan.slots))
        key = f"cron:{schedule_key}"
        with self._lock:
            decision = flow.cron_decision(self._flow_state.get(key, (0.0, None))[0] or None, tick)
            if decision == "seen":
                return None
            self._flow_state[key] = (tick, None)
            if decision == "first":
                return None
            self._insert_planned(run, plan)
            return dataclasses.replace(run)

    def cancel_on_waits(self, event_name: str) -> list[tuple[str, str]]:
        with self._lock:
            return [
                (run_id, match)
                for run_id, name, match in self._cancel_on
                if name == event_name and not self._runs[run_id].is_terminal
            ]

    def has_event(self, event_id: str) -> bool:
        with self._lock:
            return any(event.id == event_id for event in self._events)

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
        """Claim due runs holding concurrency slots, within their limits (see `SQLFlow`)."""
        with self._lock:
            executing: Counter[str] = Counter()
            for run_id, slots in self._slots.items():
                run = self._runs[run_id]
                if run.status == "running" and (run.lease_expires_at or 0) >= now:
                    executing.update(key for key, _ in slots)
            due = sorted(
                (
                    run
                    for run in self._runs.values()
                    if run.slots
                    and rules.is_claimable(run, now)
                    and (function_ids is None or run.function_id in function_ids)
                    and (root_run_id is None or root_run_id in (run.id, run.root_run_id))
                ),
                key=lambda r: (flow.claim_order(r.created_at, r.priority), r.id),
            )
            chosen = flow.choose_slotted(
                [(run.id, list(self._slots[run.id])) for run in due], executing, limit
            )
            claimed = []
            for run_id in chosen:
                run = self._runs[run_id]
                for name, value in rules.claimed(run, owner, now, lease_expires_at).items():
                    setattr(run, name, value)
                claimed.append(dataclasses.replace(run))
            return claimed
