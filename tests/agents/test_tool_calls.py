"""Tool calls from model replies: errors go back to the model, each call is one step."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pydantic import BaseModel

from agentkit import (
    Agent,
    AgentKit,
    AgentResult,
    Context,
    ManualClock,
    RetryPolicy,
    ToolRetry,
    run_agent,
    start_agent,
    tool,
)
from agentkit.models import Message, ScriptedModel, ToolCallPart, ToolResultPart
from tests.agents.conftest import call, calls, drain
from tests.killing import deadline


def result_of(agent_result: AgentResult[Any]) -> list[tuple[str, str, bool]]:
    return [(r.name, r.content, r.is_error) for r in agent_result.tool_results]


async def test_bad_tool_calls_become_error_results_and_the_run_goes_on(kit: AgentKit) -> None:
    executed: list[tuple[str, int]] = []

    @tool
    def lookup(city: str, days: int = 1) -> str:
        """Weather for a city."""
        executed.append((city, days))
        if city == "Atlantis":
            raise ToolRetry("Atlantis is not a real city; ask about a real one")
        if city == "Nowhere":
            raise ValueError("no station near Nowhere")
        return f"sunny in {city} for {days} day(s)"

    model = ScriptedModel(
        [
            calls(
                call("forecast", {"city": "Oslo"}, "c1"),
                ToolCallPart.from_raw("c2", "lookup", '{"city": "Oslo", '),
                call("lookup", {"city": 7, "days": "many"}, "c3"),
                call("lookup", {"city": "Nowhere"}, "c4"),
                call("lookup", {"city": "Atlantis"}, "c5"),
                call("lookup", {"city": "Oslo", "days": None}, "c6"),
            ),
            "done",
        ]
    )
    agent = Agent("weather", "You report weather.", model, [lookup])
    result = await run_agent(kit, agent, "Weather in Oslo?")

    assert result.output == "done"
    assert result_of(result) == [
        ("forecast", "Error: unknown tool 'forecast'. Available tools: lookup.", True),
        (
            "lookup",
            "Error: the arguments for lookup are not a JSON object (Expecting property name "
            "enclosed in double quotes: line 1 column 18 (char 17)): you sent "
            '\'{"city": "Oslo", \'. Call it again with valid JSON arguments.',
            True,
        ),
        (
            "lookup",
            "Error: invalid arguments for lookup: city: Input should be a valid string; days: "
            "Input should be a valid integer, unable to parse string as an integer. Call it "
            "again with arguments that match its schema.",
            True,
        ),
        ("lookup", "Error: lookup failed: ValueError: no station near Nowhere", True),
        ("lookup", "Atlantis is not a real city; ask about a real one", True),
        ("lookup", "sunny in Oslo for 1 day(s)", False),
    ]
    # Only valid calls ran; each is one step keyed by agent and tool, in the model's order.
    assert executed == [("Nowhere", 1), ("Atlantis", 1), ("Oslo", 1)]
    run = kit.list_runs()[0]
    journal = kit.journal(run.id)
    assert [(s.key, s.kind, s.status) for s in journal] == [
        ("weather/infer", "infer", "completed"),
        ("weather/tool/lookup", "run", "failed"),
        ("weather/tool/lookup#1", "run", "failed"),
        ("weather/tool/lookup#2", "run", "completed"),
        ("weather/infer#1", "infer", "completed"),
    ]
    assert journal[3].output == '"sunny in Oslo for 1 day(s)"'
    # The second request carries every result, in order, in one tool message.
    second = model.requests[1].messages
    assert [m.role for m in second] == ["system", "user", "assistant", "tool"]
    assert [p.tool_call_id for p in second[3].parts if isinstance(p, ToolResultPart)] == [
        "c1",
        "c2",
        "c3",
        "c4",
        "c5",
        "c6",
    ]


async def test_a_failing_tool_is_retried_by_its_policy_then_reported(
    kit: AgentKit, clock: ManualClock
) -> None:
    attempts: list[int] = []
    broken_attempts: list[int] = []

    @tool(retries=RetryPolicy(max_attempts=3, initial_backoff=2, jitter=0))
    async def flaky(n: int) -> dict[str, int]:
        """Sometimes fails."""
        attempts.append(n)
        if len(attempts) < 3:
            raise ConnectionError(f"attempt {len(attempts)} dropped")
        return {"n": n, "attempts": len(attempts)}

    @tool
    async def broken() -> str:
        """Always fails, no retries by default."""
        broken_attempts.append(1)
        raise ConnectionError("down")

    model = ScriptedModel([calls(call("flaky", {"n": 4}, "a"), call("broken", {}, "b")), "ok"])
    result = await run_agent(kit, Agent("retrier", "", model, [flaky, broken]), "go")
    assert result_of(result) == [
        ("flaky", '{"n":4,"attempts":3}', False),
        ("broken", "Error: broken failed: ConnectionError: down", True),
    ]
    assert attempts == [4, 4, 4]
    assert broken_attempts == [1]
    assert clock.sleeps == [2.0, 4.0]
    run = kit.list_runs()[0]
    steps = {s.key: s for s in kit.journal(run.id)}
    assert steps["retrier/tool/flaky"].attempts == 3
    assert steps["retrier/tool/broken"].attempts == 1


async def test_a_tool_timeout_is_an_error_result(kit: AgentKit) -> None:
    @tool(timeout=0.05)
    async def slow() -> str:
        """Never finishes in time."""
        await asyncio.sleep(5)
        return "late"

    @tool(timeout=0.05)
    async def raises_its_own_timeout() -> str:
        """Its own TimeoutError is not the tool's timeout."""
        raise TimeoutError("upstream timed out")

    model = ScriptedModel(
        [calls(call("slow", {}, "a"), call("raises_its_own_timeout", {}, "b")), "ok"]
    )
    result = await run_agent(kit, Agent("t", "", model, [slow, raises_its_own_timeout]), "go")
    assert result_of(result) == [
        (
            "slow",
            "Error: slow failed: TimeoutError: tool 'slow' did not finish within 0.05 s",
            True,
        ),
        (
            "raises_its_own_timeout",
            "Error: raises_its_own_timeout failed: TimeoutError: upstream timed out",
            True,
        ),
    ]


