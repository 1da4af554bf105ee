"""Flow control's decisions, as plain code over data (no clock, no database).

Both stores apply these inside one transaction: the throttle's schedule, the
debounce window, which concurrency-keyed runs a claim may take, and whether a
cron tick is new. See `agentkit.durable` (``Concurrency``, ``Throttle``,
``Debounce``, ``Priority``, ``cron``) for the user-facing rules they implement.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class ThrottlePlan:
    """Spread starts sharing ``key``: one every ``interval`` seconds, ``burst`` at once."""

    key: str
    interval: float
    burst: int = 1


@dataclass(frozen=True)
class DebouncePlan:
    """Fold starts sharing ``key`` into one run, ``period`` after the last (``max_wait`` cap)."""

    key: str
    period: float
    max_wait: float | None = None


@dataclass(frozen=True)
class FlowPlan:
    """What a store must do to start one run of a flow-controlled function.

    Attributes:
        slots: ``(slot key, limit)`` pairs: the run executes only while fewer
            than ``limit`` other runs holding the same slot key execute.
        cancel_on: ``(event name, match JSON)`` pairs: an event of that name
            whose data matches cancels the run while it has not ended.
        throttle: delay the start to keep to a rate.
        debounce: fold a burst of starts into one run with the last input.
    """

    slots: tuple[tuple[str, int], ...] = ()
    cancel_on: tuple[tuple[str, str], ...] = ()
    throttle: ThrottlePlan | None = None
    debounce: DebouncePlan | None = None


def claim_order(created_at: float, priority: int) -> float:
    """The sort key of due runs: a run of priority ``p`` ranks as if created ``p`` s earlier.

    This is the aging rule: priority is a head start in seconds, so a run of
    the lowest priority is claimed before any run created more than the
    priority gap after it; nothing starves.
    """
    return created_at - priority


def throttled_start(tat: float | None, now: float, plan: ThrottlePlan) -> tuple[float, float]:
    """GCRA by virtual scheduling: (when this run may start, the key's next theoretical time).

    With ``burst`` 1 the starts are exactly ``interval`` apart; a larger burst
    lets that many start together after a quiet spell, the long-run rate unchanged.
    """
    arrival = now if tat is None else max(tat, now)
    start = max(now, arrival - (plan.burst - 1) * plan.interval)
    return start, arrival + plan.interval


def debounce_deadline(first_at: float, now: float, plan: DebouncePlan) -> float:
    """When a debounced run starts: ``period`` after the last start, at most ``max_wait``."""
    deadline = now + plan.period
    if plan.max_wait is not None:
        deadline = min(deadline, first_at + plan.max_wait)
    return deadline


def can_extend_debounce(status: str, executions: int) -> bool:
    """Whether a pending debounced run has not started yet, so a new start may fold into it."""
    return status == "waiting" and executions == 0


def choose_slotted(
    candidates: Iterable[tuple[str, list[tuple[str, int]]]],
    executing: Mapping[str, int],
    limit: int,
) -> list[str]:
    """Which concurrency-keyed runs to claim, in the candidates' (priority) order.

    Args:
        candidates: ``(run id, [(slot key, limit), ...])`` of due runs, best first.
        executing: how many runs execute now per slot key (not counting the candidates).
        limit: at most this many runs.
    """
    counts = dict(executing)
    chosen: list[str] = []
    for run_id, slots in candidates:
        if len(chosen) >= limit:
            break
        if all(counts.get(key, 0) < slot_limit for key, slot_limit in slots):
            chosen.append(run_id)
            for key, _ in slots:
                counts[key] = counts.get(key, 0) + 1
    return chosen


CronDecision = Literal["first", "fire", "seen"]


def cron_decision(last_tick: float | None, tick: float) -> CronDecision:
    """What to do with a schedule's latest tick.

    ``first``: the schedule was never seen; remember the tick without running it
    (a new schedule starts at its next tick). ``fire``: the tick is newer than the
    last one run; run it once (after downtime only the latest missed tick runs).
    ``seen``: it ran already.
    """
    if last_tick is None:
        return "first"
    return "fire" if tick > last_tick else "seen"
