"""Canonical types, the public names, and the offline parser registry."""

from __future__ import annotations

import pytest

import agentkit.models
from agentkit.models import (
    Message,
    ModelResponse,
    PartAdapter,
    RawExchange,
    StreamDone,
    StreamEventAdapter,
    TextPart,
    ThinkingPart,
    ToolCallPart,
    ToolResultPart,
    Usage,
    parse_raw,
)


def test_public_names_are_pinned() -> None:
    assert agentkit.models.__all__ == [
        "AnthropicModel",
        "Attempt",
        "AuthenticationFailed",
        "BadRequest",
        "ContextLengthExceeded",
        "Embedder",
        "EmbeddingRequest",
        "Embeddings",
        "EventCallback",
        "FallbackModel",
        "FinishReason",
        "HashEmbedder",
        "Limiter",
        "LiteLLMEmbedder",
        "LiteLLMModel",
        "Message",
        "Model",
        "ModelConfigError",
        "ModelConnectionError",
        "ModelError",
        "ModelNotFound",
        "ModelRequest",
        "ModelResponse",
        "ModelTimeout",
        "OpenAIEmbedder",
        "OpenAIModel",
        "Part",
        "PartAdapter",
        "Permit",
        "Price",
        "ProviderOverloaded",
        "ProviderServerError",
        "RateLimit",
        "RateLimited",
        "RawExchange",
        "ResponseParseError",
        "RetryPolicy",
        "Role",
        "ScriptExhausted",
        "ScriptedModel",
        "SharedRateLimit",
        "StreamDone",
        "StreamEvent",
        "StreamEventAdapter",
        "StreamInterrupted",
        "TextDelta",
        "TextPart",
        "ThinkingPart",
        "ToolCallDelta",
        "ToolCallPart",
        "ToolResultPart",
        "ToolSpec",
        "Usage",
        "complete",
        "context_window_for",
        "cost_usd",
        "count_tokens",
        "estimate_request_tokens",
        "parse_raw",
        "register_parser",
    ]
    for name in agentkit.models.__all__:
        assert getattr(agentkit.models, name) is not None


def test_parts_round_trip_through_one_adapter() -> None:
    parts = [
        TextPart(text="hi"),
        ToolCallPart.from_raw("c1", "f", '{"a": 1}'),
        ToolResultPart(tool_call_id="c1", name="f", content="ok", is_error=True),
        ThinkingPart(text="hmm", signature="sig"),
    ]

    for part in parts:
        assert PartAdapter.validate_json(PartAdapter.dump_json(part)) == part
    assert PartAdapter.validate_python({"kind": "text", "text": "x"}) == TextPart(text="x")


def test_malformed_arguments_are_kept_with_the_error() -> None:
    broken = ToolCallPart.from_raw("c1", "f", '{"a": 1')
    listed = ToolCallPart.from_raw("c2", "f", "[1, 2]")
    empty = ToolCallPart.from_raw("c3", "f", "")

    assert broken.arguments == {}
    assert broken.raw_arguments == '{"a": 1'
    assert broken.parse_error is not None and "Expecting" in broken.parse_error
    assert listed.parse_error == "arguments are a JSON list, not an object"
    assert (empty.arguments, empty.parse_error) == ({}, None)


def test_message_constructors_and_text() -> None:
    assert Message.system("s").role == "system"
    assert Message.user("u").text == "u"
    assert Message.assistant("a").parts == [TextPart(text="a")]
    result = Message.tool_result("c1", "f", "done", is_error=True)
    assert result.role == "tool"
    assert result.parts == [
        ToolResultPart(tool_call_id="c1", name="f", content="done", is_error=True)
    ]
    mixed = Message(
        role="assistant",
        parts=[ThinkingPart(text="t"), TextPart(text="a"), TextPart(text="b")],
    )
    assert mixed.text == "ab"


def test_usage_adds_up() -> None:
    total = Usage(input_tokens=10, output_tokens=2, cached_tokens=4) + Usage(
        input_tokens=5, output_tokens=1
    )

    assert total == Usage(input_tokens=15, output_tokens=3, cached_tokens=4)
    assert total.total_tokens == 18


def test_stream_events_share_one_adapter() -> None:
    response = ModelResponse(
        message=Message.assistant("x"),
        finish_reason="stop",
        usage=Usage(),
        model="m",
        provider="scripted",
    )
    done = StreamDone(response=response)

    assert StreamEventAdapter.validate_json(StreamEventAdapter.dump_json(done)) == done


def test_parse_raw_needs_no_client_and_looks_parsers_up_at_call_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    body = {
        "id": "chatcmpl-1",
        "model": "gpt-4o",
        "choices": [{"index": 0, "message": {"content": "hi"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 1},
    }
    raw = RawExchange(provider="openai", model="gpt-4o", request_body={}, response_body=body)
    assert parse_raw(raw).text == "hi"
    assert parse_raw(raw.model_copy(update={"provider": "litellm"})).provider == "litellm"

    fixed = ModelResponse(
        message=Message.assistant("fixed parser"),
        finish_reason="stop",
        usage=Usage(),
        model="gpt-4o",
        provider="openai",
    )
    monkeypatch.setattr("agentkit.models._openai_wire.parse_openai_exchange", lambda _raw: fixed)
    assert parse_raw(raw) is fixed


def test_parse_raw_rejects_unknown_providers() -> None:
    raw = RawExchange(provider="carrier-pigeon", model="m", request_body={})

    with pytest.raises(ValueError, match="no parser for provider 'carrier-pigeon'"):
        parse_raw(raw)
