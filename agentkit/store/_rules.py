"""The run/token/event state machine, written once for every store.

Each rule is plain code over records: whether a transition may happen, and the
fields it writes. A store only finds the records (rows under a lock, or
dictionaries under a lock) and writes the fields back, so the SQL store and the
in-memory store cannot drift apart on what finishing a child, cancelling a
family, completing a token or delivering an event does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from agentkit.errors import TokenAlreadyCompleted, TokenExpired, TokenRunNotWaiting, UsageError
from agentkit.store._records import (
    RunRecord,
    RunStatus,
    StepRecord,
    StepStatus,
    TokenRecord,
    TokenStatus,
    error_json,
    scrub_text,
)

# What becomes of a run's pending tokens when the run is cancelled, and when the
# wait they answer is closed another way (its timeout was seen during replay).
TOKEN_STATUS_ON_CANCEL: TokenStatus = "cancelled"
TOKEN_STATUS_ON_WAIT_CLOSED: TokenStatus = "expired"

# The fields of a wait reopened because the failed child it waited for is resumed.
REOPENED_WAIT: dict[str, Any] = {
    "status": "waiting",
    "output": None,
    "error": None,
    "ended_at": None,
}

# -- runs ---------------------------------------------------------------------


def is_claimable(run: RunRecord, now: float) -> bool:
    """Whether a worker may take this run now.

    Queued runs, waiting runs whose deadline passed, and running runs whose
    lease expired (their worker died) are claimable.
    """
    if run.status == "queued":
        return True
    if run.status == "waiting":
        return run.wake_at is not None and run.wake_at <= now
    if run.status == "running":
        return run.lease_expires_at is not None and run.lease_expires_at < now
    return False


def is_held_by(run: RunRecord | None, owner: str) -> bool:
    """Whether ``owner`` holds the lease of this running run."""
    return run is not None and run.status == "running" and run.lease_owner == owner


def claimed(run: RunRecord, owner: str, now: float, lease_expires_at: float) -> dict[str, Any]:
    """The fields a claim writes: running, leased to ``owner``, one more execution."""
    return {
        "status": "running",
        "lease_owner": owner,
        "lease_expires_at": lease_expires_at,
        "started_at": now if run.started_at is None else run.started_at,
        "executions": run.executions + 1,
        "updated_at": now,
    }


def suspended(wake_at: float | None, now: float) -> dict[str, Any]:
    """The fields a run parked as waiting writes: no lease, woken at ``wake_at``."""
    return {
        "status": "waiting",
        "wake_at": wake_at,
        "lease_owner": None,
        "lease_expires_at": None,
        "updated_at": now,
    }


def released(now: float) -> dict[str, Any]:
    """The fields a run given back by a stopping worker writes: queued, no lease."""
    return {"status": "queued", "lease_owner": None, "lease_expires_at": None, "updated_at": now}


def ended(status: RunStatus, now: float) -> dict[str, Any]:
    """The fields a run that ends (finished or cancelled) writes: no lease, no deadline."""
    return {
        "status": status,
        "ended_at": now,
        "updated_at": now,
        "wake_at": None,
        "lease_owner": None,
        "lease_expires_at": None,
    }


def requeued(now: float) -> dict[str, Any]:
    """The fields a resumed run writes: queued again, its outcome forgotten."""
    return {
        "status": "queued",
        "output": None,
        "error": None,
        "ended_at": None,
        "wake_at": None,
        "lease_owner": None,
        "lease_expires_at": None,
        "updated_at": now,
    }


def woken(run: RunRecord | None, now: float) -> dict[str, Any] | None:
    """The fields a wake-up writes (one more ``wake_seq``; waiting becomes queued).

    None when there is nothing to wake: the run is gone or has ended.
    """
    if run is None or run.is_terminal:
        return None
    return {
        "wake_seq": run.wake_seq + 1,
        "status": "queued" if run.status == "waiting" else run.status,
        "updated_at": now,
    }


def born(child: RunRecord, parent: RunRecord | None) -> RunRecord:
    """The child run as it is stored when its parent starts it.

    A parent cancelled while it was starting the child has its child born
    cancelled, so no run outlives its cancelled parent.
    """
    if parent is None or parent.is_terminal:
        return RunRecord(**{**vars(child), "status": "cancelled", "ended_at": child.created_at})
    return child


@dataclass(frozen=True)
class WaitResolution:
    """How a wait is closed: the step to close, the outcome it journals."""

    run_id: str
    step_key: str
    status: StepStatus
    output: str | None = None
    error: str | None = None


def parent_resolution(
    child: RunRecord, status: RunStatus, output: str | None = None, error: str | None = None
) -> WaitResolution | None:
    """What a child's end does to its parent's ``invoke`` wait (None: it has no parent).

    A completed child completes the wait with its output; a failed one fails it
    with its error; a cancelled one fails it with a ``RunCancelledError``.
    """
    if child.parent_run_id is None or child.parent_step_key is None:
        return None
    if status == "cancelled":
        cancelled = error_json("RunCancelledError", f"child run {child.id!r} was cancelled")
        return WaitResolution(child.parent_run_id, child.parent_step_key, "failed", None, cancelled)
    step_status: StepStatus = "completed" if status == "completed" else "failed"
    return WaitResolution(child.parent_run_id, child.parent_step_key, step_status, output, error)


def family(run_id: str, children_of: Callable[[list[str]], Iterable[str]]) -> list[str]:
    """``run_id`` and every descendant, level by level from the top.

    ``children_of`` returns the ids of the runs whose parent is in a list; the
    SQL store locks each level as it reads it, so the order is also its lock order.
    """
    members, frontier = [run_id], [run_id]
    while frontier:
        frontier = list(children_of(frontier))
        members.extend(frontier)
    return members


def check_resumable(run: RunRecord) -> None:
    """Raise the `UsageError` that says why this run cannot be resumed."""
    if run.status != "failed":
        raise UsageError(
            f"run {run.id!r} is {run.status}, not failed; only a failed run can be resumed"
        )


def step_to_rerun(run: RunRecord, journal: list[StepRecord]) -> StepRecord | None:
    """The journaled failure that failed ``run``, which a resume must run again.

    The run's error names the step whose `StepFailed` ended it (``step``). A run
    that failed outside any step, or by a divergence, has none: resuming it just
    replays.
    """
    try:
        error = json.loads(run.error or "{}")
    except ValueError:
        return None
    if not isinstance(error, dict) or error.get("type") != "StepFailed":
        return None
    key = error.get("step")
    if key is None:  # written before errors named their step
        found = re.match(r"step '(.*)' failed after \d+ attempt", str(error.get("message", "")))
        key = None if found is None else found.group(1)
    for entry in journal:
        if entry.key == key and entry.status == "failed":
            return entry
    return None


def child_to_resume(failed: StepRecord, child: RunRecord | None) -> bool:
    """Whether resuming past ``failed`` resumes its failed child and waits for it again.

    Otherwise the failed entry is removed, so the step runs again.
    """
    return failed.kind == "invoke" and child is not None and child.status == "failed"


# -- waits --------------------------------------------------------------------


def is_open(step: StepRecord | None) -> bool:
    """Whether this journal entry is a wait still open."""
    return step is not None and step.status == "waiting"


def closed_wait(
    status: StepStatus, now: float, output: str | None, error: str | None
) -> dict[str, Any]:
    """The fields a wait that closes writes: its outcome, secrets scrubbed."""
    return {
        "status": status,
        "ended_at": now,
        "output": scrub_text(output),
        "error": scrub_text(error),
    }


# -- tokens -------------------------------------------------------------------


def check_token_completable(token: TokenRecord, run: RunRecord | None, now: float) -> None:
    """Raise the `TokenError` that says why this token cannot be completed now."""
    if token.status == "completed":
        raise TokenAlreadyCompleted(f"token for step {token.step_key!r} was already completed")
    if token.status == "cancelled" or run is None or run.is_terminal:
        state = "gone" if run is None else run.status
        raise TokenRunNotWaiting(
            f"token for step {token.step_key!r} belongs to run {token.run_id!r}, "
            f"which is {state}; nothing waits for it"
        )
    if token.status == "expired" or (token.expires_at is not None and token.expires_at <= now):
        raise TokenExpired(f"token for step {token.step_key!r} expired")


def check_wait_open(token: TokenRecord, wait: StepRecord | None) -> None:
    """Raise `TokenRunNotWaiting` when the wait this token answers has already ended."""
    if not is_open(wait):
        raise TokenRunNotWaiting(
            f"token for step {token.step_key!r} belongs to run {token.run_id!r}, "
            "whose wait for it has already ended"
        )


def completed_token(payload: str, now: float) -> dict[str, Any]:
    """The fields a completed token writes."""
    return {"status": "completed", "payload": payload, "completed_at": now}


def token_resolution(token: TokenRecord, payload: str) -> WaitResolution:
    """A completed token completes its wait with the payload."""
    return WaitResolution(token.run_id, token.step_key, "completed", payload)


# -- events -------------------------------------------------------------------


def waits_for_event(step: StepRecord, name: str) -> bool:
    """Whether this journal entry is an open wait for events called ``name``."""
    return (step.status, step.kind, step.wait_ref) == ("waiting", "event", name)
