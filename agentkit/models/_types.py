"""Canonical, provider-neutral types for model calls.

Every provider adapter translates to and from these types, so agents, the
engine and the journal never see a vendor's wire format.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

__all__ = [
    "FinishReason",
    "Message",
    "ModelRequest",
    "ModelResponse",
    "Part",
    "PartAdapter",
    "Role",
    "StreamDone",
    "StreamEvent",
    "StreamEventAdapter",
    "TextDelta",
    "TextPart",
    "ThinkingPart",
    "ToolCallDelta",
    "ToolCallPart",
    "ToolResultPart",
    "ToolSpec",
    "Usage",
]

Role = Literal["system", "user", "assistant", "tool"]
FinishReason = Literal["stop", "tool_calls", "length", "content_filter", "other"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TextPart(_Frozen):
    """Plain text."""

    kind: Literal["text"] = "text"
    text: str


class ToolCallPart(_Frozen):
    """A tool call the model asked for.

    Attributes:
        id: The provider's call id; a tool result answers it by this id.
        name: The tool's name.
        arguments: The parsed JSON object, or ``{}`` when ``raw_arguments`` is not one.
        raw_arguments: The model's exact argument string.
        parse_error: Why ``raw_arguments`` could not be read as a JSON object, if it could not.
    """

    kind: Literal["tool_call"] = "tool_call"
    id: str
    name: str
    arguments: dict[str, Any]
    raw_arguments: str
    parse_error: str | None = None

    @classmethod
    def from_raw(cls, id: str, name: str, raw_arguments: str) -> ToolCallPart:
        """Build a call from the model's argument string, keeping it even when malformed."""
        if not raw_arguments.strip():
            return cls(id=id, name=name, arguments={}, raw_arguments=raw_arguments)
        try:
            value = json.loads(raw_arguments)
        except json.JSONDecodeError as exc:
            return cls(
                id=id, name=name, arguments={}, raw_arguments=raw_arguments, parse_error=str(exc)
            )
        if not isinstance(value, dict):
            error = f"arguments are a JSON {type(value).__name__}, not an object"
            return cls(
                id=id, name=name, arguments={}, raw_arguments=raw_arguments, parse_error=error
            )
        return cls(id=id, name=name, arguments=value, raw_arguments=raw_arguments)

    @classmethod
    def from_arguments(cls, id: str, name: str, arguments: dict[str, Any]) -> ToolCallPart:
        """Build a call from already-parsed arguments (Anthropic sends an object, not a string)."""
        raw = json.dumps(arguments, ensure_ascii=False, separators=(",", ":"))
        return cls(id=id, name=name, arguments=arguments, raw_arguments=raw)


class ToolResultPart(_Frozen):
    """The outcome of a tool call, sent back to the model."""

    kind: Literal["tool_result"] = "tool_result"
    tool_call_id: str
    name: str
    content: str
    is_error: bool = False


class ThinkingPart(_Frozen):
    """A reasoning block (Anthropic extended thinking).

    Kept so that a tool-use turn can be sent back verbatim, as Anthropic requires
    when thinking is enabled; other providers drop it from requests.

    Attributes:
        text: The thinking text, or the opaque data of a redacted block.
        signature: The provider's signature over the block.
        redacted: True for a ``redacted_thinking`` block.
    """

    kind: Literal["thinking"] = "thinking"
    text: str
    signature: str | None = None
    redacted: bool = False


# Room for images: an ``ImagePart(kind="image", url | data, media_type)`` joins this
# union, and each adapter maps it to its wire shape.
Part = Annotated[
    TextPart | ToolCallPart | ToolResultPart | ThinkingPart, Field(discriminator="kind")
]
PartAdapter: TypeAdapter[Part] = TypeAdapter(Part)


