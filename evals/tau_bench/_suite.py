"""τ-bench airline as recorded runs: import, replay offline, score, compare with reward."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentkit.agents import Agent, AgentKit
from agentkit.evals import (
    ExpectedCall,
    Observation,
    ReplayReport,
    SchemaTool,
    Score,
    ToolTrajectory,
    conversation_function,
    import_openai_log,
    load_recording,
    replay_recording,
    tool_calls_of,
)
from agentkit.models import Message, Model, ScriptedModel

DATA = Path(__file__).resolve().parent / "data"
STOP = "###STOP###"  # τ-bench's user simulator ends the conversation with it
# The tools that change the booking database, which τ-bench's reward checks.
WRITE_TOOLS = frozenset(
    {
        "book_reservation",
        "cancel_reservation",
        "send_certificate",
        "update_reservation_baggages",
        "update_reservation_flights",
        "update_reservation_passengers",
    }
)


@dataclass(frozen=True)
class TauRun:
    """One imported trajectory: where it came from, its reward, its gold actions, its run."""

    index: int
    task_id: int
    trial: int
    reward: float
    actions: list[dict[str, Any]]
    outputs: list[str]
    run_id: str


def load_trajectories() -> list[dict[str, Any]]:
    """The 200 recorded gpt-4o trajectories (task, trial, reward, info, traj)."""
    data: list[dict[str, Any]] = json.loads((DATA / "gpt-4o-airline.json").read_text("utf-8"))
    return data


def airline_agent(
    model: Model | None = None, tools: dict[str, Callable[..., Any]] | None = None
) -> Agent[str]:
    """The airline agent as τ-bench ran it: its policy, its 14 tools, temperature 0.

    ``model`` is only called live (default: a model with no script, which a
    replay never calls); ``tools`` implements tools for live runs, by name.
    """
    definitions = json.loads((DATA / "airline_tools.json").read_text("utf-8"))
    impls = tools or {}
    return Agent(
        "airline",
        (DATA / "wiki.md").read_text("utf-8"),
        model or ScriptedModel([], model="gpt-4o"),
        [SchemaTool.from_openai(d, impls.get(d["function"]["name"])) for d in definitions],
        max_iter=30,  # τ-bench's max_num_steps
        temperature=0.0,
    )


def register(kit: AgentKit, agent: Agent[str] | None = None) -> None:
    """Register the airline conversation (``chat:airline``) on ``kit``."""
    conversation_function(kit, agent or airline_agent(), stop_marker=STOP)


async def import_runs(
    kit: AgentKit, trajectories: Sequence[dict[str, Any]], *, agent: Agent[str] | None = None
) -> list[TauRun]:
    """Record each trajectory as a run in ``kit.store``."""
    agent = agent or airline_agent()
    runs = []
    for index, item in enumerate(trajectories):
        run_id = await import_openai_log(
            kit,
            agent,
            item["traj"],
            model="gpt-4o",
            stop_marker=STOP,
            source=f"τ-bench task {item['task_id']} trial {item['trial']}",
        )
        runs.append(
            TauRun(
                index=index,
                task_id=int(item["task_id"]),
                trial=int(item["trial"]),
                reward=float(item["reward"]),
                actions=list(item["info"]["task"]["actions"]),
                outputs=list(item["info"]["task"].get("outputs") or []),
                run_id=run_id,
            )
        )
    return runs


async def replay_all(kit: AgentKit, runs: Sequence[TauRun]) -> list[ReplayReport]:
    """Replay every run with the conversation registered on ``kit`` (see `register`)."""
    return [await replay_recording(kit, load_recording(kit.store, run.run_id)) for run in runs]


def gold_write_actions(actions: Sequence[dict[str, Any]]) -> list[ExpectedCall]:
    """The task's gold actions that write to the database, as expected calls."""
    return [
        ExpectedCall(str(a["name"]), dict(a.get("kwargs", {})))
        for a in actions
        if a["name"] in WRITE_TOOLS
    ]


def observation(output: Any) -> Observation:
    """What the scorer sees of a conversation's output."""
    messages = [Message.model_validate(m) for m in (output or {}).get("messages", [])]
    return Observation(input=None, output=output, tool_calls=tool_calls_of(messages))


def score(output: Any, run: TauRun) -> Score:
    """Did it make exactly the gold write calls (any order; failed calls do not count)?"""
    scorer = ToolTrajectory(
        expected=gold_write_actions(run.actions),
        order="set",
        tools=WRITE_TOOLS,
        allow_extra=False,
        skip_failed=True,
        # τ-bench tools answer a refused action with "Error: ..." as their result.
        failed=lambda call: (call.result or "").startswith("Error"),
    )
    return scorer.score(observation(output))


def score_outputs(output: Any, run: TauRun) -> Score:
    """Did the agent tell the user every value the task requires (τ-bench's output check)?

    As τ-bench checks it: each required output, lowercased, within the text of
    some reply without tool calls, lowercased with commas removed.
    """
    replies = [
        message.text.lower().replace(",", "")
        for message in (Message.model_validate(m) for m in (output or {}).get("messages", []))
        if message.role == "assistant" and not message.tool_calls
    ]
    missing = [o for o in run.outputs if not any(o.lower() in reply for reply in replies)]
    return Score(
        "outputs", 0.0 if missing else 1.0, not missing, f"never said {missing}" if missing else ""
    )


def score_task(output: Any, run: TauRun) -> Score:
    """Both checks: the gold write calls (`score`) and the required outputs (`score_outputs`)."""
    calls, said = score(output, run), score_outputs(output, run)
    passed = calls.passed and said.passed
    reason = "; ".join(r for r in (calls.reason, said.reason) if r)
    return Score("task", 1.0 if passed else 0.0, passed, reason)


def confusion(runs: Sequence[TauRun], scores: Sequence[Score]) -> dict[str, int]:
    """How the scorer's verdict agrees with the recorded reward (1.0 = success)."""
    matrix = {
        "pass_and_reward_1": 0,
        "pass_and_reward_0": 0,
        "fail_and_reward_1": 0,
        "fail_and_reward_0": 0,
    }
    for run, verdict in zip(runs, scores, strict=True):
        key = f"{'pass' if verdict.passed else 'fail'}_and_reward_{int(run.reward)}"
        matrix[key] += 1
    return matrix
