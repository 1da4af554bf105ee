"""Triggers: functions started by an event (`on_event`) or a schedule (`cron`).

An event starts every function whose trigger it matches, once per event id:
each start carries the idempotency key ``event:<event id>``, so sending the
same event again (after a crash) starts nothing twice. A cron schedule's tick
starts exactly one run however many workers look at it: the store advances the
schedule's last tick and creates the run in one transaction.

Missed-tick policy: after downtime, only the latest missed tick runs (once);
a schedule seen for the first time starts at its next tick.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from agentkit.errors import ConfigError

if TYPE_CHECKING:
    from agentkit.durable._kit import AgentKit

#: What an event-triggered function receives, as its ``event`` argument:
#: ``{"id": ..., "name": ..., "data": ..., "ts": epoch seconds}``.
EVENT_PARAMETER = "event"


def event_matches(match: Mapping[str, Any], data: Any) -> bool:
    """Whether every dotted path in ``match`` leads to the same value in ``data``."""
    for path, expected in match.items():
        value = data
        for part in path.split("."):
            if not isinstance(value, dict) or part not in value:
                return False
            value = value[part]
        if value != expected:
            return False
    return True


@dataclass(frozen=True)
class EventTrigger:
    """Start the function for every event named ``event`` that passes ``where``."""

    event: str
    where: Mapping[str, Any] | Callable[[Any], bool] | None = None

    def matches(self, data: Any) -> bool:
        """Whether an event with this data starts the function."""
        if self.where is None:
            return True
        if callable(self.where):
            return bool(self.where(data))
        return event_matches(self.where, data)

    def describe(self) -> str:
        return f"event {self.event}" + ("" if self.where is None else " (filtered)")


@dataclass(frozen=True)
class CronTrigger:
    """Start the function at every tick of a cron expression, in a time zone."""

    expression: str
    tz: str = "UTC"
    zone: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        from croniter import croniter  # imported for cron functions only

        if not isinstance(self.expression, str) or not croniter.is_valid(self.expression):
            raise ConfigError(f"cron expression {self.expression!r} is not valid")
        try:
            object.__setattr__(self, "zone", ZoneInfo(self.tz))
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise ConfigError(f"cron time zone {self.tz!r} is not a known zone") from None

    def latest_tick(self, now: float) -> float:
        """The last tick before ``now`` (epoch seconds)."""
        from croniter import croniter

        start = datetime.datetime.fromtimestamp(now, self.zone)
        return float(croniter(self.expression, start).get_prev(float))

    def describe(self) -> str:
        return f"cron {self.expression} ({self.tz})"


Trigger = EventTrigger | CronTrigger


def on_event(
    event: str, where: Mapping[str, Any] | Callable[[Any], bool] | None = None
) -> EventTrigger:
    """Trigger: `AgentKit.send_event` of ``event`` starts the function (once per event).

    Args:
        event: the event name.
        where: only events whose data matches: a mapping of dotted paths to
            values (as ``wait_for_event``'s ``match``), or a callable of the data.

    The function must take an ``event`` parameter; it receives
    ``{"id", "name", "data", "ts"}``.
    """
    if not isinstance(event, str) or not event:
        raise ConfigError(f"on_event: the event name must be a non-empty string, got {event!r}")
    if where is not None and not callable(where) and not isinstance(where, Mapping):
        raise ConfigError(f"on_event({event!r}): where must be a mapping or a callable")
    return EventTrigger(event, where)


def cron(expression: str, tz: str = "UTC") -> CronTrigger:
    """Trigger: start the function at every tick of ``expression`` (croniter syntax).

    Five fields (minute precision) or six (a trailing seconds field). Each tick
    starts exactly one run however many workers run; after downtime only the
    latest missed tick runs; a new schedule starts at its next tick.
    """
    return CronTrigger(expression, tz)


def fire_cron_ticks(kit: AgentKit, now: float, seen: dict[str, float]) -> int:
    """Start the run of each cron function's latest tick, unless a worker already did.

    ``seen`` (per worker) remembers the ticks this worker has handed to the
    store, so a tick costs one transaction per worker. Returns the runs started.
    """
    started = 0
    for function in list(kit.functions.values()):
        trigger = function.trigger
        if not isinstance(trigger, CronTrigger):
            continue
        tick = trigger.latest_tick(now)
        if seen.get(function.id) == tick:
            continue
        if kit._start_cron_tick(function, tick) is not None:
            started += 1
        seen[function.id] = tick
    return started


def check_trigger(function_id: str, trigger: object, parameters: list[str]) -> Trigger | None:
    """Check a function's trigger against its parameters; ConfigError naming the problem."""
    owner = f"durable function {function_id!r}"
    if trigger is None:
        return None
    if isinstance(trigger, EventTrigger):
        if EVENT_PARAMETER not in parameters:
            raise ConfigError(
                f"{owner} is triggered by event {trigger.event!r}, so it must take an "
                f"'{EVENT_PARAMETER}' parameter (it receives the event's id, name, data and ts)"
            )
        return trigger
    if isinstance(trigger, CronTrigger):
        return trigger
    raise ConfigError(f"{owner}: trigger must be on_event(...) or cron(...), got {trigger!r}")
