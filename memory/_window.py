"""`TokenWindow`: keep the newest messages that fit a token budget.

A history processor (``Agent(..., history=[TokenWindow(...)])``). The cut is
a pure function of the messages and their counts (`window`), so it is tested
on its own; the processor adds the counting.

Whole units only: an assistant message that calls tools and the tool
messages that answer it are kept or dropped together, so no request carries a
result without its call or a call without its result. Leading system messages
are always kept. What is dropped is the oldest: the kept messages are a
suffix of the conversation.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from agentkit.errors import ConfigError
from agentkit.models import Message, ToolCallPart
from agentkit.models._tokens import count_message_tokens

if TYPE_CHECKING:
    from agentkit.agents import AgentTurn

__all__ = ["TokenWindow", "units", "window"]


def units(messages: Sequence[Message]) -> list[list[int]]:
    """Indexes of ``messages`` grouped into what may not be split.

    An assistant message with tool calls and the tool messages right after it
    form one unit; every other message is a unit of its own.
    """
    grouped: list[list[int]] = []
    for index, message in enumerate(messages):
        if message.role == "tool" and grouped and _opens_calls(messages[grouped[-1][0]]):
            grouped[-1].append(index)
        else:
            grouped.append([index])
    return grouped


def _opens_calls(message: Message) -> bool:
    return message.role == "assistant" and any(isinstance(p, ToolCallPart) for p in message.parts)


def window(
    messages: Sequence[Message], counts: Sequence[int], budget: int, *, start_with_user: bool
) -> list[Message] | None:
    """The leading system messages plus the longest suffix of whole units within ``budget``.

    With ``start_with_user``, leading units of the suffix that are not user
    messages are dropped too, when a user message remains (some providers
    refuse a conversation that does not open with the user). None when the
    system messages and the newest unit alone exceed the budget.
    """
    head = 0
    while head < len(messages) and messages[head].role == "system":
        head += 1
    used = sum(counts[:head])
    body = messages[head:]
    kept: list[list[int]] = []
    for unit in reversed(units(body)):
        cost = sum(counts[head + i] for i in unit)
        if used + cost > budget:
            break
        used += cost
        kept.append(unit)
    if body and not kept:
        return None
    kept.reverse()
    if start_with_user and any(body[u[0]].role == "user" for u in kept):
        while body[kept[0][0]].role != "user":
            kept.pop(0)
    return [*messages[:head], *(body[i] for unit in kept for i in unit)]


class TokenWindow:
    """A history processor that keeps the newest messages within a token budget.

    The budget is ``max_tokens - reserve_output``: room is left for the reply.
    Counts are exact with tiktoken for OpenAI models (their own encoding,
    from tiktoken's cache or the encoding files the ``litellm`` extra ships);
    for Anthropic and other providers the ``o200k_base`` count is an estimate,
    and without any encoding at hand characters / 4. Tool definitions and the
    output schema are not counted: leave room for them in ``reserve_output``.

    Args:
        max_tokens: The model's context window, or less.
        reserve_output: Tokens left free for the reply (and tool definitions).
        model: Count as for this model; default the agent's model.
        start_with_user: Drop leading assistant turns that are left without
            the user message that started them (default True).

    Raises:
        ConfigError: at construction, a budget that is not positive; on a call,
            when the system prompt and the newest message alone do not fit.
    """

    def __init__(
        self,
        max_tokens: int,
        reserve_output: int = 0,
        *,
        model: str | None = None,
        start_with_user: bool = True,
    ) -> None:
        for name, value in (("max_tokens", max_tokens), ("reserve_output", reserve_output)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ConfigError(f"TokenWindow {name} must be an int >= 0, got {value!r}")
        if max_tokens - reserve_output <= 0:
            raise ConfigError(
                f"TokenWindow leaves no room: max_tokens={max_tokens} minus "
                f"reserve_output={reserve_output} must be above 0"
            )
        self.max_tokens = max_tokens
        self.reserve_output = reserve_output
        self.model = model
        self.start_with_user = start_with_user

    @property
    def budget(self) -> int:
        """Tokens the kept messages may use."""
        return self.max_tokens - self.reserve_output

    def __repr__(self) -> str:
        return f"TokenWindow(max_tokens={self.max_tokens}, reserve_output={self.reserve_output})"

    def __call__(self, turn: AgentTurn, messages: list[Message]) -> list[Message]:
        """The messages to send (see the class docstring)."""
        model = self.model or turn.agent.model.model_name
        return self.apply(messages, model)

    def apply(self, messages: Sequence[Message], model: str) -> list[Message]:
        """Window ``messages`` counted as for ``model``, outside an agent."""
        counts = count_message_tokens(model, messages)
        kept = window(messages, counts, self.budget, start_with_user=self.start_with_user)
        if kept is None:
            raise ConfigError(
                f"{self!r}: the system prompt and the newest message alone take more than "
                f"{self.budget} tokens ({model!r} counting)"
            )
        return kept
