"""Replay decisions as plain code over data: no await, no clock, no database.

`Journal` answers, for each step the code asks for: what is its key, is it
memoized, and does it contradict what the journal recorded. The runner
(`agentkit.durable._steps`) does the I/O around these answers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from agentkit.errors import ConfigError, NonDeterminismError, UsageError
from agentkit.store import StepKind, StepRecord
from agentkit.store._limits import MAX_KEY_LENGTH


def check_length(
    what: str, value: str, limit: int, error: type[UsageError | ConfigError] = UsageError
) -> None:
    """Refuse an identifier longer than its column, the same way on every store.

    SQLite ignores ``VARCHAR`` lengths and PostgreSQL enforces them, so the
    engine checks before anything is written.
    """
    if len(value) > limit:
        shown = value if len(value) <= 60 else f"{value[:60]}..."
        raise error(f"{what} {shown!r} is {len(value)} characters long; the limit is {limit}")


def describe(key: str, kind: str) -> str:
    """How a step is named in divergence messages."""
    return f"step {key!r} ({kind})"


class JournalObserver(Protocol):
    """Watches a replay and decides, instead of raising, when code and journal disagree.

    Without one, a disagreement is a `NonDeterminismError`. With one (a replay
    of a recorded run for evaluation, `agentkit.evals.replay`), every step the
    code asks for is put to `decide`:

    - ``entry`` is the journaled step with this key and kind, or None when the
      journal has none (or one of another kind): the step is new.
    - ``fingerprint`` is the step's input fingerprint now; it equals
      ``entry.fingerprint`` when nothing changed.
    - ``input`` is the step's input as that fingerprint was made of it (the
      request of an ``infer`` step, ``(args, kwargs)`` of a ``run`` step).

    `decide` returns True to serve ``entry`` (a model call is answered by its
    stored completion, re-parsed), False to run the step live, or raises to
    stop the execution. `skipped` gets the journaled steps the code never asked
    for, once, at the end. `live_callee` says what a live step calls instead
    of ``callee`` (the recordable of an ``infer`` step, the function of a
    ``run`` step), so that a replay going live can use a sandbox.
    """

    def decide(
        self, key: str, kind: StepKind, entry: StepRecord | None, fingerprint: str, input: Any
    ) -> bool: ...
    def skipped(self, entries: list[StepRecord]) -> None: ...
    def live_callee(self, key: str, kind: StepKind, callee: Any) -> Any: ...


@dataclass
class Journal:
    """The journal of one run, loaded once per execution, and replay bookkeeping.

    Keys are the step id for the first call and ``id#n`` for the n-th repeat,
    counted in call order, so loops and ``asyncio.gather`` give stable keys.
    """

    run_id: str
    entries: dict[str, StepRecord]
    counters: dict[str, int] = field(default_factory=dict)
    consumed: set[str] = field(default_factory=set)
    next_seq: int = 0
    # Told whenever a journaled entry is replayed: new steps parked in other
    # branches may be waiting for exactly that (see `agentkit.durable._branches`).
    on_consume: Callable[[], None] | None = None
    # Reports divergences instead of raising them (see `JournalObserver`).
    observer: JournalObserver | None = None

    @classmethod
    def load(
        cls, run_id: str, records: list[StepRecord], observer: JournalObserver | None = None
    ) -> Journal:
        """Build from the store's records (any order)."""
        entries = {record.key: record for record in records}
        next_seq = max((record.seq for record in records), default=-1) + 1
        return cls(run_id=run_id, entries=entries, next_seq=next_seq, observer=observer)

    def next_key(self, step_id: str) -> str:
        """The key of the next call with this step id.

        Raises:
            UsageError: the key is longer than a store can hold.
        """
        count = self.counters.get(step_id, 0)
        self.counters[step_id] = count + 1
        key = step_id if count == 0 else f"{step_id}#{count}"
        check_length("step key", key, MAX_KEY_LENGTH)
        return key

    def lookup(
        self, key: str, kind: StepKind, fingerprint: str, input: Any = None
    ) -> StepRecord | None:
        """The journaled entry for ``key``, or None when the step is new.

        ``input`` is only shown to an observer.

        Raises:
            NonDeterminismError: the journal has this key with another kind or
                other inputs (without an observer).
        """
        entry = self.entries.get(key)
        if self.observer is not None and key not in self.consumed:
            return self._observe(entry, key, kind, fingerprint, input)
        if entry is None:
            return None
        if entry.kind != kind:
            raise NonDeterminismError(self.run_id, describe(key, entry.kind), describe(key, kind))
        if entry.fingerprint != fingerprint:
            raise NonDeterminismError(
                self.run_id,
                f"{describe(key, entry.kind)} with input fingerprint {entry.fingerprint}",
                f"the same step with input fingerprint {fingerprint} (its arguments changed)",
            )
        self.consumed.add(key)
        if self.on_consume is not None:
            self.on_consume()
        return entry

    def _observe(
        self, entry: StepRecord | None, key: str, kind: StepKind, fingerprint: str, input: Any
    ) -> StepRecord | None:
        """`lookup` under an observer: it decides; a step it does not serve runs live."""
        assert self.observer is not None
        known = entry if entry is not None and entry.kind == kind else None
        if not self.observer.decide(key, kind, known, fingerprint, input) or known is None:
            if entry is not None:  # superseded by the live step
                del self.entries[key]
            return None
        self.consumed.add(key)
        if self.on_consume is not None:
            self.on_consume()
        return known

    def has_unconsumed(self) -> bool:
        """Whether journaled entries remain to be replayed (O(1): on the hot path)."""
        return len(self.consumed) < len(self.entries)

    def unconsumed(self) -> list[StepRecord]:
        """Journaled entries this execution has not asked for yet, in seq order."""
        left = [e for key, e in self.entries.items() if key not in self.consumed]
        left.sort(key=lambda e: e.seq)
        return left

    def check_new_step(self, key: str, kind: StepKind) -> None:
        """A new step may run live only once every journaled step was replayed.

        Raises:
            NonDeterminismError: the journal still holds a step the code did not
                ask for, so the code now takes another path than it did.
        """
        if not self.has_unconsumed() or self.observer is not None:
            return
        left = self.unconsumed()
        if left:
            first = left[0]
            raise NonDeterminismError(
                self.run_id,
                f"{describe(first.key, first.kind)} next",
                f"new {describe(key, kind)} instead",
            )

    def check_finished(self) -> None:
        """At the end of a run every journaled step must have been replayed."""
        left = self.unconsumed()
        if left and self.observer is not None:
            self.observer.skipped(left)
            return
        if left:
            first = left[0]
            raise NonDeterminismError(
                self.run_id,
                f"{describe(first.key, first.kind)} (and {len(left) - 1} more)"
                if len(left) > 1
                else describe(first.key, first.kind),
                "the function to return without asking for it",
            )

    def record(self, entry: StepRecord) -> None:
        """Remember an entry journaled by this execution."""
        self.entries[entry.key] = entry
        self.consumed.add(entry.key)

    def allocate_seq(self) -> int:
        """The next position in the run's step order."""
        seq = self.next_seq
        self.next_seq += 1
        return seq


