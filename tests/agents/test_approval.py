"""Approval gates: a gated tool waits on a human's token, and never runs before it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from agentkit import (
    Agent,
    AgentKit,
    Context,
    ManualClock,
    RunFailedError,
    TokenAlreadyCompleted,
    start_agent,
    tool,
)
from agentkit.errors import TokenPayloadInvalid
from agentkit.models import ScriptedModel
from tests.agents.conftest import call, calls, drain

sent: list[str] = []


@tool(needs_approval=True)
def send_email(to: str, body: str) -> str:
    """Send an e-mail."""
    sent.append(to)
    return f"sent to {to}"


@pytest.fixture(autouse=True)
def _reset() -> None:
    sent.clear()


def mailer(model: ScriptedModel, **options: Any) -> Agent[str]:
    return Agent("mailer", "You send mail.", model, [send_email], **options)


def script() -> ScriptedModel:
    return ScriptedModel(
        [ScriptedModel.tool_call("send_email", {"to": "ada@example.com", "body": "hi"}), "done"]
    )


async def test_approve_runs_the_tool_once_and_only_after_the_token(kit: AgentKit) -> None:
    model = script()
    handle = await start_agent(kit, mailer(model), "mail ada")
    await drain(kit)
    assert handle.status() == "waiting"
    assert sent == []  # not before the human answers
    [token] = handle.tokens()
    assert token.step_key == "mailer/approve/send_email"
    assert token.description == 'send_email({"body": "hi", "to": "ada@example.com"})'
    # Another drain while waiting changes nothing.
    await drain(kit)
    assert sent == []
    assert len(model.requests) == 1

    kit.complete_token(token.token, {"approved": True})
    await drain(kit)
    result = await handle.result()
    assert result.output == "done"
    assert sent == ["ada@example.com"]
    assert [(r.content, r.is_error) for r in result.tool_results] == [
        ("sent to ada@example.com", False)
    ]
    assert [(s.key, s.kind) for s in kit.journal(handle.id)] == [
        ("mailer/infer", "infer"),
        ("mailer/approve/send_email", "token"),
        ("mailer/tool/send_email", "run"),
        ("mailer/infer#1", "infer"),
    ]
    assert len(model.requests) == 2  # the resumed execution replayed the first call

    # Completing it again is a clear error and changes nothing.
    with pytest.raises(TokenAlreadyCompleted):
        kit.complete_token(token.token, {"approved": False, "reason": "too late"})
    assert handle.status() == "completed"
    assert sent == ["ada@example.com"]


async def test_reject_tells_the_model_why_and_the_tool_never_runs(kit: AgentKit) -> None:
    model = script()
    handle = await start_agent(kit, mailer(model), "mail ada")
    await drain(kit)
    [token] = handle.tokens()
    with pytest.raises(TokenPayloadInvalid):
        kit.complete_token(token.token, {"approve": True})
    kit.complete_token(token.token, {"approved": False, "reason": "not on a Sunday"})
    await drain(kit)
    result = await handle.result()
    assert sent == []
    assert [(r.content, r.is_error) for r in result.tool_results] == [
        ("rejected by a human: not on a Sunday", True)
    ]
    assert model.requests[1].messages[-1].parts == result.tool_results
    assert [s.key for s in kit.journal(handle.id)] == [
        "mailer/infer",
        "mailer/approve/send_email",
        "mailer/infer#1",
    ]


async def test_timeout_rejects_by_default(kit: AgentKit, clock: ManualClock) -> None:
    model = script()
    handle = await start_agent(kit, mailer(model, approval_timeout=timedelta(hours=1)), "x")
    await drain(kit)
    assert handle.tokens()[0].expires_at == clock.now() + 3600
    clock.advance(3601)
    await drain(kit)
    result = await handle.result()
    assert sent == []
    assert [(r.content, r.is_error) for r in result.tool_results] == [
        ("not approved: nobody answered the approval request in time", True)
    ]


async def test_timeout_can_fail_the_run(kit: AgentKit, clock: ManualClock) -> None:
    model = script()
    agent = mailer(model, approval_timeout=60, on_approval_timeout="fail")
    handle = await start_agent(kit, agent, "x")
    await drain(kit)
    clock.advance(61)
    await drain(kit)
    with pytest.raises(RunFailedError) as failed:
        await handle.result()
    assert failed.value.error_type == "TokenTimeout"
    assert sent == []
    assert len(model.requests) == 1


async def test_tool_options_override_the_agent_and_a_policy_decides_per_call(
    kit: AgentKit, clock: ManualClock
) -> None:
    ran: list[int] = []

    def large(arguments: dict[str, Any], ctx: Context) -> bool:
        return bool(arguments["amount"] > 100)

    @tool(needs_approval=large, approval_timeout=30, on_approval_timeout="reject")
    def pay(amount: int) -> str:
        """Pay an amount."""
        ran.append(amount)
        return f"paid {amount}"

    model = ScriptedModel(
        [calls(call("pay", {"amount": 500}, "big"), call("pay", {"amount": 5}, "small")), "ok"]
    )
    agent = Agent("payer", "", model, [pay], on_approval_timeout="fail")
    handle = await start_agent(kit, agent, "pay")
    await drain(kit)
    # The small payment does not need approval, but waits with its turn: nothing ran yet.
    assert ran == []
    [token] = handle.tokens()
    assert token.step_key == "payer/approve/pay"
    assert token.expires_at == clock.now() + 30
    clock.advance(31)
    await drain(kit)
    result = await handle.result()  # the tool's "reject" wins over the agent's "fail"
    assert ran == [5]
    assert [(r.tool_call_id, r.content, r.is_error) for r in result.tool_results] == [
        ("big", "not approved: nobody answered the approval request in time", True),
        ("small", "paid 5", False),
    ]


async def test_two_gated_calls_in_one_turn_are_approved_one_after_the_other(
    kit: AgentKit,
) -> None:
    model = ScriptedModel(
        [
            calls(
                call("send_email", {"to": "a@x", "body": "1"}, "1"),
                call("send_email", {"to": "b@x", "body": "2"}, "2"),
            ),
            "done",
        ]
    )
    handle = await start_agent(kit, mailer(model), "two")
    await drain(kit)
    [first] = handle.tokens()
    assert first.step_key == "mailer/approve/send_email"
    kit.complete_token(first.token, {"approved": True})
    await drain(kit)
    assert sent == []  # the first waits for the turn's other approval
    [second] = handle.tokens()
    assert second.step_key == "mailer/approve/send_email#1"
    kit.complete_token(second.token, {"approved": False})
    await drain(kit)
    result = await handle.result()
    assert sent == ["a@x"]
    assert [(r.content, r.is_error) for r in result.tool_results] == [
        ("sent to a@x", False),
        ("rejected by a human", True),
    ]
