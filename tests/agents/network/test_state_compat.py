"""Runs journaled before state patches (a tool step held the whole state) still replay."""

from __future__ import annotations

import dataclasses
import json

from pydantic import BaseModel

from agentkit import Agent, AgentKit, Context, ManualClock, tool
from agentkit.models import ScriptedModel
from agentkit.store import InMemoryStore, StepRecord
from tests.agents.conftest import drain


class Cart(BaseModel):
    items: list[str] = []
    note: str = ""


class OldJournalStore(InMemoryStore):
    """Hands back tool steps as the previous release journaled them: the state after the call."""

    def load_journal(self, run_id: str) -> list[StepRecord]:
        steps = super().load_journal(run_id)
        state = Cart().model_dump(mode="json")
        old: list[StepRecord] = []
        for step in sorted(steps, key=lambda s: s.seq):
            value = json.loads(step.output) if step.kind == "run" and step.output else None
            if isinstance(value, dict) and "patch" in value:
                state = {**state, **value["patch"]}
                output = json.dumps({"content": value["content"], "state": state})
                step = dataclasses.replace(step, output=output)
            old.append(step)
        return old


async def test_a_journal_with_whole_states_replays_to_the_same_state() -> None:
    clock = ManualClock()
    kit = AgentKit(store=OldJournalStore(), clock=clock)
    ran: list[str] = []

    @tool
    def add(item: str, cart: Cart) -> str:
        """Add an item."""
        ran.append(item)
        cart.items.append(item)
        cart.note = f"last: {item}"
        return "ok"

    model = ScriptedModel(
        [
            ScriptedModel.tool_call("add", {"item": "tea"}),
            ScriptedModel.tool_call("add", {"item": "jam"}),
            "done",
        ]
    )
    agent = Agent("shop", "Shop.", model, [add], state_type=Cart)
    seen: list[Cart] = []

    @kit.function(id="shop")
    async def shop(ctx: Context) -> list[str]:
        cart = Cart(note="start")
        await agent.run("tea and jam", ctx=ctx, state=cart)
        seen.append(cart.model_copy(deep=True))
        await ctx.step.sleep("pause", 5)
        return cart.items

    handle = await kit.start(shop)
    await drain(kit)
    clock.advance(6)
    await drain(kit)  # the replay reads the old format
    assert await handle.result() == ["tea", "jam"]
    assert ran == ["tea", "jam"]
    assert seen == [Cart(items=["tea", "jam"], note="last: jam")] * 2
    kit.close()
