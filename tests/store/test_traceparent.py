"""A run's W3C traceparent: kept from its start, or written once by the first execution."""

from __future__ import annotations

from agentkit.store import Store
from tests.store.records import run

FIRST = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
SECOND = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03"


def test_a_traceparent_given_at_start_is_kept(store: Store) -> None:
    store.create_run(run("r1", traceparent=FIRST))
    many = store.create_runs([run("r2", traceparent=SECOND), run("r3")])
    assert [created for _, created in many] == [True, True]
    found = {r.id: r.traceparent for r in store.list_runs()}
    assert found == {"r1": FIRST, "r2": SECOND, "r3": None}
    assert store.set_run_traceparent("r1", SECOND) == FIRST  # it had one: unchanged
    assert store.get_run("r1").traceparent == FIRST  # type: ignore[union-attr]


def test_the_first_writer_wins_and_an_unknown_run_is_none(store: Store) -> None:
    store.create_run(run("r1"))
    assert store.get_run("r1").traceparent is None  # type: ignore[union-attr]
    assert store.set_run_traceparent("r1", FIRST) == FIRST
    assert store.set_run_traceparent("r1", SECOND) == FIRST
    assert store.get_run("r1").traceparent == FIRST  # type: ignore[union-attr]
    assert store.set_run_traceparent("nope", FIRST) is None
