"""Anthropic Messages wire format: request bodies, replies and stream events.

Pure functions over plain dicts; no SDK import.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agentkit.models._exchange import RawExchange, exchange_body
from agentkit.models._types import (
    FinishReason,
    Message,
    ModelRequest,
    ModelResponse,
    Part,
    StreamEvent,
    TextDelta,
    TextPart,
    ThinkingPart,
    ToolCallDelta,
    ToolCallPart,
    ToolResultPart,
    ToolSpec,
    Usage,
)

__all__ = [
    "DEFAULT_MAX_TOKENS",
    "AnthropicStreamDeltas",
    "anthropic_body_from_events",
    "anthropic_stream_finished",
    "build_anthropic_body",
    "parse_anthropic_body",
    "parse_anthropic_exchange",
]

DEFAULT_MAX_TOKENS = 4096
"""Sent when neither the request nor the model sets ``max_tokens`` (Anthropic requires it)."""

_FINISH: dict[str, FinishReason] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "tool_use": "tool_calls",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "refusal": "content_filter",
}


def _wire_part(part: Part) -> dict[str, Any]:
    if isinstance(part, TextPart):
        return {"type": "text", "text": part.text}
    if isinstance(part, ToolCallPart):
        return {"type": "tool_use", "id": part.id, "name": part.name, "input": part.arguments}
    if isinstance(part, ToolResultPart):
        return {
            "type": "tool_result",
            "tool_use_id": part.tool_call_id,
            "content": part.content,
            "is_error": part.is_error,
        }
    if part.redacted:
        return {"type": "redacted_thinking", "data": part.text}
    return {"type": "thinking", "thinking": part.text, "signature": part.signature or ""}


def _split_system(messages: list[Message]) -> tuple[str | None, list[dict[str, Any]]]:
    """The system prompt, and the turns with consecutive same-role turns merged.

    Tool results travel in a user turn, so a tool message directly after a user
    message (or several parallel results) land in one turn, as the API requires.
    """
    system: list[str] = []
    turns: list[dict[str, Any]] = []
    for message in messages:
        if message.role == "system":
            system.append(message.text)
            continue
        role = "assistant" if message.role == "assistant" else "user"
        blocks = [_wire_part(part) for part in message.parts]
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": role, "content": blocks})
    return ("\n\n".join(system) if system else None), turns


def _wire_tool(tool: ToolSpec) -> dict[str, Any]:
    wire: dict[str, Any] = {
        "name": tool.name,
        "description": tool.description,
        "input_schema": tool.parameters,
    }
    if tool.strict:
        wire["strict"] = True
    return wire


def _wire_tool_choice(choice: str) -> dict[str, Any]:
    named = {"auto": "auto", "none": "none", "required": "any"}
    if choice in named:
        return {"type": named[choice]}
    return {"type": "tool", "name": choice}


def build_anthropic_body(
    model: str,
    request: ModelRequest,
    *,
    stream: bool,
    defaults: Mapping[str, Any],
    default_max_tokens: int = DEFAULT_MAX_TOKENS,
) -> dict[str, Any]:
    """The Messages API JSON body for ``request``.

    ``defaults`` come first, the request's fields override them and
    ``request.extra`` overrides both.
    """
    system, turns = _split_system(request.messages)
    body: dict[str, Any] = {**defaults, "model": model, "messages": turns}
    body.setdefault("max_tokens", default_max_tokens)
    if system is not None:
        body["system"] = system
    if request.tools:
        body["tools"] = [_wire_tool(tool) for tool in request.tools]
    if request.tool_choice is not None:
        body["tool_choice"] = _wire_tool_choice(request.tool_choice)
    if request.output_schema is not None:
        body["output_config"] = {
            **body.get("output_config", {}),
            "format": {"type": "json_schema", "schema": request.output_schema},
        }
    if request.temperature is not None:
        body["temperature"] = request.temperature
    if request.max_tokens is not None:
        body["max_tokens"] = request.max_tokens
    if request.stop:
        body["stop_sequences"] = list(request.stop)
    body.update(request.extra)
    body["stream"] = stream
    return body


def _usage(usage: Mapping[str, Any] | None) -> Usage:
    if not usage:
        return Usage()
    cache_read = usage.get("cache_read_input_tokens") or 0
    cache_write = usage.get("cache_creation_input_tokens") or 0
    return Usage(
        input_tokens=(usage.get("input_tokens") or 0) + cache_read + cache_write,
        output_tokens=usage.get("output_tokens") or 0,
        cached_tokens=cache_read,
    )


def _content_part(block: Mapping[str, Any]) -> Part | None:
    kind = block.get("type")
    if kind == "text":
        return TextPart(text=block.get("text") or "")
    if kind == "tool_use":
        arguments = block.get("input")
        if isinstance(arguments, str):  # assembled from a stream: the model's exact string
            return ToolCallPart.from_raw(block["id"], block["name"], arguments)
        return ToolCallPart.from_arguments(block["id"], block["name"], dict(arguments or {}))
    if kind == "thinking":
        return ThinkingPart(text=block.get("thinking") or "", signature=block.get("signature"))
    if kind == "redacted_thinking":
        return ThinkingPart(text=block.get("data") or "", redacted=True)
    return None  # server tool blocks and future kinds are skipped, not fatal


def parse_anthropic_body(
    body: Mapping[str, Any], *, provider: str, model: str, headers: Mapping[str, str]
) -> ModelResponse:
    """Parse a Messages API ``message`` body."""
    parts = [part for block in body.get("content") or [] if (part := _content_part(block))]
    return ModelResponse(
        message=Message(role="assistant", parts=parts),
        finish_reason=_FINISH.get(body.get("stop_reason") or "", "other"),
        usage=_usage(body.get("usage")),
        model=body.get("model") or model,
        provider=provider,
        request_id=headers.get("request-id") or body.get("id"),
    )


class AnthropicStreamDeltas:
    """Turns stream events into canonical deltas, numbering tool calls 0, 1, ...

    Anthropic indexes content blocks (text and tools together); callers see the
    tool call's position among tool calls, as with OpenAI.
    """

    def __init__(self) -> None:
        self._tool_index: dict[int, int] = {}

    def feed(self, event: Mapping[str, Any]) -> list[StreamEvent]:
        """The deltas in one raw stream event."""
        kind = event.get("type")
        block_index = event.get("index", 0)
        if kind == "content_block_start":
            block = event.get("content_block") or {}
            if block.get("type") == "tool_use":
                index = self._tool_index.setdefault(block_index, len(self._tool_index))
                return [ToolCallDelta(index=index, id=block.get("id"), name=block.get("name"))]
            if block.get("type") == "text" and block.get("text"):
                return [TextDelta(text=block["text"])]
        elif kind == "content_block_delta":
            delta = event.get("delta") or {}
            if delta.get("type") == "text_delta" and delta.get("text"):
                return [TextDelta(text=delta["text"])]
            if delta.get("type") == "input_json_delta" and block_index in self._tool_index:
                partial = delta.get("partial_json") or ""
                if partial:
                    index = self._tool_index[block_index]
                    return [ToolCallDelta(index=index, arguments_delta=partial)]
        return []


def anthropic_stream_finished(events: list[dict[str, Any]]) -> bool:
    """Whether the events reached ``message_stop``."""
    return any(event.get("type") == "message_stop" for event in events)


def _apply_block_delta(block: dict[str, Any], delta: Mapping[str, Any]) -> None:
    kind = delta.get("type")
    if kind == "text_delta":
        block["text"] = block.get("text", "") + (delta.get("text") or "")
    elif kind == "input_json_delta":
        block["input"] += delta.get("partial_json") or ""
    elif kind == "thinking_delta":
        block["thinking"] = block.get("thinking", "") + (delta.get("thinking") or "")
    elif kind == "signature_delta":
        block["signature"] = delta.get("signature")


def anthropic_body_from_events(events: list[dict[str, Any]]) -> dict[str, Any]:
    """Fold stream events into the ``message`` body they stand for.

    A tool_use block's ``input`` stays the concatenated JSON string, so the
    parser keeps the model's exact arguments.
    """
    body: dict[str, Any] = {"content": []}
    blocks: dict[int, dict[str, Any]] = {}
    for event in events:
        kind = event.get("type")
        if kind == "message_start":
            message = dict(event.get("message") or {})
            body.update({key: value for key, value in message.items() if key != "content"})
        elif kind == "content_block_start":
            block = dict(event.get("content_block") or {})
            if block.get("type") == "tool_use":
                block["input"] = ""
            blocks[event.get("index", 0)] = block
        elif kind == "content_block_delta":
            target = blocks.get(event.get("index", 0))
            if target is not None:
                _apply_block_delta(target, event.get("delta") or {})
        elif kind == "message_delta":
            body.update(event.get("delta") or {})
            body["usage"] = {**(body.get("usage") or {}), **(event.get("usage") or {})}
    body["content"] = [block for _, block in sorted(blocks.items())]
    return body


def parse_anthropic_exchange(raw: RawExchange) -> ModelResponse:
    """Parse a stored Anthropic exchange, streamed or not."""
    body = exchange_body(raw, anthropic_body_from_events)
    return parse_anthropic_body(body, provider=raw.provider, model=raw.model, headers=raw.headers)
