"""`OpenAIModel` and `LiteLLMModel` against a real llama.cpp server.

A 270M base model says little of sense, so these tests check the mechanics,
each against what the server itself says: the request is accepted, the reply
parsed into a `ModelResponse` equal to the server's JSON, a stream assembled
into the same response as the unstreamed call, a forced tool call parsed into
the schema's arguments, a JSON schema enforced, a malformed past tool call
sent back as valid JSON, and a context overflow classified and failed over.
Temperature 0 and no prompt cache make every reply the same on every run.
"""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from agentkit.models import (
    Attempt,
    ContextLengthExceeded,
    FallbackModel,
    Message,
    ModelRequest,
    ModelResponse,
    StreamDone,
    StreamEvent,
    TextDelta,
    ToolCallDelta,
    ToolCallPart,
    complete,
)
from tests.integration.conftest import CLIENT_MODEL, PROVIDERS, ModelFactory, Provider
from tests.integration.harness import (
    MODEL_ALIAS,
    SMALL_CONTEXT,
    WEATHER_TOOL,
    prompt_tokens,
    weather_conversation,
)
from tests.integration.recorded_exchanges import RECORDINGS, long_request

# Generous: the first test of a session also waits for the servers to load.
pytestmark = [
    pytest.mark.integration,
    pytest.mark.timeout(300),
    pytest.mark.parametrize("provider", PROVIDERS),
]

FINISH = {"stop": "stop", "length": "length", "tool_calls": "tool_calls"}

FORECAST_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "weather": {"type": "string", "enum": ["rain", "snow", "sun"]},
        "degrees": {"type": "integer", "minimum": -50, "maximum": 50},
    },
    "required": ["weather", "degrees"],
    "additionalProperties": False,
}


class Attempts:
    """Collects the attempts `complete` reports."""

    def __init__(self) -> None:
        self.seen: list[Attempt] = []

    async def __call__(self, attempt: Attempt) -> None:
        self.seen.append(attempt)


def _plain_request() -> ModelRequest:
    return ModelRequest(
        messages=[Message.system("Be brief."), Message.user("Name three colours.")],
        temperature=0,
        max_tokens=8,
    )


def _tool_request() -> ModelRequest:
    return ModelRequest(
        messages=weather_conversation(),
        tools=[WEATHER_TOOL],
        tool_choice="required",
        temperature=0,
        max_tokens=48,
    )


def _choice(attempt: Attempt) -> dict[str, Any]:
    assert attempt.exchange is not None and attempt.exchange.response_body is not None
    choice: dict[str, Any] = attempt.exchange.response_body["choices"][0]
    return choice


async def _stream(model: Any, request: ModelRequest) -> tuple[list[StreamEvent], ModelResponse]:
    events = [event async for event in model.stream(request)]
    done = events[-1]
    assert isinstance(done, StreamDone)
    assert not any(isinstance(event, StreamDone) for event in events[:-1])
    return events[:-1], done.response


async def test_plain_call_is_parsed_as_the_server_sent_it(
    provider: Provider, llama_url: str, make_model: ModelFactory
) -> None:
    model = make_model(provider, llama_url, stop=None)
    attempts = Attempts()
    attempt = await complete(model, _plain_request(), on_attempt=attempts)

    assert attempts.seen == [attempt]
    assert attempt.exchange is not None and attempt.exchange.status_code == 200
    raw = attempt.exchange.response_body
    assert raw is not None
    response = attempt.response
    assert response is not None
    assert response.provider == provider
    assert response.model == MODEL_ALIAS  # the model that answered, not the one asked for
    assert response.text == (raw["choices"][0]["message"]["content"] or "")
    assert response.tool_calls == []
    assert response.finish_reason == FINISH[raw["choices"][0]["finish_reason"]]
    sent = attempt.exchange.request_body
    assert response.usage.input_tokens == prompt_tokens(llama_url, sent)
    assert response.usage.output_tokens == raw["usage"]["completion_tokens"]
    assert 1 <= response.usage.output_tokens <= 8
    # A self-hosted model has no price, whatever name the client used.
    assert attempt.cost_usd is None


async def test_streamed_call_assembles_the_unstreamed_reply(
    provider: Provider, llama_url: str, make_model: ModelFactory
) -> None:
    model = make_model(provider, llama_url, stop=None)
    unstreamed = await model.request(_plain_request())
    events: list[StreamEvent] = []
    attempt = await complete(model, _plain_request(), on_attempt=Attempts(), on_event=events.append)
    streamed = attempt.response
    assert streamed is not None

    deltas = events[:-1]
    assert events[-1] == StreamDone(response=streamed)
    assert all(isinstance(event, TextDelta) for event in deltas)
    assert len(deltas) >= 2  # token by token, not one lump
    assert "".join(event.text for event in deltas if isinstance(event, TextDelta)) == streamed.text
    assert streamed.text == unstreamed.text
    assert streamed.finish_reason == unstreamed.finish_reason
    assert streamed.usage == unstreamed.usage  # from the stream's last chunk (include_usage)
    # LiteLLM rewrites each chunk's model to the name it was asked for, so a
    # streamed reply through it names gpt-4o-mini: it must still not be priced.
    assert streamed.model == (MODEL_ALIAS if provider == "openai" else CLIENT_MODEL)
    assert attempt.cost_usd is None


