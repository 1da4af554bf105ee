"""Flow-control options of `AgentKit.function`: concurrency, throttle, debounce, priority.

They are checked when the function is registered (a bad option names itself)
and turned into a `FlowPlan` for each start: key values are read from the
run's input once, at start, and stored with the run, so every worker process
enforces the same limits through the store.

Keys are a dotted path into the input (``"input.user_id"``: the ``user_id``
argument; ``"input.order.id"`` goes into it) or a callable of the input (a
dict of the arguments by parameter name).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from agentkit.durable._clock import check_seconds
from agentkit.errors import ConfigError, UsageError
from agentkit.store._flow_rules import DebouncePlan, FlowPlan, ThrottlePlan
from agentkit.store._limits import MAX_KEY_LENGTH

#: What a key is: a dotted path into the input, or a function of the input.
Key = str | Callable[[dict[str, Any]], Any]

#: Priorities are a head start in seconds, clamped to this many either way.
MAX_PRIORITY = 600


def _check_limit(owner: str, name: str, value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigError(f"{owner}: {name} must be an integer of at least 1, got {value!r}")
    return value


def _check_key(owner: str, key: object) -> None:
    if key is None or callable(key):
        return
    if not isinstance(key, str) or not key.startswith("input.") or key == "input.":
        raise ConfigError(
            f"{owner}: key must be a dotted path into the input such as 'input.user_id', "
            f"or a callable of the input, got {key!r}"
        )


@dataclass(frozen=True)
class Concurrency:
    """At most ``limit`` runs execute at once per key value (a waiting run holds no slot).

    Args:
        limit: runs executing at once per key value.
        key: ``"input.user_id"`` or ``lambda input: ...``; None: one limit for all runs.
        scope: share the limit with every function naming the same scope (by
            default the limit is this function's own).
    """

    limit: int
    key: Key | None = None
    scope: str | None = None

    def __post_init__(self) -> None:
        _check_limit("Concurrency", "limit", self.limit)
        _check_key("Concurrency", self.key)
        if self.scope is not None and (not isinstance(self.scope, str) or not self.scope):
            raise ConfigError(f"Concurrency: scope must be a non-empty string, got {self.scope!r}")


@dataclass(frozen=True)
class Throttle:
    """At most ``limit`` starts per ``period`` seconds per key; the excess is delayed, not dropped.

    Starts are spread evenly (one every ``period / limit`` s); ``burst`` lets that
    many start together after a quiet spell, the long-run rate unchanged.
    """

    limit: int
    period: float
    burst: int = 1
    key: Key | None = None

    def __post_init__(self) -> None:
        _check_limit("Throttle", "limit", self.limit)
        _check_limit("Throttle", "burst", self.burst)
        check_seconds("Throttle: period", self.period, sign="positive", error=ConfigError)
        _check_key("Throttle", self.key)


@dataclass(frozen=True)
class Debounce:
    """A burst of starts with one key becomes one run, with the last input.

    The run starts ``period`` seconds after the last start of the burst, and no
    later than ``max_wait`` seconds after the first.
    """

    period: float
    key: Key | None = None
    max_wait: float | None = None

    def __post_init__(self) -> None:
        check_seconds("Debounce: period", self.period, sign="positive", error=ConfigError)
        if self.max_wait is not None:
            check_seconds("Debounce: max_wait", self.max_wait, sign="positive", error=ConfigError)
        _check_key("Debounce", self.key)


@dataclass(frozen=True)
class Priority:
    """Due runs are claimed in priority order: ``run`` gives a head start in seconds.

    ``run`` is a path (``"input.tier"``) or a callable of the input returning an
    int, clamped to ±`MAX_PRIORITY`. A run of priority ``p`` is ordered as if it
    had been created ``p`` seconds earlier (aging): a run is never overtaken by
    runs created more than the priority gap after it, so none starves.
    """

    run: Key

    def __post_init__(self) -> None:
        if self.run is None:
            raise ConfigError("Priority: give a path such as 'input.tier' or a callable")
        _check_key("Priority", self.run)


@dataclass(frozen=True)
class CancelOn:
    """An event that cancels a run while it has not ended.

    ``match`` maps dotted paths in the event's data to paths in the run's
    input: ``CancelOn("order.cancelled", match={"order_id": "input.order_id"})``
    cancels the run whose ``order_id`` argument equals the event's ``order_id``.
    """

    event: str
    match: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.event, str) or not self.event:
            raise ConfigError(f"CancelOn: event must be a non-empty string, got {self.event!r}")
        for data_path, input_path in self.match.items():
            if not isinstance(data_path, str) or not data_path:
                raise ConfigError(f"CancelOn: match keys are event data paths, got {data_path!r}")
            _check_key(f"CancelOn({self.event!r}) match {data_path!r}", input_path)


@dataclass(frozen=True)
class FlowOptions:
    """The flow-control options of one function."""

    concurrency: tuple[Concurrency, ...] = ()
    throttle: Throttle | None = None
    debounce: Debounce | None = None
    priority: Priority | None = None
    cancel_on: tuple[CancelOn, ...] = ()

    @property
    def is_plain(self) -> bool:
        """Whether a start needs no flow plan (the plain, fastest path)."""
        return self == FlowOptions()

    def describe(self) -> list[str]:
        """One line per option, for ``agentkit functions list``."""
        lines = [
            f"concurrency {c.limit}" + _per(c.key) + (f" scope {c.scope}" if c.scope else "")
            for c in self.concurrency
        ]
        if self.throttle:
            t = self.throttle
            lines.append(f"throttle {t.limit}/{t.period:g}s burst {t.burst}" + _per(t.key))
        if self.debounce:
            d = self.debounce
            wait = f" max_wait {d.max_wait:g}s" if d.max_wait else ""
            lines.append(f"debounce {d.period:g}s{wait}" + _per(d.key))
        if self.priority:
            lines.append("priority" + _per(self.priority.run).replace(" per", ""))
        lines += [f"cancel_on {c.event}" for c in self.cancel_on]
        return lines


def _per(key: Key | None) -> str:
    if key is None:
        return ""
    return f" per {key}" if isinstance(key, str) else f" per {getattr(key, '__name__', 'key()')}"


def flow_options(
    function_id: str,
    parameters: Sequence[str],
    *,
    concurrency: Concurrency | Sequence[Concurrency] | None,
    throttle: Throttle | None,
    debounce: Debounce | None,
    priority: Priority | None,
    cancel_on: Sequence[CancelOn] | None,
) -> FlowOptions:
    """Check a function's options against its parameters; ConfigError naming the bad one."""
    limits = (
        ()
        if concurrency is None
        else (concurrency,)
        if isinstance(concurrency, Concurrency)
        else tuple(concurrency)
    )
    owner = f"durable function {function_id!r}"
    checks: list[tuple[str, object, type]] = [
        *(("concurrency", c, Concurrency) for c in limits),
        ("throttle", throttle, Throttle),
        ("debounce", debounce, Debounce),
        ("priority", priority, Priority),
        *(("cancel_on", c, CancelOn) for c in cancel_on or ()),
    ]
    for name, value, kind in checks:
        if value is not None and not isinstance(value, kind):
            raise ConfigError(f"{owner}: {name} must be a {kind.__name__}, got {value!r}")
    paths: list[tuple[str, Key | None]] = [
        *(("concurrency key", c.key) for c in limits),
        ("throttle key", throttle.key if throttle else None),
        ("debounce key", debounce.key if debounce else None),
        ("priority", priority.run if priority else None),
        *((f"cancel_on {c.event!r}", p) for c in cancel_on or () for p in c.match.values()),
    ]
    for name, path in paths:
        if isinstance(path, str) and path.split(".")[1] not in parameters:
            raise ConfigError(
                f"{owner}: {name} {path!r} names no parameter "
                f"(its parameters: {', '.join(parameters) or 'none'})"
            )
    return FlowOptions(limits, throttle, debounce, priority, tuple(cancel_on or ()))


def read_key(key: Key, input: dict[str, Any], what: str) -> Any:
    """The value of ``key`` for a run's input (a path or a callable)."""
    if callable(key):
        return key(input)
    value: Any = input
    for part in key.split(".")[1:]:
        if not isinstance(value, dict) or part not in value:
            raise UsageError(f"{what} {key!r}: the input has no {part!r} there")
        value = value[part]
    return value


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def _scoped(owner: str, key: Key | None, input: dict[str, Any], what: str) -> str:
    text = owner if key is None else f"{owner}:{_text(read_key(key, input, what))}"
    if len(text) > MAX_KEY_LENGTH:
        raise UsageError(f"{what} {text[:60]!r}... is longer than {MAX_KEY_LENGTH} characters")
    return text


def plan_start(
    function_id: str, options: FlowOptions, input: dict[str, Any]
) -> tuple[FlowPlan, int]:
    """The store's plan for one start of the function, and the run's priority."""
    where = f"durable function {function_id!r}:"
    slots = tuple(
        (
            _scoped(
                f"scope:{c.scope}" if c.scope else f"fn:{function_id}",
                c.key,
                input,
                f"{where} concurrency key",
            ),
            c.limit,
        )
        for c in options.concurrency
    )
    throttle = debounce = None
    if options.throttle is not None:
        t = options.throttle
        key = _scoped(function_id, t.key, input, f"{where} throttle key")
        throttle = ThrottlePlan(key, t.period / t.limit, t.burst)
    if options.debounce is not None:
        d = options.debounce
        key = _scoped(function_id, d.key, input, f"{where} debounce key")
        debounce = DebouncePlan(key, d.period, d.max_wait)
    cancel_on = tuple(
        (
            c.event,
            json.dumps(
                {
                    path: read_key(src, input, f"{where} cancel_on {c.event!r}")
                    for path, src in c.match.items()
                }
            ),
        )
        for c in options.cancel_on
    )
    priority = 0
    if options.priority is not None:
        value = read_key(options.priority.run, input, f"{where} priority")
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise UsageError(f"{where} priority must be a number of seconds, got {value!r}")
        priority = max(-MAX_PRIORITY, min(MAX_PRIORITY, int(value)))
    return FlowPlan(slots, cancel_on, throttle, debounce), priority


__all__ = [
    "CancelOn",
    "Concurrency",
    "Debounce",
    "FlowOptions",
    "Key",
    "Priority",
    "Throttle",
    "flow_options",
    "plan_start",
]
