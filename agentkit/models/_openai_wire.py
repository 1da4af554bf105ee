"""OpenAI chat.completions wire format: request bodies, replies and stream chunks.

Pure functions over plain dicts, shared by ``OpenAIModel`` and ``LiteLLMModel``
(LiteLLM answers in the same shape). No SDK import.
"""

from __future__ import annotations

import json
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
    ToolCallDelta,
    ToolCallPart,
    ToolResultPart,
    ToolSpec,
    Usage,
)

__all__ = [
    "build_openai_body",
    "openai_body_from_chunks",
    "openai_chunk_events",
    "openai_stream_finished",
    "parse_openai_body",
    "parse_openai_exchange",
    "wire_arguments",
]

_FINISH: dict[str, FinishReason] = {
    "stop": "stop",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "length": "length",
    "content_filter": "content_filter",
}


def _text_content(parts: list[TextPart]) -> str | list[dict[str, Any]]:
    if len(parts) == 1:
        return parts[0].text
    return [{"type": "text", "text": part.text} for part in parts]


def _texts(parts: list[Part]) -> list[TextPart]:
    return [part for part in parts if isinstance(part, TextPart)]


def wire_arguments(call: ToolCallPart) -> str:
    """The arguments of a past tool call as sent back: always a JSON object.

    The model's exact string when it is one; ``"{}"`` when it was malformed or
    empty, since servers parse the history (llama.cpp answers HTTP 500 "Failed
    to parse tool call arguments as JSON" to every later request otherwise).
    The tool result answering the call keeps the error and quotes the raw text.
    """
    if call.parse_error is None and call.raw_arguments.strip():
        return call.raw_arguments
    return json.dumps(call.arguments, ensure_ascii=False, separators=(",", ":"))


def _assistant_message(message: Message) -> dict[str, Any]:
    texts = _texts(message.parts)
    calls = message.tool_calls
    wire: dict[str, Any] = {"role": "assistant"}
    if texts or not calls:
        wire["content"] = "".join(part.text for part in texts)
    if calls:
        wire["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": wire_arguments(call)},
            }
            for call in calls
        ]
    return wire


def _wire_messages(messages: list[Message]) -> list[dict[str, Any]]:
    wire: list[dict[str, Any]] = []
    for message in messages:
        if message.role == "assistant":
            wire.append(_assistant_message(message))
            continue
        # Tool results become one "tool" message each, whatever role carried them.
        for part in message.parts:
            if isinstance(part, ToolResultPart):
                wire.append(
                    {"role": "tool", "tool_call_id": part.tool_call_id, "content": part.content}
                )
        texts = _texts(message.parts)
        if texts:
            role = "system" if message.role == "system" else "user"
            wire.append({"role": role, "content": _text_content(texts)})
    return wire


def _wire_tool(tool: ToolSpec) -> dict[str, Any]:
    function: dict[str, Any] = {
        "name": tool.name,
        "description": tool.description,
        "parameters": tool.parameters,
    }
    if tool.strict:
        function["strict"] = True
    return {"type": "function", "function": function}


def _wire_tool_choice(choice: str) -> str | dict[str, Any]:
    if choice in ("auto", "none", "required"):
        return choice
    return {"type": "function", "function": {"name": choice}}


def build_openai_body(
    model: str,
    request: ModelRequest,
    *,
    stream: bool,
    defaults: Mapping[str, Any],
    max_tokens_field: str = "max_completion_tokens",
) -> dict[str, Any]:
    """The chat.completions JSON body for ``request``.

    ``defaults`` (the model's constructor extras) come first, the request's own
    fields override them, and ``request.extra`` overrides both.
    """
    body: dict[str, Any] = {**defaults, "model": model}
    body["messages"] = _wire_messages(request.messages)
    if request.tools:
        body["tools"] = [_wire_tool(tool) for tool in request.tools]
    if request.tool_choice is not None:
        body["tool_choice"] = _wire_tool_choice(request.tool_choice)
    if request.output_schema is not None:
        body["response_format"] = {
            "type": "json_schema",
            "json_schema": {
                "name": request.output_schema_name or "output",
                "schema": request.output_schema,
            },
        }
    if request.temperature is not None:
        body["temperature"] = request.temperature
    if request.max_tokens is not None:
        body[max_tokens_field] = request.max_tokens
    if request.stop:
        body["stop"] = list(request.stop)
    body.update(request.extra)
    body["stream"] = stream
    if stream:
        body["stream_options"] = {"include_usage": True}
    return body


