"""Handoffs: transfer tools, journaled as routing decisions, with input filters and cycles."""

from __future__ import annotations

import pytest

from agentkit import (
    Agent,
    AgentKit,
    ConfigError,
    Context,
    Handoff,
    ManualClock,
    Network,
    RunFailedError,
)
from agentkit.models import Message, ScriptedModel
from tests.agents.conftest import call, calls, drain


def transfer(name: str, id: str = "t1") -> object:
    return ScriptedModel.tool_call(f"transfer_to_{name}", {}, id=id)


async def test_triage_hands_off_to_billing_without_asking_the_router(
    kit: AgentKit, clock: ManualClock
) -> None:
    billing = Agent("billing", "You handle bills.", ScriptedModel(["your bill is 40"]))
    refunds = Agent("refunds", "You handle refunds.", ScriptedModel(["refunded"]))
    triage = Agent(
        "triage",
        "Route the customer.",
        ScriptedModel([transfer("billing")]),
        handoffs=[billing, Handoff(refunds, description="Refunds only.")],
    )
    router_calls: list[int] = []

    def router(r: object) -> object:
        router_calls.append(len(router_calls))
        return triage if not router_calls[1:] else None

    network = Network("support", [triage], router)
    assert list(network.members) == ["triage", "billing", "refunds"]

    @kit.function(id="support")
    async def support(ctx: Context) -> str:
        result = await network.run("How much do I owe?", ctx=ctx)
        await ctx.step.sleep("pause", 5)
        return str(result.output)

    handle = await kit.start(support)
    await drain(kit)
    clock.advance(6)
    await drain(kit)
    assert await handle.result() == "your bill is 40"
    assert router_calls == [0, 1]  # the transfer was no router call, and replay made none

    tools = triage.model.requests[0].tools  # type: ignore[attr-defined]
    assert [(t.name, t.description) for t in tools] == [
        (
            "transfer_to_billing",
            "Hand the conversation to the billing agent, which takes it from here.",
        ),
        ("transfer_to_refunds", "Refunds only."),
    ]
    journal = kit.journal(handle.id)
    assert [s.key for s in journal][:5] == [
        "support/route",
        "triage/infer",
        "support/route#1",
        "billing/infer",
        "support/route#2",
    ]
    # billing saw the transfer call with its result, paired.
    [seen] = billing.model.requests  # type: ignore[attr-defined]
    assert [m.role for m in seen.messages] == ["system", "user", "assistant", "tool"]
    assert seen.messages[-1].parts[0].content == "Transferred to billing."  # type: ignore[union-attr]


async def test_transfer_decision_and_input_filter(kit: AgentKit) -> None:
    billing = Agent("billing", "Bills.", ScriptedModel(["fresh start"]))

    def only_the_question(messages: list[Message]) -> list[Message]:
        return [m for m in messages if m.role == "user"]

    triage = Agent(
        "triage",
        "Route.",
        ScriptedModel([transfer("billing")]),
        handoffs=[Handoff(billing, input_filter=only_the_question)],
    )
    network = Network("support", [triage], lambda r: triage if r.call_count == 0 else None)
    result = await kit.run_network(network, "Question?")
    assert [(d.router, d.agents, d.reason) for d in result.decisions] == [
        ("code", ["triage"], None),
        ("handoff", ["billing"], "triage transferred the conversation to billing"),
        ("code", [], None),
    ]
    assert result.runs[0].result.handoff == "billing"
    [seen] = billing.model.requests  # type: ignore[attr-defined]
    assert [m.role for m in seen.messages] == ["system", "user"]


async def test_only_the_first_transfer_of_a_reply_counts(kit: AgentKit) -> None:
    a = Agent("a", "A.", ScriptedModel(["from a"]))
    b = Agent("b", "B.", ScriptedModel(["from b"]))
    triage = Agent(
        "triage",
        "Route.",
        ScriptedModel([calls(call("transfer_to_b", {}, "1"), call("transfer_to_a", {}, "2"))]),
        handoffs=[a, b],
    )
    result = await kit.run_agent(triage, "Both?")
    assert result.handoff == "b"
    assert result.output == "Transferred to b."
    assert [(r.content, r.is_error) for r in result.tool_results] == [
        ("Transferred to b.", False),
        ("Error: only one transfer per reply; the conversation goes to b.", True),
    ]


async def test_a_handoff_cycle_stops_at_max_iter(kit: AgentKit) -> None:
    ping_model = ScriptedModel(lambda request: ScriptedModel.tool_call("transfer_to_pong", {}))
    pong_model = ScriptedModel(lambda request: ScriptedModel.tool_call("transfer_to_ping", {}))
    ping = Agent("ping", "Ping.", ping_model)
    pong = Agent("pong", "Pong.", pong_model, handoffs=[ping])
    ping.add_handoffs(pong)  # a cycle: each hands off to the other
    with pytest.raises(ConfigError, match="two tools named 'transfer_to_pong'"):
        ping.add_handoffs(pong)
    network = Network("cycle", [ping, pong], lambda r: ping, max_iter=4)
    with pytest.raises(RunFailedError, match="NetworkMaxIterations") as caught:
        await kit.run_network(network, "Go.")
    assert "ran 4 agent turn(s) (max_iter) and its router still chose 'ping'" in str(caught.value)
    journal = kit.journal(kit.list_runs()[0].id)
    assert [s.key for s in journal if s.kind == "infer"] == [
        "ping/infer",
        "pong/infer",
        "ping/infer#1",
        "pong/infer#1",
    ]


async def test_an_input_filter_that_splits_a_tool_pair_is_a_clear_error(kit: AgentKit) -> None:
    billing = Agent("billing", "Bills.", ScriptedModel(["never"]))

    def drop_results(messages: list[Message]) -> list[Message]:
        return [m for m in messages if m.role != "tool"]

    triage = Agent(
        "triage",
        "Route.",
        ScriptedModel([transfer("billing")]),
        handoffs=[Handoff(billing, input_filter=drop_results)],
    )
    network = Network("support", [triage], lambda r: triage if r.call_count == 0 else None)
    with pytest.raises(RunFailedError, match="ConfigError") as caught:
        await kit.run_network(network, "Question?")
    assert "the conversation given to 'billing' is not whole" in str(caught.value)
    assert "the conversation ends with unanswered calls: transfer_to_billing (t1)" in str(
        caught.value
    )
    assert billing.model.requests == []  # type: ignore[attr-defined]
