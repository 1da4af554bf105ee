"""BFCL offline: a model replaying the ground truth scores 100%; wrong answers score what they
deserve. The data comes from the installed bfcl-eval package."""

from __future__ import annotations

from typing import Any

import pytest

from agentkit import AgentKit
from agentkit.evals import EvalReport
from agentkit.models import Message, ModelRequest, ModelResponse, ScriptedModel, ToolCallPart, Usage
from agentkit.store import InMemoryStore
from evals.bfcl import (
    CATEGORIES,
    BFCLCase,
    ast_match,
    ground_truth_answer,
    load_category,
    run_suite,
    wire_name,
)

CASES = {category: load_category(category) for category in CATEGORIES}


def reply(calls: list[dict[str, Any]]) -> ModelResponse:
    parts = [
        ToolCallPart.from_arguments(f"call_{i}", wire_name(name), args)
        for i, call in enumerate(calls)
        for name, args in call.items()
    ]
    if not parts:
        return ScriptedModel.text("None of these functions can do that.")
    return ModelResponse(
        message=Message(role="assistant", parts=list(parts)),
        finish_reason="tool_calls",
        usage=Usage(),
        model="scripted",
        provider="scripted",
    )


def answering(answer: Any) -> ScriptedModel:
    """A model that answers each BFCL question with ``answer(case)``."""
    by_request = {
        (case.question[-1]["content"], tuple(wire_name(f["name"]) for f in case.functions)): case
        for cases in CASES.values()
        for case in cases
    }

    def respond(request: ModelRequest) -> ModelResponse:
        key = (request.messages[-1].text, tuple(tool.name for tool in request.tools))
        return reply(answer(by_request[key]))

    return ScriptedModel(respond)


def test_the_four_categories_are_loaded_with_their_answers() -> None:
    assert {c: len(cases) for c, cases in CASES.items()} == {
        "simple": 400,
        "multiple": 200,
        "parallel": 200,
        "irrelevance": 240,
    }
    assert all(case.possible for c in ("simple", "multiple", "parallel") for case in CASES[c])


def by_category(report: EvalReport) -> dict[str, int]:
    passed: dict[str, int] = {}
    for case in report.cases:
        category = case.name.rsplit("_", 1)[0].replace("simple_python", "simple")
        passed[category] = passed.get(category, 0) + case.passed
    return passed


async def test_the_ground_truth_scores_100_percent() -> None:
    def truth(case: BFCLCase) -> list[dict[str, Any]]:
        return ground_truth_answer(case) if case.category != "irrelevance" else []

    report = await run_suite(AgentKit(store=InMemoryStore()), answering(truth), list(CATEGORIES))
    assert by_category(report) == {
        "simple": 400,
        "multiple": 200,
        "parallel": 200,
        "irrelevance": 240,
    }
    assert report.pass_rate == 1.0


def wrong_every_other(case: BFCLCase) -> list[dict[str, Any]]:
    index = int(case.id.rsplit("_", 1)[1])
    if case.category == "irrelevance":
        if index % 2:
            name = case.functions[0]["name"]
            return [{name: {}}]
        return []
    calls = ground_truth_answer(case)
    if index % 2 == 0:
        return calls
    if case.category == "parallel":
        return calls[:-1]  # one call short
    ((name, args),) = calls[0].items()
    return [{f"{name}_v2": args}]  # the wrong function


async def test_wrong_answers_score_exactly_what_they_deserve() -> None:
    report = await run_suite(
        AgentKit(store=InMemoryStore()), answering(wrong_every_other), list(CATEGORIES)
    )
    assert by_category(report) == {
        "simple": 200,
        "multiple": 100,
        "parallel": 100,
        "irrelevance": 120,
    }
    assert report.pass_rate == pytest.approx(0.5)


def test_the_ast_matcher_rules() -> None:
    (case,) = [c for c in CASES["simple"] if c.id == "simple_python_0"]
    # possible: base [10], height [5], unit ["units", ""] (optional)
    ok = [{"calculate_triangle_area": {"base": 10, "height": 5}}]
    assert ast_match(case, ok).passed
    assert ast_match(
        case, [{"calculate_triangle_area": {"base": 10, "height": 5, "unit": "Units"}}]
    ).passed
    assert not ast_match(case, [{"calculate_triangle_area": {"base": 10}}]).passed
    assert not ast_match(case, [{"calculate_triangle_area": {"base": 10, "height": 6}}]).passed
    assert not ast_match(
        case, [{"calculate_triangle_area": {"base": 10, "height": 5, "x": 1}}]
    ).passed
    assert ast_match(case, ok + ok).reason == "2 call(s), expected 1"
    parallel = CASES["parallel"][0]
    assert ast_match(parallel, list(reversed(ground_truth_answer(parallel)))).passed
