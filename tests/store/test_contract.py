"""The Store contract, pinned on every implementation (SQLite, in-memory, PostgreSQL)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentkit.errors import (
    ConfigError,
    RunNotFound,
    TokenAlreadyCompleted,
    TokenExpired,
    TokenNotFound,
    TokenRunNotWaiting,
    UsageError,
)
from agentkit.store import EventRecord, SQLStore, Store, TokenRecord
from tests.store.records import NOW, run, step


def test_create_run_honours_idempotency_keys(store: Store) -> None:
    _, created = store.create_run(run("r1", idempotency_key="k"))
    again, created_again = store.create_run(run("r2", idempotency_key="k"))
    other, _ = store.create_run(run("r3", idempotency_key="k", function_id="g"))
    assert (created, created_again) == (True, False)
    assert again.id == "r1"
    assert other.id == "r3"
    assert store.get_run("r2") is None


def test_claim_rules(store: Store) -> None:
    store.create_run(run("q"))
    store.create_run(run("w", status="waiting", wake_at=NOW + 10))
    assert store.due_run_ids(NOW, 10) == ["q"]
    assert store.due_run_ids(NOW + 10, 10) == ["q", "w"]
    assert store.due_run_ids(NOW, 10, function_ids=["other"]) == []
    claimed = store.claim_run("q", "w1", NOW, NOW + 30)
    assert claimed is not None
    assert (claimed.status, claimed.lease_owner, claimed.executions) == ("running", "w1", 1)
    assert store.claim_run("q", "w2", NOW + 29, NOW + 60) is None  # lease still held
    assert store.renew_lease("q", "w2", NOW + 90) is False
    stolen = store.claim_run("q", "w2", NOW + 31, NOW + 61)  # lease expired
    assert stolen is not None and stolen.lease_owner == "w2" and stolen.executions == 2
    assert store.renew_lease("q", "w1", NOW + 90) is False  # w1 lost it


def test_suspend_fails_when_a_wake_up_raced_it(store: Store) -> None:
    store.create_run(run("r"))
    claimed = store.claim_run("r", "w", NOW, NOW + 30)
    assert claimed is not None
    store.append_step(
        step("r", "t", 0, kind="token", status="waiting", wait_ref="tok_1"),
        TokenRecord(
            token="tok_1",
            run_id="r",
            step_key="t",
            status="pending",
            created_at=NOW,
            expires_at=None,
        ),
    )
    store.complete_token("tok_1", '"yes"', NOW)  # arrives while the run is still running
    assert store.suspend_run("r", "w", None, claimed.wake_seq, NOW) is False
    fresh = store.get_run("r")
    assert fresh is not None and fresh.status == "running" and fresh.wake_seq == 1
    assert store.suspend_run("r", "w", None, fresh.wake_seq, NOW) is True
    assert store.get_run("r").status == "waiting"  # type: ignore[union-attr]


def test_append_step_is_exactly_once(store: Store) -> None:
    store.create_run(run("r"))
    first = store.append_step(step("r", "a", 0, output='"first"'))
    second = store.append_step(step("r", "a", 0, output='"second"'))
    assert first.output == second.output == '"first"'
    store.append_step(step("r", "b", 1))
    assert [s.key for s in store.load_journal("r")] == ["a", "b"]


def test_token_completion_errors_change_nothing(store: Store) -> None:
    store.create_run(run("r", status="waiting"))
    store.append_step(
        step("r", "t", 0, kind="token", status="waiting", wait_ref="tok_a"),
        TokenRecord(
            token="tok_a",
            run_id="r",
            step_key="t",
            status="pending",
            created_at=NOW,
            expires_at=NOW + 5,
        ),
    )
    with pytest.raises(TokenNotFound, match="no token 'tok_zzz'"):
        store.complete_token("tok_zzz", "1", NOW)
    with pytest.raises(TokenExpired):
        store.complete_token("tok_a", "1", NOW + 5)
    assert store.get_token("tok_a").status == "pending"  # type: ignore[union-attr]
    done = store.complete_token("tok_a", '{"ok": true}', NOW + 1)
    assert (done.status, done.payload) == ("completed", '{"ok": true}')
    [wait] = store.load_journal("r")
    assert (wait.status, wait.output) == ("completed", '{"ok": true}')
    assert store.get_run("r").status == "queued"  # type: ignore[union-attr]
    with pytest.raises(TokenAlreadyCompleted):
        store.complete_token("tok_a", "2", NOW + 2)
    assert store.load_journal("r")[0].output == '{"ok": true}'


def test_finish_resolves_the_parent_invoke(store: Store) -> None:
    store.create_run(run("p", status="waiting"))
    child = run("c", parent_run_id="p", parent_step_key="inv", root_run_id="p")
    stored = store.start_child(
        child, step("p", "inv", 0, kind="invoke", status="waiting", wait_ref="c", output=None)
    )
    assert stored.status == "waiting"
    assert store.start_child(run("c2", parent_run_id="p"), step("p", "inv", 0)).wait_ref == "c"
    assert store.get_run("c2") is None  # the duplicate child was not created
    assert store.claim_run("c", "w", NOW, NOW + 30) is not None
    assert store.finish_run("c", "w", "completed", NOW, output="42") is True
    assert store.finish_run("c", "w", "completed", NOW, output="43") is False
    [wait] = store.load_journal("p")
    assert (wait.status, wait.output) == ("completed", "42")
    assert store.get_run("p").status == "queued"  # type: ignore[union-attr]


def test_cancel_cascades_and_closes_tokens(store: Store) -> None:
    store.create_run(run("p", status="waiting"))
    store.start_child(
        run("c", parent_run_id="p", parent_step_key="inv", root_run_id="p"),
        step("p", "inv", 0, kind="invoke", status="waiting", wait_ref="c"),
    )
    store.append_step(
        step("c", "t", 0, kind="token", status="waiting", wait_ref="tok_c"),
        TokenRecord(
            token="tok_c",
            run_id="c",
            step_key="t",
            status="pending",
            created_at=NOW,
            expires_at=None,
        ),
    )
    assert store.cancel_run("p", NOW) is True
    assert [store.get_run(i).status for i in ("p", "c")] == ["cancelled", "cancelled"]  # type: ignore[union-attr]
    assert store.get_token("tok_c").status == "cancelled"  # type: ignore[union-attr]
    with pytest.raises(TokenRunNotWaiting):
        store.complete_token("tok_c", "1", NOW)
    assert store.cancel_run("p", NOW) is False


def test_events_resolve_matching_waits_only(store: Store) -> None:
    for run_id, wanted in (("a", "A"), ("b", "B")):
        store.create_run(run(run_id, status="waiting"))
        store.append_step(
            step(
                run_id,
                "e",
                0,
                kind="event",
                status="waiting",
                wait_ref="paid",
                wait_match=json.dumps({"id": wanted}),
            )
        )
    event = EventRecord(id="evt_1", name="paid", data='{"id": "A"}', received_at=NOW)
    woken = store.record_event(event, lambda w: json.loads(w.wait_match or "{}")["id"] == "A")
    assert woken == ["a"]
    [wait] = store.load_journal("a")
    assert json.loads(wait.output or "") == {
        "id": "evt_1",
        "name": "paid",
        "data": {"id": "A"},
        "received_at": NOW,
    }
    assert store.load_journal("b")[0].status == "waiting"


def test_bad_database_urls_are_one_clear_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(ConfigError, match=r"open database .*junk\.db: file is not a database"):
        SQLStore(f"sqlite:///{junk}")
    with pytest.raises(ConfigError, match=r"'nope': unknown dialect"):
        SQLStore("nope://x/y")
    with pytest.raises(ConfigError, match="is not a valid SQLAlchemy URL"):
        SQLStore("not a url")
    with pytest.raises(ConfigError) as info:
        SQLStore("postgresql+psycopg://user:hunter2@127.0.0.1:1/db")
    assert "hunter2" not in str(info.value)
    assert "user:***@127.0.0.1:1/db" in str(info.value)


def test_a_child_started_by_a_cancelled_parent_is_born_cancelled(store: Store) -> None:
    store.create_run(run("p"))
    assert store.claim_run("p", "w", NOW, NOW + 30) is not None
    assert store.cancel_run("p", NOW) is True  # while its worker is about to invoke
    stored = store.start_child(
        run("c", parent_run_id="p", parent_step_key="inv", root_run_id="p"),
        step("p", "inv", 0, kind="invoke", status="waiting", wait_ref="c", output=None),
    )
    assert stored.wait_ref == "c"
    child = store.get_run("c")
    assert child is not None and (child.status, child.ended_at) == ("cancelled", NOW)
    assert store.due_run_ids(NOW + 100, 10) == []


def step_failed(key: str) -> str:
    message = f"step {key!r} failed after 4 attempt(s): TimeoutError: slow"
    return json.dumps({"type": "StepFailed", "message": message, "step": key})


def test_resume_reruns_the_failed_step_and_keeps_the_rest(store: Store) -> None:
    store.create_run(run("r"))
    store.append_step(step("r", "search", 0))
    store.append_step(step("r", "other", 1, status="failed", output=None, error='{"type": "X"}'))
    store.append_step(step("r", "read", 2, status="failed", output=None, error='{"type": "Y"}'))
    assert store.claim_run("r", "w", NOW, NOW + 30) is not None
    assert store.finish_run("r", "w", "failed", NOW + 1, error=step_failed("read")) is True
    resumed = store.resume_run("r", NOW + 5)
    assert (resumed.status, resumed.error, resumed.ended_at, resumed.updated_at) == (
        "queued",
        None,
        None,
        NOW + 5,
    )
    # "other" failed too, but the function caught it: only "read" failed the run.
    assert [(s.key, s.status) for s in store.load_journal("r")] == [
        ("search", "completed"),
        ("other", "failed"),
    ]
    assert store.due_run_ids(NOW + 5, 10) == ["r"]


def test_resume_of_a_run_that_failed_outside_a_step_keeps_its_journal(store: Store) -> None:
    store.create_run(run("r"))
    store.append_step(step("r", "a", 0))
    assert store.claim_run("r", "w", NOW, NOW + 30) is not None
    error = json.dumps({"type": "NonDeterminismError", "message": "diverged"})
    assert store.finish_run("r", "w", "failed", NOW, error=error) is True
    assert store.resume_run("r", NOW).status == "queued"
    assert [s.key for s in store.load_journal("r")] == ["a"]


def test_resume_of_a_failed_child_resumes_the_child_too(store: Store) -> None:
    store.create_run(run("p"))
    store.start_child(
        run("c", parent_run_id="p", parent_step_key="inv", root_run_id="p"),
        step("p", "inv", 0, kind="invoke", status="waiting", wait_ref="c", output=None),
    )
    store.append_step(step("c", "paid", 0))
    store.append_step(step("c", "ship", 1, status="failed", output=None, error="{}"))
    assert store.claim_run("c", "w", NOW, NOW + 30) is not None
    assert store.finish_run("c", "w", "failed", NOW, error=step_failed("ship")) is True
    [invoke] = store.load_journal("p")
    assert invoke.status == "failed"
    assert store.claim_run("p", "w", NOW, NOW + 30) is not None
    assert store.finish_run("p", "w", "failed", NOW, error=step_failed("inv")) is True

    assert store.resume_run("p", NOW + 2).status == "queued"
    [invoke] = store.load_journal("p")
    assert (invoke.status, invoke.error, invoke.wait_ref) == ("waiting", None, "c")
    assert store.get_run("c").status == "queued"  # type: ignore[union-attr]
    assert [s.key for s in store.load_journal("c")] == ["paid"]
    # When the child ends, the parent's wait is resolved as before.
    assert store.claim_run("c", "w", NOW + 2, NOW + 30) is not None
    assert store.finish_run("c", "w", "completed", NOW + 3, output='"shipped"') is True
    assert store.load_journal("p")[0].output == '"shipped"'


def test_resume_refuses_unknown_and_unfailed_runs(store: Store) -> None:
    store.create_run(run("r"))
    with pytest.raises(RunNotFound, match="no run with id 'nope'"):
        store.resume_run("nope", NOW)
    with pytest.raises(UsageError) as info:
        store.resume_run("r", NOW)
    assert str(info.value) == "run 'r' is queued, not failed; only a failed run can be resumed"
    assert store.get_run("r").status == "queued"  # type: ignore[union-attr]


def test_a_forked_run_starts_with_its_copied_journal(store: Store) -> None:
    store.create_run(run("source"))
    store.append_step(step("source", "a", 0))
    journal = [step("fork", "a", 0), step("fork", "b", 1, output='"given"')]
    created = store.create_forked_run(run("fork", updated_at=NOW + 1), journal)
    assert created.id == "fork"
    assert store.get_run("fork") == created
    assert [(s.run_id, s.key, s.seq, s.output) for s in store.load_journal("fork")] == [
        ("fork", "a", 0, "1"),
        ("fork", "b", 1, '"given"'),
    ]
    # The source is untouched, and the fork is queued like any new run.
    assert [s.key for s in store.load_journal("source")] == ["a"]
    assert "fork" in store.due_run_ids(NOW + 1, 10)