def _usage(usage: Mapping[str, Any] | None) -> Usage:
    if not usage:
        return Usage()
    details = usage.get("prompt_tokens_details") or {}
    return Usage(
        input_tokens=usage.get("prompt_tokens") or 0,
        output_tokens=usage.get("completion_tokens") or 0,
        cached_tokens=details.get("cached_tokens") or 0,
    )


def _message_parts(message: Mapping[str, Any]) -> list[Part]:
    parts: list[Part] = []
    content = message.get("content")
    if isinstance(content, str) and content:
        parts.append(TextPart(text=content))
    elif isinstance(content, list):
        parts.extend(
            TextPart(text=item["text"])
            for item in content
            if isinstance(item, Mapping) and item.get("type") == "text"
        )
    refusal = message.get("refusal")
    if isinstance(refusal, str) and refusal:
        parts.append(TextPart(text=refusal))
    for call in message.get("tool_calls") or []:
        function = call.get("function") or {}
        parts.append(
            ToolCallPart.from_raw(
                call.get("id") or "", function.get("name") or "", function.get("arguments") or ""
            )
        )
    return parts


def parse_openai_body(
    body: Mapping[str, Any], *, provider: str, model: str, headers: Mapping[str, str]
) -> ModelResponse:
    """Parse a chat.completion JSON body (first choice)."""
    choice = body["choices"][0]
    message = choice.get("message") or {}
    finish: FinishReason = _FINISH.get(choice.get("finish_reason") or "", "other")
    if message.get("refusal") and not message.get("content"):
        finish = "content_filter"
    return ModelResponse(
        message=Message(role="assistant", parts=_message_parts(message)),
        finish_reason=finish,
        usage=_usage(body.get("usage")),
        model=body.get("model") or model,
        provider=provider,
        request_id=headers.get("x-request-id") or body.get("id"),
    )


def openai_chunk_events(chunk: Mapping[str, Any]) -> list[StreamEvent]:
    """The text and tool-call deltas in one chat.completion.chunk."""
    events: list[StreamEvent] = []
    for choice in chunk.get("choices") or []:
        if choice.get("index", 0) != 0:
            continue
        delta = choice.get("delta") or {}
        content = delta.get("content")
        if content:
            events.append(TextDelta(text=content))
        for call in delta.get("tool_calls") or []:
            function = call.get("function") or {}
            events.append(
                ToolCallDelta(
                    index=call.get("index", 0),
                    id=call.get("id"),
                    name=function.get("name"),
                    arguments_delta=function.get("arguments") or "",
                )
            )
    return events


def openai_stream_finished(chunks: list[dict[str, Any]]) -> bool:
    """Whether the chunks include the first choice's finish_reason."""
    return any(
        choice.get("finish_reason")
        for chunk in chunks
        for choice in chunk.get("choices") or []
        if choice.get("index", 0) == 0
    )


def openai_body_from_chunks(chunks: list[dict[str, Any]]) -> dict[str, Any]:
    """Fold streamed chunks into the chat.completion body they stand for."""
    text: list[str] = []
    calls: dict[int, dict[str, Any]] = {}
    finish_reason: str | None = None
    body: dict[str, Any] = {}
    for chunk in chunks:
        for key in ("id", "model"):
            if chunk.get(key):
                body[key] = chunk[key]
        if chunk.get("usage"):
            body["usage"] = chunk["usage"]
        for event in openai_chunk_events(chunk):
            if isinstance(event, TextDelta):
                text.append(event.text)
            elif isinstance(event, ToolCallDelta):
                slot = calls.setdefault(event.index, {"id": "", "name": "", "arguments": ""})
                slot["id"] = event.id or slot["id"]
                slot["name"] = event.name or slot["name"]
                slot["arguments"] += event.arguments_delta
        for choice in chunk.get("choices") or []:
            if choice.get("index", 0) == 0 and choice.get("finish_reason"):
                finish_reason = choice["finish_reason"]
    message: dict[str, Any] = {"role": "assistant", "content": "".join(text) or None}
    if calls:
        message["tool_calls"] = [
            {
                "id": slot["id"],
                "type": "function",
                "function": {"name": slot["name"], "arguments": slot["arguments"]},
            }
            for _, slot in sorted(calls.items())
        ]
    body["choices"] = [{"index": 0, "message": message, "finish_reason": finish_reason}]
    return body


def parse_openai_exchange(raw: RawExchange) -> ModelResponse:
    """Parse a stored OpenAI-shaped exchange, streamed or not."""
    body = exchange_body(raw, openai_body_from_chunks)
    return parse_openai_body(body, provider=raw.provider, model=raw.model, headers=raw.headers)