class Message(_Frozen):
    """One conversation turn."""

    role: Role
    parts: list[Part]

    @classmethod
    def system(cls, text: str) -> Message:
        """A system prompt."""
        return cls(role="system", parts=[TextPart(text=text)])

    @classmethod
    def user(cls, text: str) -> Message:
        """A user turn with text."""
        return cls(role="user", parts=[TextPart(text=text)])

    @classmethod
    def assistant(cls, text: str) -> Message:
        """An assistant turn with text."""
        return cls(role="assistant", parts=[TextPart(text=text)])

    @classmethod
    def tool_result(
        cls, tool_call_id: str, name: str, content: str, *, is_error: bool = False
    ) -> Message:
        """A tool turn answering the call ``tool_call_id``."""
        part = ToolResultPart(
            tool_call_id=tool_call_id, name=name, content=content, is_error=is_error
        )
        return cls(role="tool", parts=[part])

    @property
    def text(self) -> str:
        """The text parts joined, without thinking or tool parts."""
        return "".join(part.text for part in self.parts if isinstance(part, TextPart))

    @property
    def tool_calls(self) -> list[ToolCallPart]:
        """The tool calls in this message, in order."""
        return [part for part in self.parts if isinstance(part, ToolCallPart)]


class ToolSpec(_Frozen):
    """A tool the model may call; ``parameters`` is a JSON schema for its arguments."""

    name: str
    description: str
    parameters: dict[str, Any]
    strict: bool = False


class ModelRequest(_Frozen):
    """Everything a model call needs, independent of the provider.

    Attributes:
        messages: The conversation, system prompt included.
        tools: Tools the model may call.
        tool_choice: ``"auto"``, ``"none"``, ``"required"``, or the name of one tool to force.
        output_schema: A JSON schema the reply must follow (structured output).
        output_schema_name: The schema's name where the provider wants one.
        temperature: Sampling temperature.
        max_tokens: Output token cap.
        stop: Stop sequences.
        extra: Provider-specific fields, merged last into the request body.
    """

    messages: list[Message]
    tools: list[ToolSpec] = Field(default_factory=list)
    tool_choice: Literal["auto", "none", "required"] | str | None = None
    output_schema: dict[str, Any] | None = None
    output_schema_name: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    stop: list[str] | None = None
    extra: dict[str, Any] = Field(default_factory=dict)


class Usage(_Frozen):
    """Token counts of one call.

    ``input_tokens`` counts every prompt token, cached ones included;
    ``cached_tokens`` is the part of it read from the provider's prompt cache.
    """

    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        """Input plus output tokens."""
        return self.input_tokens + self.output_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cached_tokens=self.cached_tokens + other.cached_tokens,
        )


class ModelResponse(_Frozen):
    """A parsed model reply.

    Attributes:
        message: The assistant message (text, tool calls, thinking).
        finish_reason: Why generation stopped, normalized across providers.
        usage: Token counts.
        model: The model that answered, as the provider reports it.
        provider: ``"openai"``, ``"anthropic"``, ``"litellm"`` or ``"scripted"``.
        request_id: The provider's request id header, else the response id.
    """

    message: Message
    finish_reason: FinishReason
    usage: Usage
    model: str
    provider: str
    request_id: str | None = None

    @property
    def tool_calls(self) -> list[ToolCallPart]:
        """The tool calls the model asked for."""
        return self.message.tool_calls

    @property
    def text(self) -> str:
        """The reply's text."""
        return self.message.text


class TextDelta(_Frozen):
    """A piece of streamed text."""

    kind: Literal["text_delta"] = "text_delta"
    text: str


class ToolCallDelta(_Frozen):
    """A piece of a streamed tool call; ``index`` is the call's position in the reply."""

    kind: Literal["tool_call_delta"] = "tool_call_delta"
    index: int
    id: str | None = None
    name: str | None = None
    arguments_delta: str = ""


class StreamDone(_Frozen):
    """The stream's last event, carrying the assembled response."""

    kind: Literal["done"] = "done"
    response: ModelResponse


StreamEvent = Annotated[TextDelta | ToolCallDelta | StreamDone, Field(discriminator="kind")]
StreamEventAdapter: TypeAdapter[StreamEvent] = TypeAdapter(StreamEvent)
