"""Scorers: exact values on passing and failing observations."""

from __future__ import annotations

import pytest

from agentkit import ConfigError
from agentkit.evals import (
    AnyValue,
    Contains,
    Custom,
    EqualsStructured,
    ExactMatch,
    ExpectedCall,
    JsonSchemaValid,
    Matches,
    MaxCost,
    MaxLatency,
    MaxToolCalls,
    Observation,
    Regex,
    Score,
    ToolCall,
    ToolTrajectory,
)


def seen(output: object = "It is 3.", **fields: object) -> Observation:
    return Observation(input="1+2?", output=output, **fields)  # type: ignore[arg-type]


def test_text_scorers() -> None:
    assert ExactMatch("It is 3.").score(seen()).passed
    assert ExactMatch().score(seen(expected="It is 4.")) == Score(
        "exact", 0.0, False, "got It is 3."
    )
    assert Contains("is 3").score(seen()).passed
    assert not Contains("IS 3").score(seen()).passed
    assert Contains("IS 3", case_sensitive=False).score(seen()).passed
    assert Regex(r"\b3\.$").score(seen()).passed
    assert Regex(r"^4").score(seen()).reason == "no match for '^4'"
    with pytest.raises(ConfigError, match="invalid pattern"):
        Regex("(")
    with pytest.raises(ConfigError, match="needs an expected value"):
        ExactMatch().score(seen())


def test_structured_scorers() -> None:
    schema = {"type": "object", "required": ["city"], "properties": {"city": {"type": "string"}}}
    assert JsonSchemaValid(schema).score(seen('{"city": "Paris"}')).passed
    verdict = JsonSchemaValid(schema).score(seen({"city": 3}))
    assert (verdict.passed, verdict.reason) == (False, "city: 3 is not of type 'string'")
    assert EqualsStructured({"a": 1, "b": [1, 2]}).score(seen('{"b": [1, 2], "a": 1}')).passed
    different = EqualsStructured({"a": 1, "b": 2}).score(seen({"a": 1, "b": 3}))
    assert different.reason == "b: 2 -> 3"
    assert EqualsStructured({"a": 1}, ignore=["id"]).score(seen({"a": 1, "id": "x"})).passed


CALLS = [
    ToolCall("search", {"city": "Paris", "limit": 3}, "ok"),
    ToolCall("book", {"flight": "AF1", "seats": 2}, "Error: sold out", is_error=False),
    ToolCall("book", {"flight": "AF2", "seats": 2.0}, "booked"),
]


def test_tool_trajectory_in_order_with_matchers() -> None:
    expected = [
        ExpectedCall("search", {"city": Matches.regex("^Par"), "limit": AnyValue}),
        ExpectedCall("book", {"flight": "AF2", "seats": 2}),
    ]
    assert ToolTrajectory(expected).score(seen(tool_calls=CALLS)) == Score(
        "tool-trajectory", 1.0, True, ""
    )
    reversed_order = ToolTrajectory(list(reversed(expected))).score(seen(tool_calls=CALLS))
    assert (reversed_order.value, reversed_order.passed) == (0.5, False)
    assert (
        ToolTrajectory(list(reversed(expected)), order="set").score(seen(tool_calls=CALLS)).passed
    )


def test_tool_trajectory_exact_extra_calls_and_failed_calls() -> None:
    booking = [ExpectedCall("book", {"flight": "AF2", "seats": 2})]
    only_book = ToolTrajectory(booking, tools=frozenset({"book"}), allow_extra=False)
    verdict = only_book.score(seen(tool_calls=CALLS))
    assert (verdict.passed, verdict.reason, verdict.value) == (False, "1 unexpected call(s)", 0.5)
    skipping = ToolTrajectory(
        booking,
        tools=frozenset({"book"}),
        allow_extra=False,
        skip_failed=True,
        failed=lambda call: (call.result or "").startswith("Error"),
    )
    assert skipping.score(seen(tool_calls=CALLS)).passed
    flagged = [ToolCall("book", {"flight": "AF1", "seats": 2}, "sold out", is_error=True)]
    only_errors = ToolTrajectory(booking, allow_extra=False, skip_failed=True)
    assert only_errors.score(seen(tool_calls=[*flagged, CALLS[2]])).passed
    exact = ToolTrajectory([ExpectedCall("search", {"city": "Paris", "limit": 3})], order="exact")
    assert not exact.score(seen(tool_calls=CALLS)).passed
    from_case = ToolTrajectory().score(
        seen(tool_calls=CALLS, expected=[{"name": "book", "kwargs": {"flight": "AF2", "seats": 2}}])
    )
    assert from_case.passed


def test_budgets_and_custom() -> None:
    assert MaxToolCalls(3).score(seen(tool_calls=CALLS)).passed
    assert MaxToolCalls(2).score(seen(tool_calls=CALLS)).reason == "3 tool call(s), limit 2"
    assert not MaxCost(0.01).score(seen(cost_usd=0.02)).passed
    assert MaxCost(0.01).score(seen()).reason == "cost unknown"
    assert not MaxLatency(1.0).score(seen(latency_s=1.5)).passed


async def test_custom_scorers_take_bools_numbers_and_scores() -> None:
    assert (await Custom(lambda o: "3" in o.output).score(seen())).passed
    half = await Custom(lambda o: 0.5, name="half", threshold=0.5).score(seen())
    assert half == Score("half", 0.5, True)
    with pytest.raises(ConfigError, match="returned str"):
        await Custom(lambda o: "yes").score(seen())
