"""An in-memory `Store` for unit tests: same contract as `SQLStore`, no database.

It lives in one process and forgets everything when that process ends, so it
cannot survive a crash; use it to test your own functions fast.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Collection

from agentkit.errors import RunNotFound, TokenNotFound, TokenRunNotWaiting
from agentkit.store._base import Store
from agentkit.store._records import (
    CompletionRecord,
    EventRecord,
    RunRecord,
    RunStatus,
    StepRecord,
    StepStatus,
    TokenRecord,
    TokenStatus,
    check_resumable,
    check_token_completable,
    error_json,
    is_claimable,
    scrub_text,
    scrubbed,
    step_to_rerun,
)

__all__ = ["InMemoryStore"]

_copy = dataclasses.replace


class InMemoryStore(Store):
    """Dictionaries behind a lock. Records are copied in and out, like rows.

    One lock makes every method one atomic transition, the same guarantee the
    SQL store gets from its transactions and row locks; and every record is
    written through `scrubbed`, as the SQL store writes its rows.
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._runs: dict[str, RunRecord] = {}
        self._steps: dict[str, dict[str, StepRecord]] = {}
        self._tokens: dict[str, TokenRecord] = {}
        self._events: list[EventRecord] = []
        self._completions: dict[str, CompletionRecord] = {}

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
                if is_claimable(run, now)
                and (function_ids is None or run.function_id in function_ids)
                and (root_run_id is None or root_run_id in (run.id, run.root_run_id))
            ]
        due.sort(key=lambda r: (r.created_at, r.id))
        return [run.id for run in due[:limit]]

    def claim_run(
        self, run_id: str, owner: str, now: float, lease_expires_at: float
    ) -> RunRecord | None:
        with self._lock:
            run = self._runs.get(run_id)
            if run is None or not is_claimable(run, now):
                return None
            run.status = "running"
            run.lease_owner = owner
            run.lease_expires_at = lease_expires_at
            run.started_at = now if run.started_at is None else run.started_at
            run.executions += 1
            run.updated_at = now
            return _copy(run)

    def _held(self, run_id: str, owner: str) -> RunRecord | None:
        run = self._runs.get(run_id)
        if run is None or run.status != "running" or run.lease_owner != owner:
            return None
        return run

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
            run.status, run.wake_at, run.updated_at = "waiting", wake_at, now
            run.lease_owner = run.lease_expires_at = None
            return True

    def release_run(self, run_id: str, owner: str, now: float) -> None:
        with self._lock:
            run = self._held(run_id, owner)
            if run is not None:
                run.status, run.updated_at = "queued", now
                run.lease_owner = run.lease_expires_at = None

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
            self._end(run, status, now)
            run.output, run.error = output, error
            if run.parent_run_id is not None and run.parent_step_key is not None:
                step_status: StepStatus = "completed" if status == "completed" else "failed"
                self._close_and_wake(
                    run.parent_run_id, run.parent_step_key, step_status, now, output, error
                )
            return True

    @staticmethod
    def _end(run: RunRecord, status: RunStatus, now: float) -> None:
        run.status, run.ended_at, run.updated_at, run.wake_at = status, now, now, None
        run.lease_owner = run.lease_expires_at = None

    def cancel_run(self, run_id: str, now: float) -> bool:
        with self._lock:
            top = self._runs.get(run_id)
            if top is None or top.is_terminal:
                return False
            family, frontier = {run_id}, {run_id}
            while frontier:
                frontier = {r.id for r in self._runs.values() if r.parent_run_id in frontier}
                family |= frontier
            for member in family:
                run = self._runs[member]
                if not run.is_terminal:
                    self._end(run, "cancelled", now)
            for token in self._tokens.values():
                if token.run_id in family and token.status == "pending":
                    token.status = "cancelled"
            if top.parent_run_id is not None and top.parent_step_key is not None:
                error = error_json("RunCancelledError", f"child run {run_id!r} was cancelled")
                self._close_and_wake(
                    top.parent_run_id, top.parent_step_key, "failed", now, None, error
                )
            return True

    def resume_run(self, run_id: str, now: float) -> RunRecord:
        with self._lock:
            self._resume(run_id, now)
            return _copy(self._runs[run_id])

    def _resume(self, run_id: str, now: float) -> None:
        run = self._runs.get(run_id)
        if run is None:
            raise RunNotFound(run_id)
        check_resumable(run)
        journal = self._steps.setdefault(run_id, {})
        failed = step_to_rerun(run, sorted(journal.values(), key=lambda s: s.seq))
        if failed is not None:
            child = self._runs.get(failed.wait_ref or "") if failed.kind == "invoke" else None
            if child is not None and child.status == "failed":
                self._resume(child.id, now)
                entry = journal[failed.key]
                entry.status, entry.error, entry.output, entry.ended_at = (
                    "waiting",
                    None,
                    None,
                    None,
                )
            else:
                del journal[failed.key]
        run.status, run.updated_at = "queued", now
        run.output = run.error = run.ended_at = run.wake_at = None
        run.lease_owner = run.lease_expires_at = None

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

    def start_child(self, child: RunRecord, wait: StepRecord) -> StepRecord:
        with self._lock:
            existing = self._steps.setdefault(wait.run_id, {}).get(wait.key)
            if existing is not None:
                return _copy(existing)
            parent = self._runs.get(wait.run_id)
            if parent is None or parent.is_terminal:
                # Cancelled while it was starting the child: the child is born
                # cancelled, so no run outlives its cancelled parent.
                child = _copy(child, status="cancelled", ended_at=child.created_at)
            self._runs[child.id] = scrubbed(child)
            self._steps[child.id] = {}
            return self.append_step(wait)

    def _close_wait(
        self,
        run_id: str,
        key: str,
        status: StepStatus,
        now: float,
        output: str | None,
        error: str | None,
    ) -> StepRecord | None:
        step = self._steps.get(run_id, {}).get(key)
        if step is None or step.status != "waiting":
            return None
        step.status, step.ended_at = status, now
        step.output, step.error = scrub_text(output), scrub_text(error)
        return step

    def _wake(self, run_id: str, now: float) -> None:
        run = self._runs.get(run_id)
        if run is None or run.is_terminal:
            return
        run.wake_seq += 1
        run.updated_at = now
        if run.status == "waiting":
            run.status = "queued"

    def _close_and_wake(
        self,
        run_id: str,
        key: str,
        status: StepStatus,
        now: float,
        output: str | None,
        error: str | None,
    ) -> bool:
        if self._close_wait(run_id, key, status, now, output, error) is None:
            return False
        self._wake(run_id, now)
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
            step = self._close_wait(run_id, key, status, now, output, error)
            if step is None:
                return None
            for token in self._tokens.values():
                if (token.run_id, token.step_key, token.status) == (run_id, key, "pending"):
                    token.status = "expired"
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
            check_token_completable(record, self._runs.get(record.run_id), now)
            wait = self._steps.get(record.run_id, {}).get(record.step_key)
            if wait is None or wait.status != "waiting":
                raise TokenRunNotWaiting(
                    f"token for step {record.step_key!r} belongs to run {record.run_id!r}, "
                    "whose wait for it has already ended"
                )
            record.status, record.payload, record.completed_at = "completed", payload, now
            self._close_wait(record.run_id, record.step_key, "completed", now, payload, None)
            self._wake(record.run_id, now)
            return _copy(record)

    # -- events -------------------------------------------------------------

    def record_event(self, event: EventRecord, matches: Callable[[StepRecord], bool]) -> list[str]:
        woken: list[str] = []
        event = scrubbed(event)
        with self._lock:
            self._events.append(event)
            for journal in self._steps.values():
                for step in journal.values():
                    if (step.status, step.kind, step.wait_ref) != ("waiting", "event", event.name):
                        continue
                    if matches(_copy(step)) and self._close_and_wake(
                        step.run_id,
                        step.key,
                        "completed",
                        event.received_at,
                        event.as_step_output(),
                        None,
                    ):
                        woken.append(step.run_id)
        return woken
