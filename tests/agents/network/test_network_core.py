"""Networks with a code router: journaled decisions, typed state with patches, results."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import BaseModel

from agentkit import (
    Agent,
    AgentKit,
    Context,
    ManualClock,
    Network,
    NetworkMaxIterations,
    NetworkResult,
    NonDeterminismError,
    Route,
    RouterError,
    RouterInput,
    RunFailedError,
    tool,
)
from agentkit.models import ScriptedModel, Usage
from tests.agents.conftest import drain


class Notes(BaseModel):
    topic: str = ""
    facts: list[str] = []
    draft: str = ""


def build(router_calls: list[int], ran: list[str]) -> Network[Notes]:
    @tool
    def add_fact(fact: str, notes: Notes) -> str:
        """Record a fact."""
        ran.append(f"add_fact {fact}")
        notes.facts.append(fact)
        return f"{len(notes.facts)} fact(s)"

    @tool
    def write(text: str, notes: Notes) -> str:
        """Write the draft."""
        ran.append("write")
        notes.draft = text
        return "written"

    usage = Usage(input_tokens=10, output_tokens=5)
    researcher = Agent(
        "researcher",
        "You research.",
        ScriptedModel(
            [
                ScriptedModel.tool_call("add_fact", {"fact": "steps are journaled"}, usage=usage),
                ScriptedModel.text("one fact found", usage=usage),
            ]
        ),
        [add_fact],
        state_type=Notes,
    )
    writer = Agent(
        "writer",
        lambda notes: f"Write about {len(notes.facts)} fact(s).",
        ScriptedModel(
            [
                ScriptedModel.tool_call("write", {"text": "Durable."}, usage=usage),
                ScriptedModel.text("draft done", usage=usage),
            ]
        ),
        [write],
        state_type=Notes,
    )

    def router(r: RouterInput) -> Any:
        router_calls.append(r.call_count)
        assert isinstance(r.state, Notes)
        if not r.state.facts:
            return Route(researcher, reason="no facts yet")
        if not r.state.draft:
            return writer
        return None

    return Network("notes", [researcher, writer], router, state=Notes(topic="agents"))


async def test_code_router_runs_agents_and_journals_each_decision(kit: AgentKit) -> None:
    router_calls: list[int] = []
    ran: list[str] = []
    network = build(router_calls, ran)

    result = await kit.run_network(network, "Write about durable agents.")

    assert result.output == "draft done"
    assert isinstance(result.state, Notes)
    assert result.state == Notes(topic="agents", facts=["steps are journaled"], draft="Durable.")
    assert network.state == Notes(topic="agents")  # the template is never changed
    assert [run.agent for run in result.runs] == ["researcher", "writer"]
    assert [(d.call, d.router, d.agents, d.reason, d.done) for d in result.decisions] == [
        (0, "code", ["researcher"], "no facts yet", False),
        (1, "code", ["writer"], None, False),
        (2, "code", [], None, True),
    ]
    assert router_calls == [0, 1, 2]
    assert ran == ["add_fact steps are journaled", "write"]
    assert result.usage == Usage(input_tokens=40, output_tokens=20)
    assert result.model_calls == 4
    # The writer saw the researcher's turn: the whole conversation by default.
    assert [m.role for m in result.messages] == [
        "user",
        "assistant",
        "tool",
        "assistant",
        "assistant",
        "tool",
        "assistant",
    ]
    assert result.messages[-1].text == "draft done"
    run_id = kit.list_runs()[0].id
    journal = kit.journal(run_id)
    assert [(s.key, s.kind) for s in journal] == [
        ("notes/route", "run"),
        ("researcher/infer", "infer"),
        ("researcher/tool/add_fact", "run"),
        ("researcher/infer#1", "infer"),
        ("notes/route#1", "run"),
        ("writer/infer", "infer"),
        ("writer/tool/write", "run"),
        ("writer/infer#1", "infer"),
        ("notes/route#2", "run"),
    ]
    assert json.loads(journal[2].output or "") == {
        "content": "1 fact(s)",
        "patch": {"facts": ["steps are journaled"]},
    }


async def test_replay_never_calls_the_router_and_rebuilds_the_same_state(
    kit: AgentKit, clock: ManualClock
) -> None:
    router_calls: list[int] = []
    ran: list[str] = []
    network = build(router_calls, ran)

    seen: list[tuple[Usage, float | None, int]] = []

    @kit.function(id="beside")
    async def beside(ctx: Context) -> NetworkResult[Notes]:
        await ctx.step.run("before", lambda: "x")
        result = await network.run("Write.", ctx=ctx)
        seen.append((result.usage, result.cost_usd, len(result.decisions)))
        await ctx.step.sleep("pause", 10)
        await ctx.step.run("after", lambda: "y")
        return result

    handle = await kit.start(beside)
    await drain(kit)
    first = [s.key for s in kit.journal(handle.id)]
    clock.advance(11)
    await drain(kit)  # a new execution replays the network from the journal
    result = await handle.result()
    assert router_calls == [0, 1, 2]  # once per decision, never on replay (agent-kit #196)
    assert ran == ["add_fact steps are journaled", "write"]
    assert result.state == Notes(topic="agents", facts=["steps are journaled"], draft="Durable.")
    assert [s.key for s in kit.journal(handle.id)] == [*first, "after"]
    # Usage and cost come from the stored completions: the same right after the replay.
    assert len(seen) == 2 and seen[0] == seen[1]
    assert seen[0][0] == Usage(input_tokens=40, output_tokens=20)


async def test_journaled_agent_missing_from_the_network_is_non_determinism(
    kit: AgentKit, clock: ManualClock
) -> None:
    router_calls: list[int] = []
    network = build(router_calls, [])
    renamed: dict[str, Network[Notes]] = {"net": network}

    @kit.function(id="renamed")
    async def run(ctx: Context) -> str:
        result = await renamed["net"].run("Write.", ctx=ctx)
        await ctx.step.sleep("pause", 10)
        return str(result.output)

    handle = await kit.start(run)
    await drain(kit)
    other = Agent("editor", "You edit.", ScriptedModel(["ok"]))
    renamed["net"] = Network("notes", [other], lambda r: other, state=Notes())
    clock.advance(11)
    await drain(kit)
    with pytest.raises(RunFailedError, match="NonDeterminismError") as caught:
        await handle.result()
    assert "choosing 'researcher'" in str(caught.value)
    assert "agents are 'editor'" in str(caught.value)
    assert NonDeterminismError.__name__ in str(caught.value)


async def test_max_iter_reached(kit: AgentKit) -> None:
    echo = Agent("echo", "Echo.", ScriptedModel(lambda request: ScriptedModel.text("again")))
    network = Network("loop", [echo], lambda r: echo, max_iter=3)
    with pytest.raises(RunFailedError, match="NetworkMaxIterations") as caught:
        await kit.run_network(network, "go")
    assert "network 'loop' ran 3 agent turn(s) (max_iter) and its router still chose 'echo'" in (
        str(caught.value)
    )
    journal = kit.journal(kit.list_runs()[0].id)
    assert [s.key for s in journal if s.key.startswith("loop/")] == [
        "loop/route",
        "loop/route#1",
        "loop/route#2",
        "loop/route#3",
    ]
    assert NetworkMaxIterations.__name__ == "NetworkMaxIterations"


async def test_a_router_that_raises_fails_the_run_once_and_the_same_on_replay(
    kit: AgentKit,
) -> None:
    echo = Agent("echo", "Echo.", ScriptedModel(["hi"]))
    calls: list[int] = []

    def broken(r: RouterInput) -> Any:
        calls.append(r.call_count)
        if r.call_count == 1:
            raise KeyError("no route for this")
        return echo

    network = Network("brittle", [echo], broken)
    with pytest.raises(RunFailedError, match="RouterError") as caught:
        await kit.run_network(network, "go")
    assert "failed in step 'brittle/route#1': KeyError" in str(caught.value)
    assert calls == [0, 1]  # no retries: a router is code
    [route] = [s for s in kit.journal(kit.list_runs()[0].id) if s.key == "brittle/route#1"]
    assert route.status == "failed"
    assert RouterError.__name__ in str(caught.value)


async def test_a_router_choosing_a_stranger_is_a_router_error(kit: AgentKit) -> None:
    echo = Agent("echo", "Echo.", ScriptedModel(["hi"]))
    stranger = Agent("stranger", "S.", ScriptedModel(["hi"]))
    network = Network("strict", [echo], lambda r: stranger)
    with pytest.raises(RunFailedError, match="which is not one of its agents \\(echo\\)"):
        await kit.run_network(network, "go")
