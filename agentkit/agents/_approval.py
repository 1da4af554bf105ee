"""Approval gates: a human approves a tool call through a token before it runs.

The run waits on ``ctx.step.wait_for_token(f"{agent}/approve/{tool}")`` with an
`ApprovalDecision` schema, holding no memory while it waits. Complete the
token with ``kit.complete_token(token, {"approved": true})`` (or the CLI, or
the HTTP API); ``{"approved": false, "reason": "..."}`` rejects the call, and
the model reads why.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from pydantic import BaseModel

from agentkit.agents._tool import OnApprovalTimeout
from agentkit.durable import Context

__all__ = ["ApprovalDecision", "approval_description", "request_approval"]

APPROVAL_TIMED_OUT = "not approved: nobody answered the approval request in time"


class ApprovalDecision(BaseModel):
    """A human's answer to an approval request (the token's payload).

    Attributes:
        approved: Whether the tool may run.
        reason: Why; sent to the model when the call is rejected.
    """

    approved: bool
    reason: str = ""


def approval_description(tool_name: str, arguments: dict[str, Any]) -> str:
    """What the human sees: the tool's name and its JSON arguments."""
    return f"{tool_name}({json.dumps(arguments, ensure_ascii=False, sort_keys=True)})"


def rejection_text(decision: ApprovalDecision) -> str:
    """The tool result the model reads for a rejected call."""
    return f"rejected by a human: {decision.reason}" if decision.reason else "rejected by a human"


async def request_approval(
    ctx: Context,
    step_id: str,
    *,
    tool_name: str,
    arguments: dict[str, Any],
    timeout: timedelta | float | None,
    on_timeout: OnApprovalTimeout,
) -> str | None:
    """Wait for a human's decision on one call.

    Returns:
        None when approved; otherwise the tool result text for the model.

    Raises:
        TokenTimeout: nobody answered in time and ``on_timeout="fail"``.
    """
    decision: ApprovalDecision | None = await ctx.step.wait_for_token(
        step_id,
        timeout=timeout,
        schema=ApprovalDecision,
        description=approval_description(tool_name, arguments),
        on_timeout="raise" if on_timeout == "fail" else "none",
    )
    if decision is None:
        return APPROVAL_TIMED_OUT
    if decision.approved:
        return None
    return rejection_text(decision)
