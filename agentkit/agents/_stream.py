"""Streaming a network: one callback for every model call, tagged with who made it.

``network.run(..., stream=callback)`` sets the callback for the run; each
model call of an agent (or of the routing agent) passes its deltas on as a
`StreamDelta` with the agent's name and the step key. Only live calls stream:
a replayed call answers from the journal at once and sends nothing.
"""

from __future__ import annotations

import contextvars
import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from agentkit.models import TextDelta, ToolCallDelta

__all__ = ["StreamCallback", "StreamDelta", "stream_for", "use_stream"]


@dataclass(frozen=True)
class StreamDelta:
    """One streamed piece of a model call.

    Attributes:
        agent: The agent (or routing agent) whose call it is.
        step_key: The call's step key (``researcher/infer#2``).
        delta: The provider-neutral event (`TextDelta`, `ToolCallDelta`, ...).
    """

    agent: str
    step_key: str
    delta: Any

    @property
    def text(self) -> str:
        """The text of a text delta ("" for anything else)."""
        return self.delta.text if isinstance(self.delta, TextDelta) else ""

    @property
    def is_tool_call(self) -> bool:
        """Whether this is a piece of a tool call."""
        return isinstance(self.delta, ToolCallDelta)


StreamCallback = Callable[[StreamDelta], Awaitable[None] | None]
"""Receives every `StreamDelta`; may be async."""

_stream: contextvars.ContextVar[StreamCallback | None] = contextvars.ContextVar(
    "agentkit_stream", default=None
)


def use_stream(callback: StreamCallback | None) -> contextvars.Token[StreamCallback | None]:
    """Send the deltas of model calls in this context to ``callback``."""
    return _stream.set(callback)


def reset_stream(token: contextvars.Token[StreamCallback | None]) -> None:
    """Undo `use_stream`."""
    _stream.reset(token)


def stream_for(agent: str, step_key: str) -> Callable[[Any], Any] | None:
    """The ``stream=`` for one model call, or None when nobody listens."""
    callback = _stream.get()
    if callback is None:
        return None

    async def forward(delta: Any) -> None:
        outcome = callback(StreamDelta(agent, step_key, delta))
        if inspect.isawaitable(outcome):
            await outcome

    return forward
