"""A multi-turn conversation between an agent and a user, as one durable function.

Benchmarks like τ-bench record a conversation, not a single agent run: the
agent answers (model calls and tool calls), a user replies, and so on. Here
each agent turn is ``agent.run`` and each user reply is one step
(``ctx.step.run("user", ...)``) whose input is the conversation so far, so
replay serves the recorded replies and reports a reply to a changed
conversation as changed.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any, Literal

from pydantic import BaseModel

from agentkit.agents import Agent, AgentKit
from agentkit.durable import Context, DurableFunction
from agentkit.errors import ConfigError
from agentkit.models import Message

__all__ = ["Conversation", "UserTurn", "conversation_function"]

UserTurn = Callable[[list[dict[str, Any]]], Awaitable[str | None] | str | None]
"""The user's next reply to the conversation so far (messages as JSON), or None to leave."""

Ended = Literal["user_left", "stop_marker", "max_turns"]


class Conversation(BaseModel):
    """A conversation's output: its messages (no system prompt) and how it ended."""

    messages: list[Message]
    ended: Ended


def _no_user(_messages: list[dict[str, Any]]) -> str | None:
    raise RuntimeError("this conversation has no user simulator (replay only)")


def conversation_function(
    kit: AgentKit,
    agent: Agent[Any],
    *,
    user: UserTurn | None = None,
    stop_marker: str | None = None,
    max_turns: int = 50,
) -> DurableFunction[..., Conversation]:
    """Register the durable function ``chat:{agent.name}`` on ``kit``.

    Its input is ``first_message`` (the user's opening); its output a
    `Conversation`. It ends when the user returns None, a reply contains
    ``stop_marker``, or after ``max_turns`` user replies.

    Raises:
        ConfigError: ``kit`` already has a conversation function for another agent.
    """
    function_id = f"chat:{agent.name}"
    if function_id in kit.functions:
        raise ConfigError(f"kit already has a conversation function {function_id!r}")
    reply_with = user or _no_user

    async def reply(messages: list[dict[str, Any]]) -> str | None:
        text = reply_with(messages)
        if inspect.isawaitable(text):
            text = await text
        return text

    async def chat(ctx: Context, first_message: str) -> Conversation:
        messages = [Message.user(first_message)]
        for _ in range(max_turns):
            result = await agent.run(messages, ctx=ctx)
            messages = [m for m in result.messages if m.role != "system"]
            shown = [m.model_dump(mode="json") for m in messages]
            text: str | None = await ctx.step.run("user", reply, shown)
            if text is None:
                return Conversation(messages=messages, ended="user_left")
            messages.append(Message.user(text))
            if stop_marker is not None and stop_marker in text:
                return Conversation(messages=messages, ended="stop_marker")
        return Conversation(messages=messages, ended="max_turns")

    chat.__name__ = chat.__qualname__ = f"chat_{agent.name}"
    function: DurableFunction[..., Conversation] = kit.function(id=function_id)(chat)
    return function
