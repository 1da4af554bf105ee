"""Datasets evaluated live, in replay (no model call) and score-only; reports and baselines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentkit import Agent, AgentKit, ConfigError, tool
from agentkit.evals import (
    Case,
    Contains,
    Dataset,
    EvalReport,
    ExpectedCall,
    LLMJudge,
    ToolTrajectory,
    evaluate,
    load_recording,
    recording_to_json,
)
from agentkit.models import ModelRequest, ModelResponse, ScriptedModel
from agentkit.store import InMemoryStore


@tool
def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


def answer(request: ModelRequest) -> ModelResponse:
    """Adds the two numbers in the question, with the tool, then answers."""
    last = request.messages[-1]
    if last.role == "tool":
        return ScriptedModel.text(f"It is {last.parts[0].content}.")  # type: ignore[union-attr]
    a, b = (int(x) for x in last.text.rstrip("?").split("+"))
    return ScriptedModel.tool_call("add", {"a": a, "b": b})


def dataset() -> Dataset:
    return Dataset(
        [
            Case(name="small", input="1+2?", expected="It is 3."),
            Case(name="large", input="20+22?", expected="It is 42."),
            Case(name="wrong", input="2+2?", expected="It is 5."),
        ],
        [
            Contains(),
            ToolTrajectory([ExpectedCall("add", exact_arguments=False)]),
        ],
        name="arith",
    )


async def live_report(kit: AgentKit, model: ScriptedModel) -> EvalReport:
    return await evaluate(dataset(), kit, Agent("calc", "You add.", model, [add]), mode="live")


async def test_live_mode_runs_the_agent_and_scores_every_case() -> None:
    kit = AgentKit(store=InMemoryStore())
    model = ScriptedModel(answer)
    report = await live_report(kit, model)
    assert [(c.name, c.passed) for c in report.cases] == [
        ("small", True),
        ("large", True),
        ("wrong", False),
    ]
    assert report.score_means == pytest.approx({"contains": 2 / 3, "tool-trajectory": 1.0})
    assert report.pass_rate == pytest.approx(2 / 3)
    assert len(model.requests) == 6
    assert report.rows()[2] == ["wrong", "fail", "✗ 0.00", "✓ 1.00"]


async def test_replay_mode_scores_todays_code_on_the_recordings_for_no_model_call() -> None:
    kit = AgentKit(store=InMemoryStore())
    first = await live_report(kit, ScriptedModel(answer))
    cases = [
        c.model_copy(update={"recording": r.run_id})
        for c, r in zip(dataset().cases, first.cases, strict=True)
    ]
    never = ScriptedModel([])
    today = AgentKit(store=kit.store)
    from agentkit import agent_function

    agent_function(today, Agent("calc", "You add numbers.", never, [add]))
    report = await evaluate(Dataset(cases, dataset().scorers), today, mode="replay")
    assert never.requests == []
    assert [c.passed for c in report.cases] == [True, True, False]
    small = report.cases[0].replay
    assert small is not None
    assert small["counts"] == {"same": 1, "changed": 2, "new": 0, "missing": 0}
    assert small["first_divergence"]["key"] == "calc/infer"


async def test_score_only_mode_rescores_recorded_outputs_with_new_scorers(tmp_path: Path) -> None:
    kit = AgentKit(store=InMemoryStore())
    first = await live_report(kit, ScriptedModel(answer))
    # Recordings exported beside the dataset: the suite no longer needs the store.
    cases = []
    for case, result in zip(dataset().cases, first.cases, strict=True):
        assert result.run_id is not None
        path = tmp_path / "recordings" / f"{case.name}.json"
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps(recording_to_json(load_recording(kit.store, result.run_id))))
        cases.append(case.model_copy(update={"recording": f"recordings/{case.name}.json"}))
    Dataset(cases, name="arith").save(tmp_path / "arith.yaml")
    loaded = Dataset.load(tmp_path / "arith.yaml", [Contains("It is 4.")])
    assert [c.recording for c in loaded.cases] == [
        f"recordings/{n}.json" for n in ("small", "large", "wrong")
    ]
    report = await evaluate(loaded, AgentKit(store=InMemoryStore()), mode="score-only")
    assert [c.passed for c in report.cases] == [False, False, True]
    assert report.cases[2].output["output"] == "It is 4."


async def test_a_baseline_shows_regressions_and_improvements(tmp_path: Path) -> None:
    kit = AgentKit(store=InMemoryStore())
    baseline = await live_report(kit, ScriptedModel(answer))
    baseline.save(tmp_path / "baseline.json")

    def off_by_one(request: ModelRequest) -> ModelResponse:
        reply = answer(request)
        if reply.tool_calls:
            return reply
        return ScriptedModel.text("It is 5." if "4" in reply.text else "It is 3.")

    now = await evaluate(
        dataset(),
        AgentKit(store=InMemoryStore()),
        Agent("calc", "You add.", ScriptedModel(off_by_one), [add]),
    )
    deltas = now.compare(EvalReport.load(tmp_path / "baseline.json"))
    assert [(d.case, d.scorer, d.kind) for d in deltas] == [
        ("large", "contains", "regression"),
        ("wrong", "contains", "improvement"),
    ]
    page = now.save(tmp_path / "report.html").read_text()
    assert page.startswith("<!doctype html>") and "large" in page and "http" not in page


async def test_an_llm_judge_is_a_stored_completion_replayed_when_scoring_again() -> None:
    judge_model = ScriptedModel(['{"score": 1, "passed": true, "reason": "correct sum"}'])
    judge = LLMJudge(judge_model, "The answer is the correct sum.")
    kit = AgentKit(store=InMemoryStore())
    data = Dataset([Case(name="small", input="1+2?")], [judge])
    agent = Agent("calc", "You add.", ScriptedModel(answer), [add])
    first = await evaluate(data, kit, agent)
    assert first.cases[0].scores[0].reason == "correct sum"
    cases = [Case(name="small", input="1+2?", recording=first.cases[0].run_id)]
    again = await evaluate(Dataset(cases, [judge]), kit, mode="score-only")
    assert again.cases[0].scores == first.cases[0].scores
    assert len(judge_model.requests) == 1


async def test_modes_say_what_they_lack() -> None:
    kit = AgentKit(store=InMemoryStore())
    with pytest.raises(ConfigError, match="has no recording"):
        await evaluate(dataset(), kit, mode="replay")
    with pytest.raises(ConfigError, match="needs a target"):
        await evaluate(dataset(), kit, mode="live")
    with pytest.raises(ConfigError, match="two cases named 'a'"):
        Dataset([Case(name="a"), Case(name="a")])
