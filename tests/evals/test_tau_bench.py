"""τ-bench airline: the 200 real gpt-4o trajectories as recorded runs, replayed offline.

The autouse network guard fails any connection, so these runs prove replay
makes none. Speed is measured in bench/replay.py, not asserted here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from agentkit import AgentKit
from agentkit.evals import ReplayReport, SchemaTool
from agentkit.store import InMemoryStore
from evals.tau_bench import (
    TauRun,
    airline_agent,
    confusion,
    import_runs,
    load_trajectories,
    register,
    replay_all,
    score,
    score_task,
)


@pytest.fixture(scope="module")
def recorded() -> Iterator[tuple[AgentKit, list[TauRun]]]:
    kit = AgentKit(store=InMemoryStore())
    runs = asyncio.run(import_runs(kit, load_trajectories()))
    register(kit)
    yield kit, runs
    kit.close()


@pytest.fixture(scope="module")
def reports(recorded: tuple[AgentKit, list[TauRun]]) -> list[ReplayReport]:
    kit, runs = recorded
    return asyncio.run(replay_all(kit, runs))


def test_all_200_trajectories_import_as_runs(recorded: tuple[AgentKit, list[TauRun]]) -> None:
    kit, runs = recorded
    assert len(runs) == 200
    assert sum(run.reward == 1.0 for run in runs) == 84
    assert {run.task_id for run in runs} == set(range(50))
    first = kit.store.load_journal(runs[0].run_id)
    assert [step.key for step in first[:3]] == ["airline/infer", "user", "airline/infer#1"]
    assert kit.store.list_completions(runs[0].run_id)[0].provider == "openai"


def test_every_step_of_all_200_replays_as_the_same(reports: list[ReplayReport]) -> None:
    assert [r.status for r in reports] == ["completed"] * 200
    assert sum(r.count("same") for r in reports) == 5014
    assert sum(r.count("changed") + r.count("new") + r.count("missing") for r in reports) == 0
    assert not any(r.output_changed for r in reports)


def test_the_trajectory_scorer_agrees_with_the_recorded_reward(
    recorded: tuple[AgentKit, list[TauRun]], reports: list[ReplayReport]
) -> None:
    _, runs = recorded
    scores = [score(report.output, run) for report, run in zip(reports, runs, strict=True)]
    assert confusion(runs, scores) == {
        "pass_and_reward_1": 82,
        "pass_and_reward_0": 3,
        "fail_and_reward_1": 2,
        "fail_and_reward_0": 113,
    }
    # The 3 passes with reward 0 are tasks whose reward also needs the agent to tell
    # the user a value (τ-bench's `outputs`); checking those too leaves the 2 runs whose
    # database ended right with other write calls than the gold ones.
    both = [score_task(report.output, run) for report, run in zip(reports, runs, strict=True)]
    assert confusion(runs, both) == {
        "pass_and_reward_1": 82,
        "pass_and_reward_0": 0,
        "fail_and_reward_1": 2,
        "fail_and_reward_0": 116,
    }


async def test_a_changed_tool_schema_shows_in_every_first_model_call(
    recorded: tuple[AgentKit, list[TauRun]],
) -> None:
    kit, runs = recorded
    agent = airline_agent()
    think = next(t for t in agent.tools if t.name == "think")
    assert isinstance(think, SchemaTool)
    think.description = "Think out loud."
    today = AgentKit(store=kit.store)
    register(today, agent)
    (report,) = await replay_all(today, runs[:1])
    first = report.steps[0]
    assert (first.key, first.status) == ("airline/infer", "changed")
    assert [c.path for c in first.changes] == ["tools[think].function.description"]
