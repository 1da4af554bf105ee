"""What a scorer sees of one case's run: the output, the tool calls, cost and time.

Built from an agent's messages (live or replayed) or from a recorded output,
so that every mode of an eval gives scorers the same thing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from agentkit.models import Message, ToolCallPart, ToolResultPart

__all__ = ["Observation", "ToolCall", "tool_calls_of"]


@dataclass(frozen=True)
class ToolCall:
    """One tool call the model made, with the result it got (None if it never ran)."""

    name: str
    arguments: dict[str, Any]
    result: str | None = None
    is_error: bool = False

    def to_json(self) -> dict[str, Any]:
        """The call as JSON."""
        return {
            "name": self.name,
            "arguments": self.arguments,
            "result": self.result,
            "is_error": self.is_error,
        }


def tool_calls_of(messages: Sequence[Message]) -> list[ToolCall]:
    """The tool calls in a conversation, in order, each with its result."""
    results: dict[str, ToolResultPart] = {}
    calls: list[ToolCallPart] = []
    for message in messages:
        for part in message.parts:
            if isinstance(part, ToolCallPart):
                calls.append(part)
            elif isinstance(part, ToolResultPart):
                results[part.tool_call_id] = part
    found: list[ToolCall] = []
    for call in calls:
        result = results.get(call.id)
        found.append(
            ToolCall(
                name=call.name,
                arguments=dict(call.arguments),
                result=None if result is None else result.content,
                is_error=False if result is None else result.is_error,
            )
        )
    return found


@dataclass(frozen=True)
class Observation:
    """A case's run as scorers see it.

    Attributes:
        input: The case's input.
        output: What the run answered (the agent's final output, or the
            function's output).
        expected: The case's expected output, if any.
        metadata: The case's metadata.
        tool_calls: The tool calls made, in order.
        cost_usd: What the run's model calls cost, when known.
        latency_s: How long the run took (recorded runs: as recorded).
        model_calls: How many model calls the run made.
        run_id: The run scored (live, replayed or recorded), if any.
    """

    input: Any
    output: Any
    expected: Any = None
    metadata: dict[str, Any] = field(default_factory=dict)
    tool_calls: list[ToolCall] = field(default_factory=list)
    cost_usd: float | None = None
    latency_s: float | None = None
    model_calls: int = 0
    run_id: str | None = None
