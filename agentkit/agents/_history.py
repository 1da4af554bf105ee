"""History processors: what an agent's model sees of its conversation.

``Agent(history=...)`` takes processors, plain callables over the message
list, applied in order before every model call. A processor receives the
messages the request would carry (the system prompt first, when there is one)
and returns the messages to send. It never changes the conversation the loop
keeps: `AgentResult.messages` and the thread a turn is saved to hold every
message, windowed or not.

A processor takes ``(messages)`` or ``(turn, messages)``; the second form
gets an `AgentTurn` with the durable context, for processors that need a
step (a summary is a model call, made through ``turn.ctx.step.infer`` so a
replay does not pay for it again). It may be ``async``. Processors run again
on replay, so they must be functions of their input (and of step results):
the processed request is part of the model call's fingerprint.

The loop checks what a processor returns: every tool result must follow the
assistant message that made its call, and every call must be answered, or
the provider would reject the request. A processor that breaks a pair gets a
`ConfigError` naming it.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from agentkit.errors import ConfigError
from agentkit.models import Message, ToolCallPart, ToolResultPart

if TYPE_CHECKING:
    from pydantic import BaseModel

    from agentkit.agents._agent import Agent
    from agentkit.agents._threads import ThreadHistory
    from agentkit.durable import Context

__all__ = [
    "AgentTurn",
    "HistoryProcessor",
    "apply_history",
    "check_tool_pairs",
    "history_processors",
    "history_scope",
]


@dataclass(frozen=True)
class AgentTurn:
    """What a history processor may need besides the messages.

    Attributes:
        ctx: The durable function's context (for steps such as a summary call).
        agent: The agent about to call its model.
        state: The agent's state object, or None.
        call: How many model calls this run of the agent made before this one.
        thread: What the run loaded from its thread (``run(..., thread=...)``):
            its messages come first in the conversation, right after the
            system prompt. None without a thread.
    """

    ctx: Context
    agent: Agent[Any]
    state: BaseModel | None
    call: int
    thread: ThreadHistory | None = None


HistoryProcessor: TypeAlias = (
    Callable[[list[Message]], list[Message] | Awaitable[list[Message]]]
    | Callable[[AgentTurn, list[Message]], list[Message] | Awaitable[list[Message]]]
    | Literal["full", "own"]
)
"""A callable over the message list, optionally taking the `AgentTurn` first; or a scope.

The scopes say what of a network's conversation the agent starts from:
``"full"`` (the default) every earlier agent's turns, ``"own"`` the input and
its own earlier turns only. Outside a network both mean everything.
"""
HISTORY_SCOPES = ("full", "own")


def _arity(processor: Callable[..., Any]) -> int:
    try:
        signature = inspect.signature(processor)
    except (TypeError, ValueError):
        return 1
    positional = [
        p
        for p in signature.parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    if any(p.kind is p.VAR_POSITIONAL for p in signature.parameters.values()):
        return 2
    return len(positional)


def _name(processor: Any) -> str:
    return getattr(processor, "__qualname__", None) or type(processor).__qualname__


def history_processors(agent_name: str, history: Any) -> tuple[Callable[..., Any] | str, ...]:
    """Validate an agent's ``history`` argument into a tuple of processors.

    The strings ``"full"`` and ``"own"`` are kept as they are: they say what of
    a network's conversation the agent sees (see `history_scope`).
    """
    if history is None:
        return ()
    items = (
        list(history)
        if isinstance(history, Sequence) and not isinstance(history, str)
        else [history]
    )
    out: list[Callable[..., Any] | str] = []
    for item in items:
        if isinstance(item, str):
            if item not in HISTORY_SCOPES:
                raise ConfigError(
                    f"agent {agent_name!r}: history {item!r} is not one of "
                    f"{', '.join(map(repr, HISTORY_SCOPES))} or a callable"
                )
            out.append(item)
            continue
        if not callable(item):
            raise ConfigError(
                f"agent {agent_name!r}: history entries must be callables over the "
                f"message list, got {item!r}"
            )
        if _arity(item) not in (1, 2):
            raise ConfigError(
                f"agent {agent_name!r}: history processor {_name(item)} must take "
                "(messages) or (turn, messages)"
            )
        out.append(item)
    return tuple(out)


def history_scope(processors: Sequence[Callable[..., Any] | str]) -> str:
    """``"own"`` when an agent sees only its own turns of a network, else ``"full"``."""
    return "own" if "own" in processors else "full"


async def apply_history(
    processors: Sequence[Callable[..., Any] | str], turn: AgentTurn, messages: list[Message]
) -> list[Message]:
    """Run ``processors`` in order over ``messages`` and check each result.

    The scope strings (``"full"``, ``"own"``) are a network's business: the
    network chooses the messages an agent starts from, so here they change nothing.
    """
    for processor in processors:
        if isinstance(processor, str):
            continue
        outcome = (
            processor(list(messages)) if _arity(processor) == 1 else processor(turn, list(messages))
        )
        if inspect.isawaitable(outcome):
            outcome = await outcome
        if not isinstance(outcome, list) or not all(isinstance(m, Message) for m in outcome):
            raise ConfigError(
                f"agent {turn.agent.name!r}: history processor {_name(processor)} must "
                f"return a list of Message, got {type(outcome).__name__}"
            )
        problem = check_tool_pairs(outcome)
        if problem:
            raise ConfigError(
                f"agent {turn.agent.name!r}: history processor {_name(processor)} "
                f"broke a tool call/result pair: {problem}"
            )
        messages = outcome
    return messages


def check_tool_pairs(messages: Sequence[Message]) -> str | None:
    """Why ``messages`` would be refused for its tool pairs, or None when they are whole.

    Each tool message must answer calls of the assistant message right before
    it (tool messages may follow each other), and each call must be answered
    before the next assistant or user message.
    """
    open_calls: dict[str, str] = {}
    for index, message in enumerate(messages):
        calls = [p for p in message.parts if isinstance(p, ToolCallPart)]
        results = [p for p in message.parts if isinstance(p, ToolResultPart)]
        if message.role != "tool" and open_calls:
            missing = ", ".join(f"{n} ({i})" for i, n in open_calls.items())
            return f"message {index} ({message.role}) comes before the results of {missing}"
        for result in results:
            if result.tool_call_id not in open_calls:
                return (
                    f"message {index} has the result of {result.name} ({result.tool_call_id}) "
                    "without its call right before it"
                )
            del open_calls[result.tool_call_id]
        for call in calls:
            open_calls[call.id] = call.name
    if open_calls:
        missing = ", ".join(f"{n} ({i})" for i, n in open_calls.items())
        return f"the conversation ends with unanswered calls: {missing}"
    return None
