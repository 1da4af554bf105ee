"""Secrets never reach the store: every text a store writes is scrubbed first."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

from agentkit._redact import REDACTED, register_secret  # no public name: models register keys
from agentkit.store import (
    CompletionRecord,
    EventRecord,
    RunRecord,
    SQLStore,
    StepRecord,
    Store,
    TokenRecord,
)
from tests.store import records
from tests.store.records import NOW

# Unique per session: registration is process-wide and cannot be undone.
SECRET = f"sk-b2-{secrets.token_hex(12)}"


def said(text: str) -> str:
    return f"the provider said: Authorization: Bearer {SECRET} is invalid ({text})"


def run(run_id: str, **fields: object) -> RunRecord:
    return records.run(run_id, **{"input": json.dumps({"note": said("input")}), **fields})


def step(run_id: str, key: str, seq: int, **fields: object) -> StepRecord:
    return records.step(run_id, key, seq, **{"output": json.dumps(said(key)), **fields})


def write_everything(store: Store) -> None:
    """Put the secret through every write path a store has."""
    store.create_run(run("r"))
    assert store.claim_run("r", "w", NOW, NOW + 30) is not None
    store.append_step(step("r", "ok", 0))  # the SQLite hot path
    store.append_step(
        step("r", "bad", 1, status="failed", output=None, error=json.dumps({"m": said("e")}))
    )
    store.append_step(
        step(
            "r",
            "approve",
            2,
            kind="token",
            status="waiting",
            output=None,
            wait_ref="tok_1",
            wait_match=json.dumps({"k": said("match")}),
        ),
        TokenRecord(
            token="tok_1",
            run_id="r",
            step_key="approve",
            status="pending",
            created_at=NOW,
            expires_at=None,
            description=said("description"),
        ),
    )
    store.complete_token("tok_1", json.dumps({"reason": said("payload")}), NOW)
    store.append_step(step("r", "nap", 3, kind="sleep", status="waiting", output=None))
    store.resolve_wait("r", "nap", "failed", NOW, error=json.dumps(said("timeout")))
    store.append_step(
        step("r", "event:paid", 4, kind="event", status="waiting", output=None, wait_ref="paid")
    )
    event = EventRecord(
        id="evt_1", name="paid", data=json.dumps({"x": said("event")}), received_at=NOW
    )
    assert store.record_event(event, lambda _: True) == ["r"]
    store.start_child(
        run("c", parent_run_id="r", parent_step_key="inv", root_run_id="r"),
        step("r", "inv", 5, kind="invoke", status="waiting", output=None, wait_ref="c"),
    )
    assert store.claim_run("c", "w", NOW, NOW + 30) is not None
    assert store.finish_run("c", "w", "completed", NOW, output=json.dumps(said("child")))
    store.append_completion(
        CompletionRecord(
            id="cmp_1",
            run_id="r",
            step_key="llm",
            fingerprint="fp",
            attempt=1,
            model_index=0,
            provider="openai",
            model="gpt",
            created_at=NOW,
            request=json.dumps({"messages": [said("request")]}),
            response=json.dumps({"error": said("response")}),
            stream_events=json.dumps([said("stream")]),
            headers=json.dumps({"x-echo": said("headers")}),
            error=said("completion error"),
        )
    )
    assert store.finish_run("r", "w", "failed", NOW, error=json.dumps({"m": said("run")}))
    store.create_run(run("r2"))
    assert store.claim_run("r2", "w", NOW, NOW + 30) is not None
    assert store.finish_run("r2", "w", "completed", NOW, output=json.dumps(said("output")))


def test_no_write_path_stores_a_registered_secret(store: Store) -> None:
    register_secret(SECRET)
    write_everything(store)
    everything = [
        *store.list_runs(),
        *store.load_journal("r"),
        *store.list_tokens(status=None),
        *store.list_completions("r"),
    ]
    text = repr(everything)
    assert SECRET not in text
    # Every write path was exercised: each one left its redaction behind.
    for where in ("input", "e", "match", "description", "payload", "timeout", "event", "child"):
        assert f"{REDACTED} is invalid ({where})" in text, where
    for where in ("request", "response", "stream", "headers", "completion error", "run", "output"):
        assert f"{REDACTED} is invalid ({where})" in text, where


def test_the_sqlite_files_never_hold_a_registered_secret(tmp_path: Path) -> None:
    register_secret(SECRET)
    store = SQLStore(f"sqlite:///{tmp_path}/kit.db")
    try:
        write_everything(store)
        files = sorted(tmp_path.glob("kit.db*"))
        assert [f.name for f in files][:2] == ["kit.db", "kit.db-shm"]
        assert any(f.name == "kit.db-wal" for f in files)
        hits = {f.name: f.read_bytes().count(SECRET.encode()) for f in files}
        assert hits == dict.fromkeys(hits, 0)
        assert sum(f.read_bytes().count(REDACTED.encode()) for f in files) >= 16
    finally:
        store.close()
