"""Batch operations of the Store contract: claims, run creation, a completion with its step."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from agentkit.store import CompletionRecord, SQLStore, Store
from tests.conftest import STORE_KINDS, make_store
from tests.store.records import NOW, run, step
from tests.store.test_races import race


def completion(run_id: str, key: str, completion_id: str) -> CompletionRecord:
    return CompletionRecord(
        id=completion_id,
        run_id=run_id,
        step_key=key,
        fingerprint="fp",
        attempt=1,
        model_index=0,
        provider="scripted",
        model="scripted",
        created_at=NOW,
        request="{}",
        response='{"ok": true}',
    )


def test_claim_due_runs_takes_only_claimable_runs_oldest_first(store: Store) -> None:
    store.create_run(run("r3", created_at=NOW + 3))
    store.create_run(run("r1", created_at=NOW + 1))
    store.create_run(run("r2", created_at=NOW + 2))
    store.create_run(run("future", status="waiting", wake_at=NOW + 100))
    store.create_run(run("due", status="waiting", wake_at=NOW - 1, created_at=NOW + 4))
    store.create_run(run("other", function_id="g"))
    store.create_run(run("lapsed", status="running", lease_owner="dead", lease_expires_at=NOW - 1))
    store.create_run(run("done", status="completed"))

    first = store.claim_due_runs("w", NOW, NOW + 30, 2, function_ids=["f"])
    assert [r.id for r in first] == ["lapsed", "r1"]
    rest = store.claim_due_runs("w", NOW, NOW + 30, 10, function_ids=["f"])
    assert [r.id for r in rest] == ["r2", "r3", "due"]
    assert store.claim_due_runs("w", NOW, NOW + 30, 10, function_ids=["f"]) == []
    for claimed in first + rest:
        stored = store.get_run(claimed.id)
        assert stored == claimed
        assert (stored.status, stored.lease_owner, stored.lease_expires_at) == (
            "running",
            "w",
            NOW + 30,
        )
        assert stored.executions == 1 and stored.started_at == NOW
    assert [r.id for r in store.claim_due_runs("w", NOW, NOW + 30, 10)] == ["other"]


def test_claim_due_runs_keeps_to_one_family(store: Store) -> None:
    store.create_run(run("root"))
    store.create_run(run("child", parent_run_id="root", root_run_id="root"))
    store.create_run(run("stranger"))
    claimed = store.claim_due_runs("w", NOW, NOW + 30, 10, root_run_id="root")
    assert sorted(r.id for r in claimed) == ["child", "root"]


def test_claim_due_runs_counts_executions_and_keeps_the_first_start(store: Store) -> None:
    store.create_run(
        run(
            "again",
            status="running",
            lease_owner="dead",
            lease_expires_at=NOW - 1,
            executions=2,
            started_at=NOW - 50,
        )
    )
    [claimed] = store.claim_due_runs("w", NOW + 5, NOW + 35, 10)
    assert (claimed.executions, claimed.started_at, claimed.updated_at) == (3, NOW - 50, NOW + 5)


def test_create_runs_writes_them_all(store: Store) -> None:
    created = store.create_runs([run(f"r{i}", created_at=NOW + i) for i in range(5)])
    assert [(r.id, new) for r, new in created] == [(f"r{i}", True) for i in range(5)]
    assert sorted(r.id for r in store.list_runs()) == [f"r{i}" for i in range(5)]


def test_create_runs_honours_idempotency_keys(store: Store) -> None:
    store.create_run(run("first", idempotency_key="k"))
    created = store.create_runs([run("second", idempotency_key="k"), run("third")])
    assert [(r.id, new) for r, new in created] == [("first", False), ("third", True)]


def test_append_completion_step_writes_both_or_keeps_the_stored_step(store: Store) -> None:
    store.create_run(run("r", status="running", lease_owner="w"))
    entry = step("r", "think", 0, kind="infer", output='{"completion_id": "c1"}')
    assert store.append_completion_step(completion("r", "think", "c1"), entry) == entry
    assert store.load_journal("r") == [entry]
    stored = store.get_completion("c1")
    assert stored is not None and stored.response == '{"ok": true}'

    late = step("r", "think", 0, kind="infer", output='{"completion_id": "c2"}')
    assert store.append_completion_step(completion("r", "think", "c2"), late) == entry
    assert store.load_journal("r") == [entry]
    # The late attempt was paid for: it is kept, though the journal names the first.
    assert [c.id for c in store.list_completions("r")] == ["c1", "c2"]


@pytest.fixture(params=STORE_KINDS)
def stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Store, Store]]:
    """Two stores on one database (one store when it lives in this process)."""
    first = make_store(request.param, tmp_path)
    second = SQLStore(first.url) if isinstance(first, SQLStore) else first
    yield first, second
    if second is not first:
        second.close()
    first.close()


def test_two_workers_batch_claiming_never_take_one_run_twice(
    stores: tuple[Store, Store],
) -> None:
    first, second = stores
    first.create_runs([run(f"r{i:03}", created_at=NOW + i) for i in range(200)])
    taken: list[str] = []
    for _ in range(10):
        outcomes = race(
            lambda: first.claim_due_runs("a", NOW + 1000, NOW + 1030, 15),
            lambda: second.claim_due_runs("b", NOW + 1000, NOW + 1030, 15),
        )
        for status, claimed in outcomes:
            assert status == "ok", claimed
            taken.extend(r.id for r in claimed)
    assert sorted(taken) == [f"r{i:03}" for i in range(200)]
    assert {r.lease_owner for r in first.list_runs(limit=300)} <= {"a", "b"}


def test_renew_leases_renews_only_what_the_owner_holds(store: Store) -> None:
    store.create_run(run("mine", status="running", lease_owner="w", lease_expires_at=NOW))
    store.create_run(run("theirs", status="running", lease_owner="x", lease_expires_at=NOW))
    store.create_run(run("parked", status="waiting", lease_owner=None))
    renewed = store.renew_leases(["mine", "theirs", "parked", "missing"], "w", NOW + 30)
    assert renewed == {"mine"}
    mine, theirs = store.get_run("mine"), store.get_run("theirs")
    assert mine is not None and mine.lease_expires_at == NOW + 30
    assert theirs is not None and theirs.lease_expires_at == NOW
    assert store.renew_leases([], "w", NOW + 30) == set()


async def test_completion_steps_written_together_each_keep_their_outcome(store: Store) -> None:
    """Writes that a store commits as one group (the SQLite file store) stay separate."""
    store.create_run(run("r", status="running", lease_owner="w"))
    entries = [
        step("r", f"think#{i}", i, kind="infer", output=f'{{"completion_id": "c{i}"}}')
        for i in range(50)
    ]
    late = step("r", "think#3", 3, kind="infer", output='{"completion_id": "late"}')
    written = await asyncio.gather(
        *(
            store.append_completion_step_async(completion("r", e.key, f"c{i}"), e)
            for i, e in enumerate(entries)
        ),
        store.append_completion_step_async(completion("r", "think#3", "late"), late),
    )
    assert written[:50] == entries
    assert written[50] == entries[3]  # the key was journaled first: that entry wins
    assert store.load_journal("r") == entries
    assert len(store.list_completions("r")) == 51  # the late attempt was paid for: kept