async def test_forced_tool_call_is_parsed_into_the_tools_arguments(
    provider: Provider, llama_url: str, make_model: ModelFactory
) -> None:
    model = make_model(provider, llama_url)
    attempt = await complete(model, _tool_request(), on_attempt=Attempts())
    response = attempt.response
    assert response is not None

    raw_calls = _choice(attempt)["message"]["tool_calls"]
    assert response.finish_reason == "tool_calls"
    assert len(raw_calls) == len(response.tool_calls) == 1
    call = response.tool_calls[0]
    assert call.id == raw_calls[0]["id"] != ""
    assert call.name == "get_weather"
    assert call.raw_arguments == raw_calls[0]["function"]["arguments"]
    assert call.parse_error is None
    # The grammar llama.cpp built from the tool's schema guarantees this shape.
    assert list(call.arguments) == ["city"]
    assert isinstance(call.arguments["city"], str)


async def test_streamed_tool_call_assembles_the_unstreamed_call(
    provider: Provider, llama_url: str, make_model: ModelFactory
) -> None:
    model = make_model(provider, llama_url)
    unstreamed = await model.request(_tool_request())
    deltas, streamed = await _stream(model, _tool_request())

    call_deltas = [event for event in deltas if isinstance(event, ToolCallDelta)]
    assert len(call_deltas) >= 2  # the arguments arrive in pieces
    assert {event.index for event in call_deltas} == {0}
    assert call_deltas[0].name == "get_weather" and call_deltas[0].id
    assert "".join(event.arguments_delta for event in call_deltas) == (
        streamed.tool_calls[0].raw_arguments
    )
    assert streamed.finish_reason == unstreamed.finish_reason == "tool_calls"
    assert [(c.name, c.arguments) for c in streamed.tool_calls] == [
        (c.name, c.arguments) for c in unstreamed.tool_calls
    ]
    assert streamed.usage == unstreamed.usage


async def test_output_schema_is_enforced(
    provider: Provider, llama_url: str, make_model: ModelFactory
) -> None:
    # No stop sequence: a newline inside the JSON must not end the reply.
    model = make_model(provider, llama_url, stop=None)
    request = ModelRequest(
        messages=[Message.user("What is the weather in Paris? Answer in JSON.")],
        output_schema=FORECAST_SCHEMA,
        output_schema_name="forecast",
        temperature=0,
        max_tokens=64,
    )
    attempt = await complete(model, request, on_attempt=Attempts())
    response = attempt.response
    assert response is not None

    assert attempt.exchange is not None
    assert attempt.exchange.request_body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "forecast", "schema": FORECAST_SCHEMA},
    }
    assert response.finish_reason == "stop"
    jsonschema.validate(json.loads(response.text), FORECAST_SCHEMA)


async def test_malformed_tool_call_in_the_history_is_sent_back_as_valid_json(
    provider: Provider, llama_url: str, make_model: ModelFactory
) -> None:
    """llama.cpp parses every past call's arguments: one malformed string (a model's
    reply cut off mid-call) made each later request an HTTP 500
    (recorded/bad_tool_arguments.json)."""
    malformed = ToolCallPart.from_raw("call_cut", "get_weather", '{"city": "Par')
    assert malformed.parse_error is not None
    request = ModelRequest(
        messages=[
            *weather_conversation(),
            Message(role="assistant", parts=[malformed]),
            Message.tool_result(
                "call_cut", "get_weather", "Error: the arguments are not JSON.", is_error=True
            ),
        ],
        tools=[WEATHER_TOOL],
        tool_choice="none",  # a text reply: only the history is under test
        temperature=0,
        max_tokens=8,
    )
    model = make_model(provider, llama_url)
    attempts = Attempts()
    attempt = await complete(model, request, on_attempt=attempts)

    assert [a.error for a in attempts.seen] == [None]  # accepted at once, no 500 retried
    assert attempt.exchange is not None
    sent_calls = [
        call
        for message in attempt.exchange.request_body["messages"]
        for call in message.get("tool_calls") or []
    ]
    assert [call["id"] for call in sent_calls] == ["call_example_0", "call_example_1", "call_cut"]
    for call in sent_calls:
        assert isinstance(json.loads(call["function"]["arguments"]), dict)


async def test_context_overflow_is_not_retried(
    provider: Provider, small_llama_url: str, make_model: ModelFactory
) -> None:
    model = make_model(provider, small_llama_url)
    attempts = Attempts()
    with pytest.raises(ContextLengthExceeded) as raised:
        await complete(model, long_request(), on_attempt=attempts)

    assert len(attempts.seen) == 1  # a caller error: not retried
    error = raised.value
    assert error.status_code == 400
    assert error.retryable is False
    assert "exceeds the available context size (256 tokens)" in error.message
    if provider == "openai":  # LiteLLM keeps only the message, not the envelope
        recorded = next(r for r in RECORDINGS if r.name == "context_overflow").load()
        assert error.body == recorded["response"]["body"]


async def test_context_overflow_fails_over_to_the_larger_window(
    provider: Provider, llama_url: str, small_llama_url: str, make_model: ModelFactory
) -> None:
    chain = FallbackModel(
        make_model(provider, small_llama_url), make_model(provider, llama_url, stop=None)
    )
    attempts = Attempts()
    attempt = await complete(chain, long_request(), on_attempt=attempts)

    first, second = attempts.seen
    assert first.model_index == 0
    assert first.error is not None
    assert first.error["type"] == "ContextLengthExceeded"
    assert first.error["status_code"] == 400
    assert second is attempt
    assert second.model_index == 1 and second.error is None
    assert second.response is not None and second.response.model == MODEL_ALIAS
    assert second.response.usage.input_tokens > SMALL_CONTEXT
