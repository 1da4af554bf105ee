"""An in-memory `Store` for unit tests: same contract as `SQLStore`, no database.

It lives in one process and forgets everything when that process ends, so it
cannot survive a crash; use it to test your own functions fast.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Collection
from typing import Any

from agentkit.errors import RunNotFound, TokenNotFound
from agentkit.store import _rules as rules
from agentkit.store._base import Store
from agentkit.store._flow_rules import FlowPlan, claim_order
from agentkit.store._memory_flow import InMemoryFlow
from agentkit.store._memory_rate import InMemoryRates
from agentkit.store._memory_threads import InMemoryThreads
from agentkit.store._records import (
    CompletionRecord,
    EventRecord,
    RunRecord,
    RunStatus,
    StepRecord,
    StepStatus,
    TokenRecord,
    TokenStatus,
    scrub_text,
    scrubbed,
)

__all__ = ["InMemoryStore"]

_copy = dataclasses.replace


def _write(record: object, fields: dict[str, Any]) -> None:
    """Apply the fields a rule of `agentkit.store._rules` says a transition writes."""
    for name, value in fields.items():
        setattr(record, name, value)


class InMemoryStore(InMemoryFlow, InMemoryThreads, InMemoryRates, Store):
    """Dictionaries behind a lock. Records are copied in and out, like rows.

    One lock makes every method one atomic transition, the same guarantee the
    SQL store gets from its transactions and row locks; every record is
    written through `scrubbed`, as the SQL store writes its rows; and what each
    transition writes comes from the rules in `agentkit.store._rules`, which the
    SQL store applies too.
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._runs: dict[str, RunRecord] = {}
        self._steps: dict[str, dict[str, StepRecord]] = {}
        self._tokens: dict[str, TokenRecord] = {}
        self._events: list[EventRecord] = []
        self._completions: dict[str, CompletionRecord] = {}
        self._init_threads()
        self._init_rates()
        self._init_flow()

    # -- runs ---------------------------------------------------------------

    def create_run(self, run: RunRecord) -> tuple[RunRecord, bool]:
        with self._lock:
            if run.idempotency_key is not None:
                for existing in self._runs.values():
                    if (existing.function_id, existing.idempotency_key) == (
                        run.function_id,
                        run.idempotency_key,
                    ):
                        return _copy(existing), False
            self._runs[run.id] = scrubbed(run)
            self._steps[run.id] = {}
            return _copy(self._runs[run.id]), True

    def get_run(self, run_id: str) -> RunRecord | None:
        with self._lock:
            run = self._runs.get(run_id)
            return None if run is None else _copy(run)

    def set_run_traceparent(self, run_id: str, traceparent: str) -> str | None:
        with self._lock:
            run = self._runs.get(run_id)
            if run is None:
                return None
            if run.traceparent is None:
                run.traceparent = traceparent
            return run.traceparent

    def list_runs(
        self,
        *,
        status: RunStatus | None = None,
        function_id: str | None = None,
        parent_run_id: str | None = None,
        limit: int = 50,
    ) -> list[RunRecord]:
        with self._lock:
            runs = [
                _copy(run)
                for run in self._runs.values()
                if (status is None or run.status == status)
                and (function_id is None or run.function_id == function_id)
                and (parent_run_id is None or run.parent_run_id == parent_run_id)
            ]
        runs.sort(key=lambda r: (r.created_at, r.id), reverse=True)
        return runs[:limit]

    def due_run_ids(
        self,
        now: float,
        limit: int,
        *,
        function_ids: Collection[str] | None = None,
        root_run_id: str | None = None,
    ) -> list[str]:
        with self._lock:
            due = [
                run
                for run in self._runs.values()
                if rules.is_claimable(run, now)
                and not run.slots  # claimed apart, within their limits (claim_slotted)
                and (function_ids is None or run.function_id in function_ids)
                and (root_run_id is None or root_run_id in (run.id, run.root_run_id))
            ]
        due.sort(key=lambda r: (claim_order(r.created_at, r.priority), r.id))
        return [run.id for run in due[:limit]]

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
        with self._lock:
            # Slotted runs first, as the SQL store does (their keys bound them).
            claimed = self.claim_slotted(
                owner,
                now,
                lease_expires_at,
                limit,
                function_ids=function_ids,
                root_run_id=root_run_id,
            )
            claimed += super().claim_due_runs(
                owner,
                now,
                lease_expires_at,
                limit - len(claimed),
                function_ids=function_ids,
                root_run_id=root_run_id,
            )
        claimed.sort(key=lambda r: (claim_order(r.created_at, r.priority), r.id))
        return claimed

    def claim_run(
        self, run_id: str, owner: str, now: float, lease_expires_at: float
    ) -> RunRecord | None:
        with self._lock:
            run = self._runs.get(run_id)
            if run is None or not rules.is_claimable(run, now):
                return None
            _write(run, rules.claimed(run, owner, now, lease_expires_at))
            return _copy(run)

    def _held(self, run_id: str, owner: str) -> RunRecord | None:
        run = self._runs.get(run_id)
        return run if rules.is_held_by(run, owner) else None

    def renew_lease(self, run_id: str, owner: str, lease_expires_at: float) -> bool:
        with self._lock:
            run = self._held(run_id, owner)
            if run is not None:
                run.lease_expires_at = lease_expires_at
            return run is not None

    def suspend_run(
        self, run_id: str, owner: str, wake_at: float | None, wake_seq: int, now: float
    ) -> bool:
        with self._lock:
            run = self._held(run_id, owner)
            if run is None or run.wake_seq != wake_seq:
                return False
            _write(run, rules.suspended(wake_at, now))
            return True

    def release_run(self, run_id: str, owner: str, now: float) -> None:
        with self._lock:
            run = self._held(run_id, owner)
            if run is not None:
                _write(run, rules.released(now))

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
        with self._lock:
            run = self._held(run_id, owner)
            if run is None:
                return False
            _write(run, {**rules.ended(status, now), "output": output, "error": error})
            self._close_and_wake(rules.parent_resolution(run, status, output, error), now)
            return True

    def cancel_run(self, run_id: str, now: float) -> bool:
        with self._lock:
            top = self._runs.get(run_id)
            if top is None or top.is_terminal:
                return False
            family = set(rules.family(run_id, self._children_of))
            for member in family:
                run = self._runs[member]
                if not run.is_terminal:
                    _write(run, rules.ended("cancelled", now))
            for token in self._tokens.values():
                if token.run_id in family and token.status == "pending":
                    token.status = rules.TOKEN_STATUS_ON_CANCEL
            self._close_and_wake(rules.parent_resolution(top, "cancelled"), now)
            return True

    def _children_of(self, parents: list[str]) -> list[str]:
        return sorted(r.id for r in self._runs.values() if r.parent_run_id in parents)

    def resume_run(self, run_id: str, now: float) -> RunRecord:
        with self._lock:
            self._resume(run_id, now)
            return _copy(self._runs[run_id])

    def _resume(self, run_id: str, now: float) -> None:
        run = self._runs.get(run_id)
        if run is None:
            raise RunNotFound(run_id)
        rules.check_resumable(run)
        journal = self._steps.setdefault(run_id, {})
        failed = rules.step_to_rerun(run, sorted(journal.values(), key=lambda s: s.seq))
        if failed is not None:
            child = self._runs.get(failed.wait_ref or "") if failed.kind == "invoke" else None
            if child is not None and rules.child_to_resume(failed, child):
                self._resume(child.id, now)
                _write(journal[failed.key], rules.REOPENED_WAIT)
            else:
                del journal[failed.key]
        _write(run, rules.requeued(now))

    # -- journal ------------------------------------------------------------

    def load_journal(self, run_id: str) -> list[StepRecord]:
        with self._lock:
            steps = [_copy(s) for s in self._steps.get(run_id, {}).values()]
        steps.sort(key=lambda s: s.seq)
        return steps

    def append_step(self, step: StepRecord, token: TokenRecord | None = None) -> StepRecord:
        with self._lock:
            journal = self._steps.setdefault(step.run_id, {})
            if step.key in journal:
                return _copy(journal[step.key])
            journal[step.key] = scrubbed(step)
            if token is not None:
                self._tokens[token.token] = scrubbed(token)
            return _copy(journal[step.key])

    def append_completion_step(self, completion: CompletionRecord, step: StepRecord) -> StepRecord:
        with self._lock:
            self.append_completion(completion)
            return self.append_step(step)

    def create_runs(self, runs: list[RunRecord]) -> list[tuple[RunRecord, bool]]:
        with self._lock:
            return [self.create_run(run) for run in runs]

    def start_child(
        self, child: RunRecord, wait: StepRecord, plan: FlowPlan | None = None
    ) -> StepRecord:
        with self._lock:
            existing = self._steps.setdefault(wait.run_id, {}).get(wait.key)
            if existing is not None:
                return _copy(existing)
            child = rules.born(child, self._runs.get(wait.run_id))
            if plan is None:
                self._runs[child.id] = scrubbed(child)
                self._steps[child.id] = {}
            else:
                child = dataclasses.replace(child, slots=len(plan.slots))
                self._insert_planned(self._throttled(child, plan), plan)
            return self.append_step(wait)

    def _close_wait(self, wait: rules.WaitResolution, now: float) -> StepRecord | None:
        step = self._steps.get(wait.run_id, {}).get(wait.step_key)
        if step is None or not rules.is_open(step):
            return None
        _write(step, rules.closed_wait(wait.status, now, wait.output, wait.error))
        return step

    def _close_and_wake(self, wait: rules.WaitResolution | None, now: float) -> bool:
        """Close an open wait and wake its run; False if there was none to close."""
        if wait is None or self._close_wait(wait, now) is None:
            return False
        run = self._runs.get(wait.run_id)
        wake = rules.woken(run, now)
        if run is not None and wake is not None:
            _write(run, wake)
        return True

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
        with self._lock:
            step = self._close_wait(rules.WaitResolution(run_id, key, status, output, error), now)
            if step is None:
                return None
            for token in self._tokens.values():
                if (token.run_id, token.step_key, token.status) == (run_id, key, "pending"):
                    token.status = rules.TOKEN_STATUS_ON_WAIT_CLOSED
            return _copy(step)

    # -- completions --------------------------------------------------------

    def append_completion(self, completion: CompletionRecord) -> None:
        with self._lock:
            self._completions[completion.id] = scrubbed(completion)

    def get_completion(self, completion_id: str) -> CompletionRecord | None:
        with self._lock:
            found = self._completions.get(completion_id)
            return None if found is None else _copy(found)

    def list_completions(self, run_id: str, step_key: str | None = None) -> list[CompletionRecord]:
        with self._lock:
            found = [
                _copy(c)
                for c in self._completions.values()
                if c.run_id == run_id and (step_key is None or c.step_key == step_key)
            ]
        found.sort(key=lambda c: (c.created_at, c.attempt))
        return found

    # -- tokens -------------------------------------------------------------

    def get_token(self, token: str) -> TokenRecord | None:
        with self._lock:
            record = self._tokens.get(token)
            return None if record is None else _copy(record)

    def list_tokens(
        self, *, status: TokenStatus | None = None, run_id: str | None = None, limit: int = 100
    ) -> list[TokenRecord]:
        with self._lock:
            tokens = [
                _copy(t)
                for t in self._tokens.values()
                if (status is None or t.status == status) and (run_id is None or t.run_id == run_id)
            ]
        tokens.sort(key=lambda t: t.created_at, reverse=True)
        return tokens[:limit]

    def complete_token(self, token: str, payload: str, now: float) -> TokenRecord:
        payload = scrub_text(payload) or payload
        with self._lock:
            record = self._tokens.get(token)
            if record is None:
                raise TokenNotFound(token)
            rules.check_token_completable(record, self._runs.get(record.run_id), now)
            rules.check_wait_open(record, self._steps.get(record.run_id, {}).get(record.step_key))
            _write(record, rules.completed_token(payload, now))
            self._close_and_wake(rules.token_resolution(record, payload), now)
            return _copy(record)

    # -- events -------------------------------------------------------------

    def record_event(self, event: EventRecord, matches: Callable[[StepRecord], bool]) -> list[str]:
        woken: list[str] = []
        event = scrubbed(event)
        with self._lock:
            self._events.append(event)
            for journal in self._steps.values():
                for step in journal.values():
                    if not rules.waits_for_event(step, event.name) or not matches(_copy(step)):
                        continue
                    resolution = rules.WaitResolution(
                        step.run_id, step.key, "completed", event.as_step_output()
                    )
                    if self._close_and_wake(resolution, event.received_at):
                        woken.append(step.run_id)
        return woken

    # -- forks (a new run from a copy of another's journal prefix) ----------

    def create_forked_run(self, run: RunRecord, journal: list[StepRecord]) -> RunRecord:
        with self._lock:
            self._runs[run.id] = scrubbed(run)
            self._steps[run.id] = {step.key: scrubbed(step) for step in journal}
            return _copy(self._runs[run.id])
