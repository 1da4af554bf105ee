"""Two processes racing one state transition: exactly one wins, on every backend.

Each contender has its own `SQLStore` (its own connections) on the same database,
as two worker processes would; the in-memory store is shared, as it would be
between two threads. Every trial is repeated, because a race that a lucky
schedule hides must still fail the test on most runs.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from agentkit.errors import TokenAlreadyCompleted
from agentkit.store import EventRecord, SQLStore, StepRecord, Store, TokenRecord
from tests.conftest import STORE_KINDS, make_store
from tests.store.records import NOW, run

TRIALS = 40


@pytest.fixture(params=STORE_KINDS)
def stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Store, Store]]:
    first = make_store(request.param, tmp_path)
    second = SQLStore(first.url) if isinstance(first, SQLStore) else first
    yield first, second
    second.close()
    first.close()


def race(*calls: Callable[[], Any]) -> list[tuple[str, Any]]:
    """Run ``calls`` in threads released together; ("ok", value) or ("error", exc) each."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[tuple[str, Any]] = [("missing", None)] * len(calls)

    def contend(index: int, call: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            outcomes[index] = ("ok", call())
        except Exception as exc:
            outcomes[index] = ("error", exc)

    threads = [threading.Thread(target=contend, args=item) for item in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def wait(run_id: str, key: str, kind: str, **fields: Any) -> StepRecord:
    values: dict[str, Any] = {
        "run_id": run_id,
        "key": key,
        "kind": kind,
        "status": "waiting",
        "seq": 0,
        "fingerprint": "fp",
        "started_at": NOW,
    }
    return StepRecord(**{**values, **fields})


def test_one_token_is_completed_once(stores: tuple[Store, Store]) -> None:
    first, second = stores
    for trial in range(TRIALS):
        run_id, token = f"r{trial}", f"tok_{trial}"
        first.create_run(run(run_id, status="waiting"))
        first.append_step(
            wait(run_id, "approve", "token", wait_ref=token),
            TokenRecord(
                token=token,
                run_id=run_id,
                step_key="approve",
                status="pending",
                created_at=NOW,
                expires_at=None,
            ),
        )
        outcomes = race(
            partial(first.complete_token, token, '"approve"', NOW),
            partial(second.complete_token, token, '"reject"', NOW),
        )
        [winner] = [value for kind, value in outcomes if kind == "ok"]
        [loser] = [value for kind, value in outcomes if kind == "error"]
        assert isinstance(loser, TokenAlreadyCompleted), f"trial {trial}: {loser!r}"
        assert str(loser) == "token for step 'approve' was already completed"
        stored = first.get_token(token)
        [resolved] = first.load_journal(run_id)
        fresh = first.get_run(run_id)
        assert stored is not None and fresh is not None
        # The run resumes with the payload the token kept, and only one wake-up.
        assert stored.payload == resolved.output == winner.payload
        assert (resolved.status, fresh.status, fresh.wake_seq) == ("completed", "queued", 1)


def test_one_worker_claims_a_run(stores: tuple[Store, Store]) -> None:
    first, second = stores
    for trial in range(TRIALS):
        run_id = f"r{trial}"
        first.create_run(run(run_id))
        outcomes = race(
            partial(first.claim_run, run_id, "w1", NOW, NOW + 30),
            partial(second.claim_run, run_id, "w2", NOW, NOW + 30),
        )
        claims = [value for kind, value in outcomes if kind == "ok" and value is not None]
        assert [kind for kind, _ in outcomes] == ["ok", "ok"]
        assert len(claims) == 1, f"trial {trial}: {claims}"
        stored = first.get_run(run_id)
        assert stored is not None
        assert (stored.lease_owner, stored.executions) == (claims[0].lease_owner, 1)


def test_finish_and_cancel_of_one_child_do_not_both_win(stores: tuple[Store, Store]) -> None:
    first, second = stores
    for trial in range(TRIALS):
        parent, child = f"p{trial}", f"c{trial}"
        first.create_run(run(parent, status="waiting"))
        first.start_child(
            run(child, parent_run_id=parent, parent_step_key="inv", root_run_id=parent),
            wait(parent, "inv", "invoke", wait_ref=child),
        )
        assert first.claim_run(child, "w", NOW, NOW + 30) is not None
        finished, cancelled = (
            value
            for _, value in race(
                partial(first.finish_run, child, "w", "completed", NOW, output="42"),
                partial(second.cancel_run, child, NOW),
            )
        )
        assert (finished, cancelled) in ((True, False), (False, True)), f"trial {trial}"
        stored = first.get_run(child)
        [invoke] = first.load_journal(parent)
        assert stored is not None
        if finished:
            assert (stored.status, invoke.status, invoke.output) == ("completed", "completed", "42")
        else:
            assert (stored.status, invoke.status) == ("cancelled", "failed")
            assert json.loads(invoke.error or "")["type"] == "RunCancelledError"
        parent_run = first.get_run(parent)
        assert parent_run is not None and parent_run.wake_seq == 1


def test_one_event_resolves_a_wait(stores: tuple[Store, Store]) -> None:
    first, second = stores
    for trial in range(TRIALS):
        run_id = f"r{trial}"
        first.create_run(run(run_id, status="waiting"))
        first.append_step(wait(run_id, "event:paid", "event", wait_ref="paid", wait_match="{}"))
        events = [
            EventRecord(id=f"evt_{trial}_{n}", name="paid", data=f'{{"n": {n}}}', received_at=NOW)
            for n in (1, 2)
        ]
        outcomes = race(
            partial(first.record_event, events[0], lambda _: True),
            partial(second.record_event, events[1], lambda _: True),
        )
        woken = sorted(value for _, value in outcomes)
        assert woken == [[], [run_id]], f"trial {trial}: {outcomes}"
        winner = events[[value for _, value in outcomes].index([run_id])]
        [resolved] = first.load_journal(run_id)
        fresh = first.get_run(run_id)
        assert fresh is not None and (fresh.status, fresh.wake_seq) == ("queued", 1)
        assert json.loads(resolved.output or "")["id"] == winner.id
