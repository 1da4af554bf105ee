"""History scopes, streaming, networks as tools and nested networks."""

from __future__ import annotations

from typing import Any

from agentkit import (
    Agent,
    AgentKit,
    Context,
    ManualClock,
    Network,
    RouterInput,
    StreamDelta,
    tool,
)
from agentkit.models import Message, ScriptedModel
from tests.agents.conftest import call, calls, drain


def _turns(limit: int, *members: Agent[str]) -> Any:
    order = list(members)

    def router(r: RouterInput) -> Any:
        return order[r.call_count] if r.call_count < min(limit, len(order)) else None

    return router


async def test_own_history_sees_the_input_and_its_own_turns_only(kit: AgentKit) -> None:
    @tool
    def note(text: str) -> str:
        """Take a note."""
        return f"noted {text}"

    chatty = Agent(
        "chatty",
        "Chat.",
        ScriptedModel(
            [ScriptedModel.tool_call("note", {"text": "x"}, id="n1"), "chatted", "chatted again"]
        ),
        [note],
    )
    loner = Agent("loner", "Alone.", ScriptedModel(["first", "second"]), history="own")
    full = Agent("full", "All.", ScriptedModel(["saw all"]))
    network = Network("scopes", [chatty, loner, full], _turns(5, chatty, loner, full))
    await kit.run_network(network, "Hello.")

    [loner_request] = loner.model.requests  # type: ignore[attr-defined]
    assert [m.role for m in loner_request.messages] == ["system", "user"]
    [full_request] = full.model.requests  # type: ignore[attr-defined]
    # The whole conversation, tool call and result together.
    assert [m.role for m in full_request.messages] == [
        "system",
        "user",
        "assistant",
        "tool",
        "assistant",
        "assistant",
    ]
    assert full_request.messages[-1].text == "first"


async def test_one_callback_streams_every_agent_tagged_with_its_step(kit: AgentKit) -> None:
    first = Agent("first", "One.", ScriptedModel(["hello from first"]))
    second = Agent("second", "Two.", ScriptedModel(["and second"]))
    network = Network("streamy", [first, second], _turns(2, first, second))
    deltas: list[StreamDelta] = []
    routed = Network(
        "routed",
        [first],
        default_model=ScriptedModel([ScriptedModel.tool_call("done", {"summary": "s"})]),
    )

    @kit.function(id="stream")
    async def stream(ctx: Context) -> str:
        result = await network.run("Hi.", ctx=ctx, stream=deltas.append)
        await routed.run("Hi.", ctx=ctx, stream=deltas.append)
        return str(result.output)

    assert await kit.run(stream) == "and second"
    texts: dict[tuple[str, str], str] = {}
    for delta in deltas:
        texts[(delta.agent, delta.step_key)] = texts.get((delta.agent, delta.step_key), "") + (
            delta.text
        )
    assert texts == {
        ("first", "first/infer"): "hello from first",
        ("second", "second/infer"): "and second",
        ("router", "routed/router/infer"): "",  # a tool call: no text
    }
    calls = [d.delta.name for d in deltas if d.agent == "router" and d.is_tool_call]
    assert calls == ["done", None]  # the call's name, then its arguments


async def test_network_as_tool_and_nested_network(kit: AgentKit) -> None:
    inner_agent = Agent("inner", "Inner.", ScriptedModel(["inner answer", "inner again"]))
    inner = Network(
        "inner-net",
        [inner_agent],
        lambda r: inner_agent if r.call_count == 0 else None,
        description="Answers inner questions.",
    )
    boss = Agent(
        "boss",
        "Delegate.",
        ScriptedModel(
            [ScriptedModel.tool_call("inner_net", {"input": "ask inside"}), "boss got it"]
        ),
        [inner.as_tool()],
    )
    assert boss.bound_tools["inner_net"].description == "Answers inner questions."
    outer = Network("outer", [boss, inner], _turns(2, boss, inner))  # type: ignore[arg-type]

    result = await kit.run_network(outer, "Go.")

    assert [run.agent for run in result.runs] == ["boss", "inner-net"]
    assert result.runs[0].result.tool_results[0].content == "inner answer"
    assert result.output == "inner again"
    assert result.model_calls == 2 + 1
    keys = [s.key for s in kit.journal(kit.list_runs()[0].id)]
    assert keys == [
        "outer/route",
        "boss/infer",
        "inner-net/route",
        "inner/infer",
        "inner-net/route#1",
        "boss/infer#1",
        "outer/route#1",
        "inner-net/route#2",
        "inner/infer#1",
        "inner-net/route#3",
        "outer/route#2",
    ]
    assert result.messages[0] == Message.user("Go.")


async def test_two_calls_of_a_network_tool_in_one_reply_run_in_order_and_replay(
    kit: AgentKit, clock: ManualClock
) -> None:
    answers = iter(["first answer", "second answer"])
    inner_agent = Agent(
        "inner", "Inner.", ScriptedModel(lambda request: ScriptedModel.text(next(answers)))
    )
    inner = Network("inner", [inner_agent], lambda r: inner_agent if r.call_count == 0 else None)
    boss = Agent(
        "boss",
        "Ask twice.",
        ScriptedModel(
            [
                calls(call("inner", {"input": "one"}, "a"), call("inner", {"input": "two"}, "b")),
                "both answered",
            ]
        ),
        [inner.as_tool()],
    )

    @kit.function(id="twice")
    async def twice(ctx: Context) -> list[str]:
        result = await boss.run("Go.", ctx=ctx)
        await ctx.step.sleep("pause", 5)
        return [r.content for r in result.tool_results]

    handle = await kit.start(twice)
    await drain(kit)
    clock.advance(6)
    await drain(kit)  # replays both nested runs from the journal
    assert await handle.result() == ["first answer", "second answer"]
    [seen_first, seen_second] = inner_agent.model.requests  # type: ignore[attr-defined]
    assert (seen_first.messages[-1].text, seen_second.messages[-1].text) == ("one", "two")
