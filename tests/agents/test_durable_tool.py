"""Durable functions as tools: each call a child run, which may wait for a human."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from agentkit import Agent, AgentKit, Context, ManualClock, function_as_tool, start_agent
from agentkit.models import ScriptedModel
from tests.agents.conftest import call, calls, drain


class Signoff(BaseModel):
    manager: str


async def test_a_child_run_tool_that_waits_on_a_token(kit: AgentKit) -> None:
    booked: list[str] = []

    def book_room(room: str) -> str:
        booked.append(room)
        return f"booking-{room}"

    @kit.function(id="book")
    async def book(ctx: Context, room: str, nights: int = 1) -> dict[str, Any]:
        """Book a room after a manager signs off.

        Args:
            room: The room number.
            nights: How many nights.
        """
        signoff = await ctx.step.wait_for_token(
            "signoff", schema=Signoff, description=f"book {room} for {nights} night(s)?"
        )
        reference = await ctx.step.run("book-room", book_room, room)
        return {"reference": reference, "by": signoff.manager, "nights": nights}

    model = ScriptedModel([ScriptedModel.tool_call("book", {"room": "12", "nights": None}), "ok"])
    agent = Agent("concierge", "", model, [function_as_tool(book)])
    handle = await start_agent(kit, agent, "book 12")
    await drain(kit)

    assert handle.status() == "waiting"
    [child] = [r for r in kit.list_runs() if r.parent_run_id == handle.id]
    assert child.function_id == "book"
    assert child.parent_step_key == "concierge/tool/book"
    assert child.status == "waiting"
    [token] = kit.list_tokens(run_id=child.id, status="pending")
    assert token.description == "book 12 for 1 night(s)?"
    assert booked == []

    kit.complete_token(token.token, {"manager": "grace"})
    await drain(kit)
    result = await handle.result()
    assert result.output == "ok"
    assert [(r.content, r.is_error) for r in result.tool_results] == [
        ('{"reference":"booking-12","by":"grace","nights":1}', False)
    ]
    assert booked == ["12"]
    assert len(model.requests) == 2
    assert [(s.key, s.kind) for s in kit.journal(handle.id)] == [
        ("concierge/infer", "infer"),
        ("concierge/tool/book", "invoke"),
        ("concierge/infer#1", "infer"),
    ]


async def test_a_failed_child_run_is_an_error_result_and_string_outputs_stay_text(
    kit: AgentKit, clock: ManualClock
) -> None:
    @kit.function(id="check", retries=0)
    async def check(ctx: Context, code: str) -> str:
        """Check a code."""
        if code != "ok":
            raise ValueError(f"bad code {code!r}")
        return "valid"

    model = ScriptedModel(
        [calls(call("check", {"code": "ok"}, "1"), call("check", {"code": "x"}, "2")), "done"]
    )
    agent = Agent("checker", "", model, [function_as_tool(check)])
    handle = await start_agent(kit, agent, "check")
    await drain(kit)
    result = await handle.result()
    assert [(r.content, r.is_error) for r in result.tool_results] == [
        ("valid", False),
        ("Error: check failed: ValueError: bad code 'x'", True),
    ]