async def test_parallel_calls_run_concurrently_and_results_keep_the_model_order(
    kit: AgentKit,
) -> None:
    arrived = {"a": asyncio.Event(), "b": asyncio.Event(), "c": asyncio.Event()}
    order: list[str] = []

    @tool(timeout=deadline(30))
    async def meet(who: str) -> str:
        """Waits until every caller has arrived: impossible one at a time."""
        arrived[who].set()
        for event in arrived.values():
            await event.wait()
        order.append(who)
        return f"{who} met everyone"

    @tool
    def sync_meet(who: str) -> str:
        """A sync tool, run in a thread."""
        return f"{who} in a thread"

    model = ScriptedModel(
        [
            calls(
                call("meet", {"who": "c"}, "1"),
                call("sync_meet", {"who": "x"}, "2"),
                call("meet", {"who": "a"}, "3"),
                call("meet", {"who": "b"}, "4"),
            ),
            "ok",
        ]
    )
    result = await run_agent(kit, Agent("party", "", model, [meet, sync_meet]), "go")
    assert result_of(result) == [
        ("meet", "c met everyone", False),
        ("sync_meet", "x in a thread", False),
        ("meet", "a met everyone", False),
        ("meet", "b met everyone", False),
    ]
    assert sorted(order) == ["a", "b", "c"]
    run = kit.list_runs()[0]
    outputs = {s.key: s.output for s in kit.journal(run.id)}
    # Keys follow the model's order, whatever order the calls finished in.
    assert outputs["party/tool/meet"] == '"c met everyone"'
    assert outputs["party/tool/meet#1"] == '"a met everyone"'
    assert outputs["party/tool/meet#2"] == '"b met everyone"'
    assert outputs["party/tool/sync_meet"] == '"x in a thread"'
    assert [c.id for c in result.tool_calls] == ["1", "2", "3", "4"]


async def test_side_effecting_tool_runs_once_across_a_suspend_and_resume(
    kit: AgentKit, clock: ManualClock
) -> None:
    charged: list[int] = []

    @tool
    def charge(amount: int) -> str:
        """Charge the card."""
        charged.append(amount)
        return f"charged {amount}"

    @kit.function(id="checkout")
    async def checkout(ctx: Context) -> str:
        agent = Agent("cashier", "", model, [charge])
        first = await agent.run("charge 5", ctx=ctx)
        await ctx.step.sleep("cool-off", 60)
        second = await agent.run([*first.messages[1:], Message.user("and 7")], ctx=ctx)
        return f"{first.output} / {second.output}"

    model = ScriptedModel(
        [
            ScriptedModel.tool_call("charge", {"amount": 5}),
            "paid 5",
            ScriptedModel.tool_call("charge", {"amount": 7}),
            "paid 7",
        ]
    )
    handle = await kit.start(checkout)
    await drain(kit)
    assert handle.status() == "waiting"
    assert charged == [5]
    clock.advance(61)
    await drain(kit)
    assert await handle.result() == "paid 5 / paid 7"
    assert charged == [5, 7]  # the replay did not charge 5 again
    assert len(model.requests) == 4
    assert handle.record().executions == 2
    keys = [s.key for s in kit.journal(handle.id)]
    assert keys == [
        "cashier/infer",
        "cashier/tool/charge",
        "cashier/infer#1",
        "cool-off",
        "cashier/infer#2",
        "cashier/tool/charge#1",
        "cashier/infer#3",
    ]


