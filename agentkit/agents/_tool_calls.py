"""One model turn's tool calls: validate, gate on approvals, run concurrently.

Deciding what a call becomes (unknown tool, unreadable or invalid arguments)
is pure code over the journaled model response, so replay decides the same.
Approvals are requested one call at a time, in the model's order, before any
call of the turn runs; then the calls run concurrently, each one step, and
their results come back in the model's order.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from agentkit.agents._approval import request_approval
from agentkit.agents._schema import describe_validation_error
from agentkit.agents._tool import Tool, ToolInvocation, ToolRetryRequested
from agentkit.errors import StepFailed
from agentkit.models import ToolCallPart, ToolResultPart

if TYPE_CHECKING:
    from agentkit.agents._agent import Agent
    from agentkit.durable import Context

__all__ = ["ToolTurn", "cut_off_results"]


@dataclass(frozen=True)
class _Ready:
    call: ToolCallPart
    tool: Tool
    kwargs: dict[str, Any]


_QUOTED_ARGUMENTS = 500  # characters of malformed arguments quoted back to the model


def _error(call: ToolCallPart, content: str) -> ToolResultPart:
    return ToolResultPart(tool_call_id=call.id, name=call.name, content=content, is_error=True)


def _quote(raw: str) -> str:
    if len(raw) <= _QUOTED_ARGUMENTS:
        return repr(raw)
    return f"{raw[:_QUOTED_ARGUMENTS]!r} (the first {_QUOTED_ARGUMENTS} of {len(raw)} characters)"


def cut_off_results(calls: Sequence[ToolCallPart], max_tokens: int | None) -> list[ToolResultPart]:
    """Answers to the tool calls of a reply cut off at its output limit: none of them ran.

    A reply that stopped at ``max_tokens`` may end inside a call's arguments, and
    even a call whose arguments parse may be missing the ones that were coming.
    """
    limit = "max_tokens" if max_tokens is None else f"max_tokens={max_tokens}"
    return [
        _error(
            call,
            f"Error: your reply was cut off at its output limit ({limit}) before this call "
            f"to {call.name} was complete, so it was not run. Call it again with shorter "
            "arguments, or fewer calls in one reply.",
        )
        for call in calls
    ]


def _failure_text(tool: Tool, failure: StepFailed) -> str:
    if failure.error_type == ToolRetryRequested.__name__:
        return failure.error_message
    return f"Error: {tool.name} failed: {failure.error_type}: {failure.error_message}"


@dataclass
class ToolTurn:
    """Runs tool calls for one agent run (the same object across its turns)."""

    agent: Agent[Any]
    ctx: Context
    state: BaseModel | None
    # Calls of tools that take the state run one at a time, so that the state
    # each journals is the state it left behind.
    state_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def prepare(self, call: ToolCallPart) -> _Ready | ToolResultPart:
        """Validate one call, or explain to the model why it cannot run."""
        tools = self.agent.bound_tools
        tool = tools.get(call.name)
        if tool is None:
            names = ", ".join(sorted(tools)) or "none"
            return _error(call, f"Error: unknown tool {call.name!r}. Available tools: {names}.")
        if call.parse_error is not None:
            return _error(
                call,
                f"Error: the arguments for {call.name} are not a JSON object "
                f"({call.parse_error}): you sent {_quote(call.raw_arguments)}. "
                "Call it again with valid JSON arguments.",
            )
        try:
            kwargs = tool.validate(call.arguments)
        except ValidationError as exc:
            return _error(
                call,
                f"Error: invalid arguments for {call.name}: {describe_validation_error(exc)}. "
                "Call it again with arguments that match its schema.",
            )
        return _Ready(call, tool, kwargs)

    async def run(self, calls: Sequence[ToolCallPart]) -> list[ToolResultPart]:
        """The results of ``calls``, in their order."""
        items = [self.prepare(call) for call in calls]
        for index, item in enumerate(items):
            if isinstance(item, _Ready) and item.tool.requires_approval(item.kwargs, self.ctx):
                refusal = await self._approve(item)
                if refusal is not None:
                    items[index] = _error(item.call, refusal)
        return list(await asyncio.gather(*(self._run_one(item) for item in items)))

    async def _approve(self, item: _Ready) -> str | None:
        agent, tool = self.agent, item.tool
        return await request_approval(
            self.ctx,
            f"{agent.name}/approve/{tool.name}",
            tool_name=tool.name,
            arguments=item.call.arguments,
            timeout=agent.approval_timeout
            if tool.approval_timeout is None
            else tool.approval_timeout,
            on_timeout=tool.on_approval_timeout or agent.on_approval_timeout,
        )

    async def _run_one(self, item: _Ready | ToolResultPart) -> ToolResultPart:
        if isinstance(item, ToolResultPart):
            return item
        call, tool = item.call, item.tool
        invocation = ToolInvocation(
            ctx=self.ctx,
            step_id=f"{self.agent.name}/tool/{tool.name}",
            arguments=call.arguments,
            kwargs=item.kwargs,
            state=self.state if tool.takes_state else None,
        )
        lock = self.state_lock if tool.takes_state else contextlib.nullcontext()
        try:
            async with lock:
                content = await tool.execute(invocation)
        except StepFailed as failure:
            return _error(call, _failure_text(tool, failure))
        return ToolResultPart(tool_call_id=call.id, name=call.name, content=content)