def fork_prefix(
    journal: list[StepRecord], from_step: str, results: dict[str, str], new_run_id: str
) -> list[StepRecord]:
    """The entries a fork at ``from_step`` starts with, copied into ``new_run_id``.

    Every entry journaled before ``from_step`` (by ``seq``) is kept; an entry
    named in ``results`` (``from_step`` itself included) is kept with that
    result (JSON text) instead. ``from_step`` and everything after it run live
    in the fork, unless their result is given.

    Raises:
        UsageError: ``from_step`` is not journaled; a result names a step that
            is not before or at ``from_step``, or a model call (whose result is
            a stored completion); the prefix holds an open wait.
    """
    by_key = {entry.key: entry for entry in journal}
    start = by_key.get(from_step)
    if start is None:
        known = ", ".join(repr(e.key) for e in sorted(journal, key=lambda e: e.seq)) or "none"
        raise UsageError(f"cannot fork at step {from_step!r}: it is not journaled (steps: {known})")
    copied: list[StepRecord] = []
    for key in results:
        entry = by_key.get(key)
        if entry is None or entry.seq > start.seq:
            raise UsageError(f"cannot override step {key!r}: it is not at or before {from_step!r}")
        if entry.kind == "infer":
            raise UsageError(
                f"cannot override model call {key!r}: fork at it with another model instead"
            )
    for entry in sorted(journal, key=lambda e: e.seq):
        if entry.seq > start.seq or (entry.seq == start.seq and entry.key not in results):
            continue
        if entry.status == "waiting" and entry.key not in results:
            raise UsageError(f"cannot fork after open wait {entry.key!r}: it has no outcome yet")
        copy = replace(entry, run_id=new_run_id)
        if entry.key in results:
            copy = replace(copy, status="completed", output=results[entry.key], error=None)
        copied.append(copy)
    return copied
