"""Scorers: each looks at an `Observation` and gives a `Score` in [0, 1].

Deterministic scorers are plain code over the observation (no I/O):
`ExactMatch`, `Contains`, `Regex`, `JsonSchemaValid`, `EqualsStructured`,
`ToolTrajectory`, `MaxToolCalls`, `MaxCost`, `MaxLatency`, and `Custom` for
any function. `LLMJudge` (in ``_judge``) asks a model, as a stored completion.
Names follow pydantic-evals' evaluators where one exists (``EqualsExpected``
is our `ExactMatch`, ``Contains``, ``IsInstance``...).
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from agentkit.errors import ConfigError
from agentkit.evals._observation import Observation, ToolCall

__all__ = [
    "AnyValue",
    "Contains",
    "Custom",
    "EqualsStructured",
    "ExactMatch",
    "ExpectedCall",
    "JsonSchemaValid",
    "Matches",
    "MaxCost",
    "MaxLatency",
    "MaxToolCalls",
    "Regex",
    "Score",
    "Scorer",
    "ToolTrajectory",
]


@dataclass(frozen=True)
class Score:
    """One scorer's verdict on one case: ``value`` in [0, 1], ``passed``, and why."""

    scorer: str
    value: float
    passed: bool
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        """The score as JSON."""
        return {
            "scorer": self.scorer,
            "value": self.value,
            "passed": self.passed,
            "reason": self.reason,
        }


def _verdict(name: str, passed: bool, reason: str = "") -> Score:
    return Score(name, 1.0 if passed else 0.0, passed, reason)


class Scorer:
    """Base of every scorer: ``name`` and ``score(observation)`` (sync or async)."""

    name: str = "scorer"

    def score(self, observation: Observation) -> Score | Awaitable[Score]:
        """The verdict on one case."""
        raise NotImplementedError

    def to_json(self) -> dict[str, Any]:
        """How a report names this scorer."""
        return {"name": self.name, "type": type(self).__name__}


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)


def _expected(scorer: str, given: Any, observation: Observation) -> Any:
    expected = observation.expected if given is None else given
    if expected is None:
        raise ConfigError(f"scorer {scorer!r} needs an expected value (on the case or the scorer)")
    return expected


@dataclass
class ExactMatch(Scorer):
    """The output equals ``expected`` (default: the case's expected output)."""

    expected: Any = None
    name: str = "exact"

    def score(self, observation: Observation) -> Score:
        expected = _expected(self.name, self.expected, observation)
        ok = observation.output == expected
        return _verdict(self.name, ok, "" if ok else f"got {_text(observation.output)[:200]}")


@dataclass
class Contains(Scorer):
    """The output's text contains ``value`` (default: the case's expected output)."""

    value: str | None = None
    case_sensitive: bool = True
    name: str = "contains"

    def score(self, observation: Observation) -> Score:
        needle = _text(_expected(self.name, self.value, observation))
        text = _text(observation.output)
        if not self.case_sensitive:
            needle, text = needle.lower(), text.lower()
        ok = needle in text
        return _verdict(self.name, ok, "" if ok else f"{needle!r} not in the output")


@dataclass
class Regex(Scorer):
    """The output's text matches ``pattern`` (``re.search``)."""

    pattern: str
    name: str = "regex"

    def __post_init__(self) -> None:
        try:
            self._compiled = re.compile(self.pattern)
        except re.error as exc:
            raise ConfigError(
                f"scorer {self.name!r}: invalid pattern {self.pattern!r}: {exc}"
            ) from exc

    def score(self, observation: Observation) -> Score:
        ok = self._compiled.search(_text(observation.output)) is not None
        return _verdict(self.name, ok, "" if ok else f"no match for {self.pattern!r}")


def _as_json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return json.loads(json.dumps(value, default=str))


@dataclass
class JsonSchemaValid(Scorer):
    """The output (or its text parsed as JSON) is valid against ``schema``."""

    schema: dict[str, Any]
    name: str = "json-schema"

    def score(self, observation: Observation) -> Score:
        import jsonschema  # only this scorer needs it

        validator = jsonschema.Draft202012Validator(self.schema)
        errors = sorted(validator.iter_errors(_as_json(observation.output)), key=str)
        if not errors:
            return _verdict(self.name, True)
        first = errors[0]
        where = "/".join(str(p) for p in first.path) or "<root>"
        return _verdict(self.name, False, f"{where}: {first.message}")


