"""The LLM routing agent and hybrid routers: each decision a step, never asked twice."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from agentkit import (
    Agent,
    AgentKit,
    Context,
    ManualClock,
    Network,
    RouterInput,
    RoutingAgent,
    RunFailedError,
    tool,
)
from agentkit.models import ModelRequest, ModelResponse, ScriptedModel, ToolCallPart, Usage
from tests.agents.conftest import call, calls, drain


def select(name: str, reason: str, id: str) -> ToolCallPart:
    return call("select_agent", {"name": name, "reason": reason}, id)


def done(summary: str) -> ModelResponse:
    return ScriptedModel.tool_call("done", {"summary": summary}, usage=Usage(input_tokens=7))


class Ledger(BaseModel):
    searched: list[str] = []


def agents() -> tuple[Agent[str], Agent[str]]:
    @tool
    def search(query: str, ledger: Ledger) -> str:
        """Search the archive."""
        ledger.searched.append(query)
        return f"results for {query}"

    searcher = Agent(
        "searcher",
        "You search the archive.",
        ScriptedModel([ScriptedModel.tool_call("search", {"query": "durable"}), "found it"]),
        [search],
        state_type=Ledger,
    )
    writer = Agent("writer", "You write the answer.", ScriptedModel(["the answer"]))
    return searcher, writer


async def test_unknown_agent_is_told_to_the_routing_model_and_the_run_goes_on(
    kit: AgentKit,
) -> None:
    searcher, writer = agents()
    router_model = ScriptedModel(
        [
            calls(select("librarian", "books", "c1")),
            calls(select("searcher", "needs facts", "c2")),
            calls(select("writer", "facts are in", "c3")),
            done("answered"),
        ]
    )
    network = Network("desk", [searcher, writer], state=Ledger(), default_model=router_model)

    result = await kit.run_network(network, "What is durable execution?")

    assert result.output == "the answer"
    assert result.state == Ledger(searched=["durable"])
    assert [(d.router, d.agents, d.reason, d.done, d.summary) for d in result.decisions] == [
        ("router", ["searcher"], "needs facts", False, None),
        ("router", ["writer"], "facts are in", False, None),
        ("router", [], None, True, "answered"),
    ]
    second = router_model.requests[1].messages
    assert second[-1].parts[0].content == (  # type: ignore[union-attr]
        "Error: there is no agent 'librarian'. Agents: searcher, writer."
    )
    system = router_model.requests[0].messages[0].text
    assert "- searcher: You search the archive. (tools: search)" in system
    assert "- writer: You write the answer. (tools: no tools)" in system
    assert "found it" in router_model.requests[3].messages[1].text
    assert result.model_calls == 4 + 2 + 1
    assert result.usage.input_tokens == 7
    keys = [s.key for s in kit.journal(kit.list_runs()[0].id)]
    assert keys[:4] == ["desk/router/infer", "desk/router/infer#1", "desk/route", "searcher/infer"]


async def test_replay_calls_neither_the_routing_model_nor_the_agents(
    kit: AgentKit, clock: ManualClock
) -> None:
    searcher, writer = agents()
    router_model = ScriptedModel(
        [calls(select("searcher", "facts", "a")), calls(select("writer", "write", "b")), done("ok")]
    )
    network = Network("desk", [searcher, writer], state=Ledger(), default_model=router_model)

    @kit.function(id="with-pause")
    async def with_pause(ctx: Context) -> list[str]:
        result = await network.run("Explain.", ctx=ctx)
        await ctx.step.sleep("pause", 5)
        assert isinstance(result.state, Ledger)
        return [*result.state.searched, str(result.output)]

    handle = await kit.start(with_pause)
    await drain(kit)
    clock.advance(6)
    await drain(kit)
    assert await handle.result() == ["durable", "the answer"]
    assert len(router_model.requests) == 3
    assert len(searcher.model.requests) == 2  # type: ignore[attr-defined]


async def test_hybrid_router_hands_undecided_calls_to_the_routing_agent(kit: AgentKit) -> None:
    searcher, writer = agents()
    router_model = ScriptedModel([calls(select("writer", "enough", "w")), done("done")])
    llm = RoutingAgent(router_model, name="triage")
    decided_by_code: list[int] = []

    def hybrid(r: RouterInput) -> Any:
        if r.call_count == 0:
            decided_by_code.append(0)
            return searcher
        return llm

    network = Network("desk", [searcher, writer], hybrid, state=Ledger(), routing_agent=llm)
    result = await kit.run_network(network, "Explain.")

    assert result.output == "the answer"
    assert [(d.router, d.agents, d.delegate, d.done) for d in result.decisions] == [
        ("code", ["searcher"], None, False),
        ("code", [], "triage", False),
        ("triage", ["writer"], None, False),
        ("code", [], "triage", False),
        ("triage", [], None, True),
    ]
    assert decided_by_code == [0]
    assert len(router_model.requests) == 2


async def test_several_selections_in_one_reply_run_concurrently(kit: AgentKit) -> None:
    searcher, writer = agents()
    router_model = ScriptedModel(
        [calls(select("searcher", "a", "1"), select("writer", "b", "2")), done("both ran")]
    )
    network = Network("desk", [searcher, writer], state=Ledger(), default_model=router_model)
    result = await kit.run_network(network, "Both at once.")
    assert [run.agent for run in result.runs] == ["searcher", "writer"]
    assert result.decisions[0].agents == ["searcher", "writer"]
    assert result.decisions[0].reason == "a; b"
    assert result.state == Ledger(searched=["durable"])


async def test_routing_model_sees_the_request_with_tools_required(kit: AgentKit) -> None:
    _, writer = agents()
    seen: list[ModelRequest] = []

    def respond(request: ModelRequest) -> ModelResponse:
        seen.append(request)
        return done("nothing to do")

    network = Network("desk", [writer], default_model=ScriptedModel(respond))
    result = await kit.run_network(network, "Nothing.")
    assert result.output == "nothing to do"
    assert result.runs == []
    assert [t.name for t in seen[0].tools] == ["select_agent", "done"]
    assert seen[0].tool_choice == "required"


async def test_a_routing_model_that_never_names_an_agent_fails_after_max_iter(
    kit: AgentKit,
) -> None:
    _, writer = agents()
    confused = ScriptedModel(
        lambda request: ScriptedModel.tool_call("select_agent", {"name": "nobody", "reason": "?"})
    )
    network = Network("desk", [writer], RoutingAgent(confused, max_iter=2))
    with pytest.raises(RunFailedError, match="RouterError") as caught:
        await kit.run_network(network, "Hm.")
    assert "routing agent 'router' of network 'desk' made 2 model call(s) without naming" in (
        str(caught.value)
    )
    assert len(confused.requests) == 2


async def test_a_hybrid_router_must_declare_its_routing_agent(kit: AgentKit) -> None:
    _, writer = agents()
    stray = RoutingAgent(ScriptedModel([]), name="stray")
    network = Network("desk", [writer], lambda r: stray)
    with pytest.raises(RunFailedError, match="RouterError") as caught:
        await kit.run_network(network, "Hm.")
    assert "returned routing agent 'stray', which the network does not know" in str(caught.value)
