"""The journal's replay decisions, table-driven: a journal, a call, the exact answer.

`Journal` is plain code over data (no await, clock or database), so each row
builds a journal from records, replays some keys, makes one call and states the
key, entry or message it must give.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from agentkit import NonDeterminismError, UsageError
from agentkit.durable import Journal
from agentkit.store import StepKind, StepRecord

RUN = "run_1"
NOT_DETERMINISTIC = f"run {RUN!r} is not deterministic: "


def entry(key: str, kind: StepKind = "run", seq: int = 0, fingerprint: str = "fp0") -> StepRecord:
    return StepRecord(
        run_id=RUN,
        key=key,
        kind=kind,
        status="completed",
        seq=seq,
        fingerprint=fingerprint,
        started_at=0.0,
        output="null",
    )


def journal(*entries: StepRecord, replayed: tuple[str, ...] = ()) -> Journal:
    """A loaded journal whose ``replayed`` keys the code has already asked for."""
    loaded = Journal.load(RUN, list(entries))
    for key in replayed:
        found = loaded.entries[key]
        assert loaded.lookup(key, found.kind, found.fingerprint) is found
    return loaded


# -- next_key -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("step_ids", "keys"),
    [
        pytest.param(["a"], ["a"], id="first-call-is-the-step-id"),
        pytest.param(["a", "a", "a"], ["a", "a#1", "a#2"], id="repeats-are-numbered"),
        pytest.param(["a", "b", "a", "b"], ["a", "b", "a#1", "b#1"], id="counted-per-step-id"),
        pytest.param(["x" * 300], ["x" * 300], id="key-at-the-limit"),
    ],
)
def test_next_key(step_ids: list[str], keys: list[str]) -> None:
    loaded = journal()
    assert [loaded.next_key(step_id) for step_id in step_ids] == keys


@pytest.mark.parametrize(
    ("step_ids", "message"),
    [
        pytest.param(
            ["x" * 301],
            f"step key {'x' * 60 + '...'!r} is 301 characters long; the limit is 300",
            id="first-call-too-long",
        ),
        pytest.param(
            ["x" * 299, "x" * 299],
            f"step key {'x' * 60 + '...'!r} is 301 characters long; the limit is 300",
            id="repeat-suffix-makes-it-too-long",
        ),
    ],
)
def test_next_key_refuses_a_key_longer_than_a_store_holds(
    step_ids: list[str], message: str
) -> None:
    loaded = journal()
    *fitting, last = step_ids
    for step_id in fitting:
        loaded.next_key(step_id)
    with pytest.raises(UsageError) as info:
        loaded.next_key(last)
    assert str(info.value) == message


# -- lookup -------------------------------------------------------------------


@dataclass(frozen=True)
class Lookup:
    entries: tuple[StepRecord, ...]
    key: str
    kind: StepKind
    fingerprint: str
    found: StepRecord | None  # the entry lookup returns
    consumed: frozenset[str]  # the keys replayed afterwards


A = entry("a", "run", 0, "fp-a")
B_SLEEP = entry("b", "sleep", 1, "fp-b")

LOOKUPS = {
    "new-step-in-an-empty-journal": Lookup((), "a", "run", "fp-a", None, frozenset()),
    "new-step-beside-journaled-ones": Lookup((A,), "c", "run", "fp-c", None, frozenset()),
    "memoized": Lookup((A, B_SLEEP), "a", "run", "fp-a", A, frozenset({"a"})),
    "memoized-wait": Lookup((A, B_SLEEP), "b", "sleep", "fp-b", B_SLEEP, frozenset({"b"})),
}


@pytest.mark.parametrize("case", LOOKUPS.values(), ids=LOOKUPS.keys())
def test_lookup(case: Lookup) -> None:
    loaded = journal(*case.entries)
    told: list[None] = []
    loaded.on_consume = lambda: told.append(None)
    assert loaded.lookup(case.key, case.kind, case.fingerprint) is case.found
    assert loaded.consumed == case.consumed
    assert len(told) == len(case.consumed)  # branches are told only of a replay
    assert loaded.has_unconsumed() is (len(case.consumed) < len(case.entries))


@dataclass(frozen=True)
class Divergence:
    entries: tuple[StepRecord, ...]
    key: str
    kind: StepKind
    fingerprint: str
    message: str


DIVERGENCES = {
    "kind-mismatch": Divergence(
        (A,),
        "a",
        "sleep",
        "fp-a",
        NOT_DETERMINISTIC
        + "the journal has step 'a' (run), but the code asked for step 'a' (sleep)",
    ),
    "fingerprint-mismatch": Divergence(
        (A,),
        "a",
        "run",
        "fp-other",
        NOT_DETERMINISTIC + "the journal has step 'a' (run) with input fingerprint fp-a, "
        "but the code asked for the same step with input fingerprint fp-other "
        "(its arguments changed)",
    ),
    "kind-is-checked-before-fingerprint": Divergence(
        (B_SLEEP,),
        "b",
        "infer",
        "fp-other",
        NOT_DETERMINISTIC
        + "the journal has step 'b' (sleep), but the code asked for step 'b' (infer)",
    ),
}


@pytest.mark.parametrize("case", DIVERGENCES.values(), ids=DIVERGENCES.keys())
def test_lookup_divergence(case: Divergence) -> None:
    loaded = journal(*case.entries)
    told: list[None] = []
    loaded.on_consume = lambda: told.append(None)
    with pytest.raises(NonDeterminismError) as info:
        loaded.lookup(case.key, case.kind, case.fingerprint)
    assert str(info.value) == case.message
    assert info.value.run_id == RUN
    assert loaded.consumed == set()  # a divergent entry is not replayed
    assert told == []


# -- check_new_step -----------------------------------------------------------


@dataclass(frozen=True)
class NewStep:
    entries: tuple[StepRecord, ...]
    replayed: tuple[str, ...]
    key: str
    kind: StepKind
    message: str | None  # None: the step may run live


C_EVENT = entry("c", "event", 2, "fp-c")

NEW_STEPS = {
    "empty-journal": NewStep((), (), "a", "run", None),
    "everything-replayed": NewStep((A, B_SLEEP), ("a", "b"), "c", "run", None),
    "nothing-replayed": NewStep(
        (A, B_SLEEP),
        (),
        "audit",
        "run",
        NOT_DETERMINISTIC
        + "the journal has step 'a' (run) next, but the code asked for new step 'audit' (run) "
        "instead",
    ),
    "names-the-first-left-by-seq": NewStep(
        (C_EVENT, B_SLEEP, A),
        ("a",),
        "d",
        "token",
        NOT_DETERMINISTIC
        + "the journal has step 'b' (sleep) next, but the code asked for new step 'd' (token) "
        "instead",
    ),
    "a-later-step-replayed-first": NewStep(
        (A, B_SLEEP, C_EVENT),
        ("c",),
        "b#1",
        "sleep",
        NOT_DETERMINISTIC
        + "the journal has step 'a' (run) next, but the code asked for new step 'b#1' (sleep) "
        "instead",
    ),
}


@pytest.mark.parametrize("case", NEW_STEPS.values(), ids=NEW_STEPS.keys())
def test_check_new_step(case: NewStep) -> None:
    loaded = journal(*case.entries, replayed=case.replayed)
    if case.message is None:
        loaded.check_new_step(case.key, case.kind)
        return
    with pytest.raises(NonDeterminismError) as info:
        loaded.check_new_step(case.key, case.kind)
    assert str(info.value) == case.message


# -- check_finished -----------------------------------------------------------


@dataclass(frozen=True)
class Finished:
    entries: tuple[StepRecord, ...]
    replayed: tuple[str, ...]
    message: str | None  # None: the run may finish


RETURN_WITHOUT_IT = ", but the code asked for the function to return without asking for it"

FINISHES = {
    "empty-journal": Finished((), (), None),
    "everything-replayed": Finished((A, B_SLEEP, C_EVENT), ("c", "a", "b"), None),
    "one-left": Finished(
        (A, B_SLEEP),
        ("a",),
        NOT_DETERMINISTIC + "the journal has step 'b' (sleep)" + RETURN_WITHOUT_IT,
    ),
    "several-left-names-the-first-by-seq": Finished(
        (C_EVENT, B_SLEEP, A),
        (),
        NOT_DETERMINISTIC + "the journal has step 'a' (run) (and 2 more)" + RETURN_WITHOUT_IT,
    ),
}


@pytest.mark.parametrize("case", FINISHES.values(), ids=FINISHES.keys())
def test_check_finished(case: Finished) -> None:
    loaded = journal(*case.entries, replayed=case.replayed)
    if case.message is None:
        loaded.check_finished()
        return
    with pytest.raises(NonDeterminismError) as info:
        loaded.check_finished()
    assert str(info.value) == case.message


# -- bookkeeping --------------------------------------------------------------


@pytest.mark.parametrize(
    ("entries", "next_seq"),
    [
        pytest.param((), 0, id="empty"),
        pytest.param((A,), 1, id="one"),
        pytest.param((C_EVENT, A), 3, id="after-the-highest-seq"),
    ],
)
def test_load_continues_the_step_order(entries: tuple[StepRecord, ...], next_seq: int) -> None:
    loaded = journal(*entries)
    assert [loaded.allocate_seq(), loaded.allocate_seq()] == [next_seq, next_seq + 1]


def test_a_recorded_step_counts_as_replayed() -> None:
    loaded = journal(A)
    loaded.record(B_SLEEP)
    assert loaded.unconsumed() == [A]
    assert loaded.entries["b"] is B_SLEEP
    loaded.lookup("a", "run", "fp-a")
    loaded.check_finished()  # "a" replayed, "b" journaled by this execution: nothing left