@dataclass
class EqualsStructured(Scorer):
    """The output equals ``expected`` as JSON data: key order, str-vs-parsed JSON ignored.

    ``ignore`` lists top-level keys left out of the comparison.
    """

    expected: Any = None
    ignore: Sequence[str] = ()
    name: str = "equals-structured"

    def score(self, observation: Observation) -> Score:
        from agentkit.evals._diff import json_diff

        expected = _as_json(_expected(self.name, self.expected, observation))
        got = _as_json(observation.output)
        if isinstance(expected, dict) and isinstance(got, dict):
            expected = {k: v for k, v in expected.items() if k not in self.ignore}
            got = {k: v for k, v in got.items() if k not in self.ignore}
        changes = json_diff(expected, got)
        if not changes:
            return _verdict(self.name, True)
        return _verdict(self.name, False, "; ".join(c.render() for c in changes[:3]))


# -- tool trajectories ---------------------------------------------------------


class Matches:
    """An argument matcher: a predicate on one argument's value, with a description."""

    def __init__(self, predicate: Callable[[Any], bool], description: str) -> None:
        self.predicate = predicate
        self.description = description

    def __repr__(self) -> str:
        return self.description

    @classmethod
    def regex(cls, pattern: str) -> Matches:
        """A string argument matching ``pattern``."""
        compiled = re.compile(pattern)
        return cls(lambda v: isinstance(v, str) and compiled.search(v) is not None, f"/{pattern}/")


AnyValue = Matches(lambda _v: True, "<any>")
"""Matches any value of an argument that must be present."""