class Cart(BaseModel):
    items: list[str] = []


async def test_state_changed_by_tools_is_journaled_and_restored_on_replay(
    kit: AgentKit, clock: ManualClock
) -> None:
    runs: list[str] = []

    @tool
    def add_item(item: str, cart: Cart) -> str:
        """Add an item to the cart."""
        runs.append(item)
        cart.items.append(item)
        return f"{len(cart.items)} item(s)"

    def system(cart: Cart) -> str:
        return f"Cart: {', '.join(cart.items) or 'empty'}"

    model = ScriptedModel(
        [
            calls(call("add_item", {"item": "tea"}, "1"), call("add_item", {"item": "jam"}, "2")),
            "added",
        ]
    )
    agent = Agent("shop", system, model, [add_item], state_type=Cart)

    @kit.function(id="shop")
    async def shop(ctx: Context) -> list[str]:
        cart = Cart()
        await agent.run("tea and jam", ctx=ctx, state=cart)
        await ctx.step.sleep("pause", 10)
        return cart.items

    handle = await kit.start(shop)
    await drain(kit)
    clock.advance(11)
    await drain(kit)
    # After the replay the cart holds what the tools put there, though they did not run again.
    assert await handle.result() == ["tea", "jam"]
    assert runs == ["tea", "jam"]
    assert [r.messages[0].text for r in model.requests] == ["Cart: empty", "Cart: tea, jam"]
    assert model.requests[0].tools[0].parameters["properties"] == {"item": {"type": "string"}}
    outputs = [s.output for s in kit.journal(handle.id) if s.kind == "run"]
    assert outputs == [
        '{"content":"1 item(s)","patch":{"items":["tea"]}}',
        '{"content":"2 item(s)","patch":{"items":["tea","jam"]}}',
    ]


async def test_run_agent_passes_state_and_registers_one_function_per_agent(
    kit: AgentKit,
) -> None:
    @tool
    def add_item(item: str, cart: Cart) -> str:
        """Add an item."""
        cart.items.append(item)
        return "ok"

    model = ScriptedModel([ScriptedModel.tool_call("add_item", {"item": "pen"}), "done"])
    agent = Agent(
        "cart", lambda cart: f"{len(cart.items)} items", model, [add_item], state_type=Cart
    )
    handle = await start_agent(kit, agent, "a pen", state=Cart(items=["ink"]))
    assert handle.record().function_id == "agent:cart"
    await drain(kit)
    result = await handle.result()
    assert result.output == "done"
    assert result.messages[0] == Message.system("2 items")
    assert [m.messages[0].text for m in model.requests] == ["1 items", "2 items"]
    other = Agent("cart", "s", model)
    from agentkit.errors import ConfigError

    with pytest.raises(ConfigError, match="already runs another agent named 'cart'"):
        await start_agent(kit, other, "x")


async def test_context_is_injected_and_gives_a_stable_idempotency_key(kit: AgentKit) -> None:
    @tool
    async def pay(ctx: Context, amount: int) -> str:
        """Pay, idempotently."""
        return f"{amount} with key {ctx.step.idempotency_key}"

    model = ScriptedModel(
        [calls(call("pay", {"amount": 1}, "a"), call("pay", {"amount": 2}, "b")), "ok"]
    )
    handle = await start_agent(kit, Agent("payer", "", model, [pay]), "pay")
    await drain(kit)
    result = await handle.result()
    assert [r.content for r in result.tool_results] == [
        f"1 with key {handle.id}/payer/tool/pay",
        f"2 with key {handle.id}/payer/tool/pay#1",
    ]
    assert model.requests[0].tools[0].parameters["properties"] == {"amount": {"type": "integer"}}
