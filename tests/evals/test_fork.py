"""Fork: a new run reuses a journal before a step, then goes live; the original is untouched."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agentkit import Agent, AgentKit, UsageError, agent_function, tool
from agentkit.models import ScriptedModel
from agentkit.store import InMemoryStore, SQLStore, Store

TOOL_RUNS: list[tuple[int, int]] = []


@tool
def add(a: int, b: int) -> int:
    """Add two numbers."""
    TOOL_RUNS.append((a, b))
    return a + b


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    made: Store = (
        InMemoryStore() if request.param == "memory" else SQLStore(f"sqlite:///{tmp_path}/f.db")
    )
    yield made
    made.close()


def two_sums() -> ScriptedModel:
    return ScriptedModel(
        [
            ScriptedModel.tool_call("add", {"a": 1, "b": 2}),
            ScriptedModel.tool_call("add", {"a": 3, "b": 4}),
            "3 and 7.",
        ]
    )


async def recorded(store: Store) -> tuple[str, list[Any]]:
    kit = AgentKit(store=store)
    await kit.run(agent_function(kit, Agent("calc", "You add.", two_sums(), [add])), input="sums?")
    run_id = store.list_runs()[0].id
    TOOL_RUNS.clear()
    return run_id, store.load_journal(run_id)


def keys(store: Store, run_id: str) -> list[str]:
    return [step.key for step in store.load_journal(run_id)]


async def test_a_fork_with_another_model_makes_exactly_the_calls_after_the_step(
    store: Store,
) -> None:
    run_id, journal = await recorded(store)
    other = ScriptedModel(["Forked: 3."])
    today = AgentKit(store=store)
    agent_function(today, Agent("calc", "You add.", other, [add]))

    handle = today.fork(run_id, from_step="calc/infer#1")
    result = await today.drive(handle)

    assert result.output == "Forked: 3."
    assert len(other.requests) == 1  # calc/infer#1 only; calc/infer was reused
    assert TOOL_RUNS == []  # calc/tool/add was reused, nothing after ran
    assert keys(store, handle.id) == ["calc/infer", "calc/tool/add", "calc/infer#1"]
    assert store.load_journal(run_id) == journal  # the original is untouched
    assert store.get_run(run_id).status == "completed"  # type: ignore[union-attr]


async def test_a_fork_can_override_a_step_result(store: Store) -> None:
    run_id, _ = await recorded(store)
    other = ScriptedModel(["It is 99."])
    today = AgentKit(store=store)
    agent_function(today, Agent("calc", "You add.", other, [add]))

    handle = today.fork(run_id, from_step="calc/tool/add", results={"calc/tool/add": "99"})
    result = await today.drive(handle)

    assert TOOL_RUNS == []
    assert other.requests[0].messages[-1].parts[0].content == "99"  # type: ignore[union-attr]
    assert result.output == "It is 99."
    assert keys(store, handle.id) == ["calc/infer", "calc/tool/add", "calc/infer#1"]


async def test_fork_names_what_is_wrong(store: Store) -> None:
    run_id, _ = await recorded(store)
    kit = AgentKit(store=store)
    agent_function(kit, Agent("calc", "You add.", ScriptedModel([]), [add]))
    with pytest.raises(UsageError, match="'calc/nope': it is not journaled"):
        kit.fork(run_id, from_step="calc/nope")
    with pytest.raises(UsageError, match="cannot override model call 'calc/infer'"):
        kit.fork(run_id, from_step="calc/infer#1", results={"calc/infer": "x"})
    with pytest.raises(UsageError, match="not at or before 'calc/infer'"):
        kit.fork(run_id, from_step="calc/infer", results={"calc/tool/add": 1})


async def test_a_new_system_prompt_forks_at_the_first_model_call(store: Store) -> None:
    run_id, journal = await recorded(store)
    other = ScriptedModel([ScriptedModel.tool_call("add", {"a": 1, "b": 2}), "Three."])
    today = AgentKit(store=store)
    agent_function(today, Agent("calc", "You add, tersely.", other, [add]))

    result = await today.drive(today.fork(run_id, from_step="calc/infer"))

    assert result.output == "Three."
    assert other.requests[0].messages[0].text == "You add, tersely."
    assert TOOL_RUNS == [(1, 2)]
    assert store.load_journal(run_id) == journal


async def test_a_fork_after_a_changed_prompt_is_refused_when_it_runs(store: Store) -> None:
    from agentkit import RunFailedError

    run_id, _ = await recorded(store)
    today = AgentKit(store=store)
    agent_function(today, Agent("calc", "You add, tersely.", ScriptedModel([]), [add]))
    # The reused model call was answered to the old prompt: replaying it under a new
    # one is a divergence, as in any resumed run.
    with pytest.raises(RunFailedError, match="NonDeterminismError"):
        await today.drive(today.fork(run_id, from_step="calc/infer#1"))