def _normal(value: Any) -> Any:
    """JSON-normal form: 1 == 1.0, tuples are lists."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, Mapping):
        return {str(k): _normal(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_normal(v) for v in value]
    return value


def _argument_matches(expected: Any, got: Any) -> bool:
    if isinstance(expected, Matches):
        return bool(expected.predicate(got))
    if callable(expected):
        return bool(expected(got))
    return bool(_normal(expected) == _normal(got))


@dataclass(frozen=True)
class ExpectedCall:
    """A tool call a trajectory must contain.

    ``arguments`` maps argument names to a value (compared as JSON), a
    `Matches`, or a predicate; with ``exact_arguments`` the call may have no
    other arguments.
    """

    name: str
    arguments: Mapping[str, Any] = field(default_factory=dict)
    exact_arguments: bool = True

    def matches(self, call: ToolCall) -> bool:
        """Whether ``call`` is this call."""
        if call.name != self.name:
            return False
        if self.exact_arguments and set(call.arguments) != set(self.arguments):
            return False
        return all(
            name in call.arguments and _argument_matches(value, call.arguments[name])
            for name, value in self.arguments.items()
        )

    def to_json(self) -> dict[str, Any]:
        """The expected call as JSON (matchers by description)."""
        return {
            "name": self.name,
            "arguments": {
                k: repr(v) if isinstance(v, Matches) else v for k, v in self.arguments.items()
            },
        }


@dataclass
class ToolTrajectory(Scorer):
    """The run's tool calls match the expected ones.

    Args:
        expected: The calls (default: the case's expected value, a list of
            ``{"name": ..., "arguments"|"kwargs": {...}}``).
        order: ``"in_order"`` (a subsequence, in this order), ``"exact"``
            (exactly these calls, in order) or ``"set"`` (each expected call
            once, any order).
        tools: Only calls of these tools count (e.g. the ones that write).
        allow_extra: Whether calls beyond the expected ones are allowed
            (``"exact"`` never allows them).
        skip_failed: Calls that failed do not count: those whose result is an
            error (``is_error``), or for which ``failed`` says so (a tool that
            reports errors in its text, e.g. ``"Error: ..."``).
        failed: Decides which calls failed, beyond ``is_error``.

    The value is the fraction of expected calls found; it passes when all
    were found (and no extra calls were made, unless allowed).
    """

    expected: Sequence[ExpectedCall] | None = None
    order: Literal["in_order", "exact", "set"] = "in_order"
    tools: frozenset[str] | None = None
    allow_extra: bool = True
    skip_failed: bool = False
    failed: Callable[[ToolCall], bool] | None = None
    name: str = "tool-trajectory"

    def _expected_calls(self, observation: Observation) -> list[ExpectedCall]:
        if self.expected is not None:
            return list(self.expected)
        raw = _expected(self.name, None, observation)
        if not isinstance(raw, list):
            raise ConfigError(f"scorer {self.name!r}: a case's expected calls must be a list")
        return [
            ExpectedCall(str(c["name"]), dict(c.get("arguments", c.get("kwargs", {})))) for c in raw
        ]

    def _failed(self, call: ToolCall) -> bool:
        return call.is_error or (self.failed is not None and self.failed(call))

    def score(self, observation: Observation) -> Score:
        expected = [
            c
            for c in self._expected_calls(observation)
            if self.tools is None or c.name in self.tools
        ]
        calls = [
            c
            for c in observation.tool_calls
            if (self.tools is None or c.name in self.tools)
            and not (self.skip_failed and self._failed(c))
        ]
        if self.order == "set":
            found, extra = _match_set(expected, calls)
        else:
            found, extra = _match_in_order(expected, calls)
        if self.order == "exact":
            extra = len(calls) - found
        allow_extra = self.allow_extra and self.order != "exact"
        value = 1.0 if not expected else found / len(expected)
        passed = found == len(expected) and (allow_extra or extra == 0)
        reason = ""
        if found < len(expected):
            reason = f"{len(expected) - found} of {len(expected)} expected call(s) not made"
        elif not passed:
            reason = f"{extra} unexpected call(s)"
        if not passed and value == 1.0:
            value = 0.0 if not expected else len(expected) / (len(expected) + extra)
        return Score(self.name, value, passed, reason)


def _match_in_order(expected: list[ExpectedCall], calls: list[ToolCall]) -> tuple[int, int]:
    position, found = 0, 0
    for want in expected:
        while position < len(calls) and not want.matches(calls[position]):
            position += 1
        if position == len(calls):
            break
        found += 1
        position += 1
    return found, len(calls) - found


def _match_set(expected: list[ExpectedCall], calls: list[ToolCall]) -> tuple[int, int]:
    unused = list(calls)
    found = 0
    for want in expected:
        hit = next((c for c in unused if want.matches(c)), None)
        if hit is not None:
            unused.remove(hit)
            found += 1
    return found, len(unused)


# -- budgets -------------------------------------------------------------------


@dataclass
class MaxToolCalls(Scorer):
    """At most ``limit`` tool calls."""

    limit: int
    name: str = "max-tool-calls"

    def score(self, observation: Observation) -> Score:
        count = len(observation.tool_calls)
        ok = count <= self.limit
        return _verdict(self.name, ok, f"{count} tool call(s), limit {self.limit}")


@dataclass
class MaxCost(Scorer):
    """At most ``usd`` of model calls (unknown cost passes, and says so)."""

    usd: float
    name: str = "max-cost"

    def score(self, observation: Observation) -> Score:
        cost = observation.cost_usd
        if cost is None:
            return _verdict(self.name, True, "cost unknown")
        return _verdict(self.name, cost <= self.usd, f"${cost:.6f}, limit ${self.usd}")


@dataclass
class MaxLatency(Scorer):
    """At most ``seconds`` of wall time (unknown passes, and says so)."""

    seconds: float
    name: str = "max-latency"

    def score(self, observation: Observation) -> Score:
        latency = observation.latency_s
        if latency is None:
            return _verdict(self.name, True, "latency unknown")
        return _verdict(
            self.name, latency <= self.seconds, f"{latency:.3f} s, limit {self.seconds} s"
        )


@dataclass
class Custom(Scorer):
    """Any function of the observation returning a bool, a number in [0, 1] or a `Score`.

    A number passes at ``threshold`` or above.
    """

    fn: Callable[[Observation], Any]
    name: str = "custom"
    threshold: float = 1.0

    async def score(self, observation: Observation) -> Score:
        value = self.fn(observation)
        if inspect.isawaitable(value):
            value = await value
        if isinstance(value, Score):
            return value
        if isinstance(value, bool):
            return _verdict(self.name, value)
        if isinstance(value, int | float):
            number = float(value)
            return Score(self.name, number, number >= self.threshold)
        raise ConfigError(
            f"custom scorer {self.name!r} returned {type(value).__name__}; "
            "return a bool, a number or a Score"
        )
