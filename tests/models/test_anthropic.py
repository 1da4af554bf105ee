"""AnthropicModel against recorded Messages API exchanges."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
import respx

from agentkit.models import (
    BadRequest,
    ContextLengthExceeded,
    Message,
    ModelRequest,
    ProviderOverloaded,
    RateLimited,
    StreamEvent,
    TextDelta,
    TextPart,
    ThinkingPart,
    ToolCallDelta,
    ToolCallPart,
    ToolResultPart,
    ToolSpec,
    Usage,
    parse_raw,
)

from .cassettes import load_cassette, load_synthetic
from .conftest import sent_json

PARALLEL = "pydantic-ai/anthropic__test_multiple_parallel_tool_calls.yaml"
THINKING = "pydantic-ai/anthropic__test_anthropic_tool_with_thinking.yaml"
STREAMING = "openllmetry/test_anthropic_tools_streaming_legacy.yaml"
UNSUPPORTED = (
    "pydantic-ai/anthropic__test_anthropic_explicit_effort_xhigh_unsupported_model_errors.yaml"
)

MakeModel = Callable[..., Any]

# The recordings name models the SDK now flags as deprecated.
pytestmark = pytest.mark.filterwarnings("ignore:The model .* is deprecated:DeprecationWarning")

SYSTEM = (
    "\n    Use the `retrieve_entity_info` tool to get information about a specific person.\n"
    "    If you need to use `retrieve_entity_info` to get information about multiple people, "
    "try\n    to call them in parallel as much as possible.\n"
    "    Think step by step and then provide a single most probable concise answer.\n    "
)
ENTITY_TOOL = ToolSpec(
    name="retrieve_entity_info",
    description="Get the knowledge about the given entity.",
    parameters={
        "additionalProperties": False,
        "properties": {"name": {"type": "string"}},
        "required": ["name"],
        "type": "object",
    },
)
QUESTION = "Alice, Bob, Charlie and Daisy are a family. Who is the youngest?"


def _route(router: respx.MockRouter, response: httpx.Response) -> respx.Route:
    return router.post("/v1/messages").mock(return_value=response)


def _synthetic(name: str) -> httpx.Response:
    payload = load_synthetic(name)
    return httpx.Response(payload["status"], json=payload["body"], headers=payload["headers"])


def _first_request() -> ModelRequest:
    return ModelRequest(
        messages=[Message.system(SYSTEM), Message.user(QUESTION)],
        tools=[ENTITY_TOOL],
        tool_choice="auto",
    )


async def test_parallel_tool_use_request_and_reply(
    anthropic_router: respx.MockRouter, make_anthropic: MakeModel
) -> None:
    recorded = load_cassette(PARALLEL)
    route = _route(anthropic_router, httpx.Response(200, json=recorded[0].json()))
    model = make_anthropic("claude-haiku-4-5")

    exchange = await model.call(_first_request())
    response = model.parse(exchange)

    assert sent_json(route) == recorded[0].request_body
    assert exchange.request_body == recorded[0].request_body
    assert [(call.id, call.arguments) for call in response.tool_calls] == [
        ("toolu_0167cfEnoQaPviGdVXA95zcu", {"name": "Alice"}),
        ("toolu_01EEe2V5HD1Ac4rKiUR4HD2T", {"name": "Bob"}),
        ("toolu_01XFyAjstT3966qvRynZyVPo", {"name": "Charlie"}),
        ("toolu_013mnQZbgtK2oe3Mo3XKJsx3", {"name": "Daisy"}),
    ]
    assert {call.name for call in response.tool_calls} == {"retrieve_entity_info"}
    assert response.tool_calls[0].raw_arguments == '{"name":"Alice"}'
    assert response.text.startswith("I'll help you find out who is the youngest")
    assert response.finish_reason == "tool_calls"
    assert response.usage == Usage(input_tokens=423, output_tokens=202, cached_tokens=0)
    assert response.model == "claude-haiku-4-5-20251001"
    assert response.request_id == "msg_011S3wxtqL5CVescWqS3zeg2"


async def test_parallel_tool_results_go_back_in_one_user_turn(
    anthropic_router: respx.MockRouter, make_anthropic: MakeModel
) -> None:
    recorded = load_cassette(PARALLEL)
    first = parse_raw_body(recorded[0].json())
    answers = [
        "alice is bob's wife",
        "bob is alice's husband",
        "charlie is alice's son",
        "daisy is bob's daughter and charlie's younger sister",
    ]
    results = [
        Message.tool_result(call.id, call.name, answer)
        for call, answer in zip(first.tool_calls, answers, strict=True)
    ]
    route = _route(anthropic_router, httpx.Response(200, json=recorded[1].json()))
    request = ModelRequest(
        messages=[Message.system(SYSTEM), Message.user(QUESTION), first.message, *results],
        tools=[ENTITY_TOOL],
        tool_choice="auto",
    )

    response = await make_anthropic("claude-haiku-4-5").request(request)

    assert sent_json(route) == recorded[1].request_body
    assert response.finish_reason == "stop"
    assert "Daisy is the youngest" in response.text
    assert response.usage == Usage(input_tokens=771, output_tokens=77)


def parse_raw_body(body: dict[str, Any]) -> Any:
    from agentkit.models import RawExchange

    exchange = RawExchange(
        provider="anthropic", model="claude-haiku-4-5", request_body={}, response_body=body
    )
    return parse_raw(exchange)


async def test_thinking_and_tool_use_round_trip(
    anthropic_router: respx.MockRouter, make_anthropic: MakeModel
) -> None:
    recorded = load_cassette(THINKING)
    route = _route(anthropic_router, httpx.Response(200, json=recorded[0].json()))
    model = make_anthropic("claude-sonnet-4-0", thinking={"budget_tokens": 3000, "type": "enabled"})
    country = ToolSpec(
        name="get_user_country",
        description="",
        parameters={"additionalProperties": False, "properties": {}, "type": "object"},
    )
    question = Message.user("What is the largest city in the user country?")

    first = await model.request(
        ModelRequest(messages=[question], tools=[country], tool_choice="auto")
    )

    assert sent_json(route) == recorded[0].request_body
    thinking, text, call = first.message.parts
    assert isinstance(thinking, ThinkingPart)
    assert thinking.signature is not None and thinking.signature.startswith("EqEECkYICxgC")
    assert thinking.text.startswith('The user is asking about the largest city in "the user')
    assert isinstance(text, TextPart)
    assert call == ToolCallPart(
        id="toolu_01YGzqpRE16Vricda3Aqcejo",
        name="get_user_country",
        arguments={},
        raw_arguments="{}",
    )
    assert first.text == (
        "I'll help you find the largest city in your country. "
        "First, let me determine which country you're from."
    )
    assert first.usage == Usage(input_tokens=398, output_tokens=155)

    route = _route(anthropic_router, httpx.Response(200, json=recorded[1].json()))
    history = [question, first.message, Message.tool_result(call.id, call.name, "Mexico")]
    second = await model.request(
        ModelRequest(messages=history, tools=[country], tool_choice="auto")
    )

    assert sent_json(route) == recorded[1].request_body
    assert second.finish_reason == "stop"
    assert second.text.startswith("Based on the information that you're from Mexico")


async def test_canonical_request_body_is_exact(
    anthropic_router: respx.MockRouter, make_anthropic: MakeModel
) -> None:
    recorded = load_cassette(PARALLEL)
    route = _route(anthropic_router, httpx.Response(200, json=recorded[1].json()))
    model = make_anthropic("claude-haiku-4-5", max_tokens=1000)
    call = ToolCallPart.from_arguments("toolu_1", "locate", {"q": "x"})
    request = ModelRequest(
        messages=[
            Message.system("Be brief."),
            Message.user("Where?"),
            Message(role="assistant", parts=[call]),
            Message(
                role="tool",
                parts=[
                    ToolResultPart(
                        tool_call_id="toolu_1", name="locate", content="no", is_error=True
                    )
                ],
            ),
            Message.user("Try again."),
        ],
        tools=[ToolSpec(name="locate", description="Find it", parameters={"type": "object"})],
        tool_choice="required",
        temperature=0.2,
        stop=["END"],
        output_schema={"type": "object"},
    )

    await model.call(request)

    assert sent_json(route) == {
        "model": "claude-haiku-4-5",
        "max_tokens": 1000,
        "system": "Be brief.",
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "Where?"}]},
            {
                "role": "assistant",
                "content": [
                    {"type": "tool_use", "id": "toolu_1", "name": "locate", "input": {"q": "x"}}
                ],
            },
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": "toolu_1",
                        "content": "no",
                        "is_error": True,
                    },
                    {"type": "text", "text": "Try again."},
                ],
            },
        ],
        "tools": [{"name": "locate", "description": "Find it", "input_schema": {"type": "object"}}],
        "tool_choice": {"type": "any"},
        "output_config": {"format": {"type": "json_schema", "schema": {"type": "object"}}},
        "temperature": 0.2,
        "stop_sequences": ["END"],
        "stream": False,
    }


async def test_streamed_text_and_tool_use_with_input_json_delta(
    anthropic_router: respx.MockRouter, make_anthropic: MakeModel
) -> None:
    recorded = load_cassette(STREAMING)[0]
    served = {
        name: value
        for name, value in recorded.headers.items()
        if name.startswith(("anthropic-ratelimit-", "request-id", "content-type"))
    }
    route = _route(anthropic_router, httpx.Response(200, content=recorded.body, headers=served))
    model = make_anthropic("claude-3-5-sonnet-20240620", max_tokens=1024)
    events: list[StreamEvent] = []

    exchange = await model.call(
        ModelRequest(
            messages=[Message.user("What is the weather and current time in San Francisco?")]
        ),
        on_event=events.append,
    )

    assert sent_json(route)["stream"] is True
    assert exchange.stream_events == [
        event for event in recorded.sse_data() if event["type"] != "ping"
    ]
    text = "".join(event.text for event in events if isinstance(event, TextDelta))
    assert text == (
        "Certainly! I can help you with that information. To get the weather and current time "
        "in San Francisco, I'll need to use two separate functions. Let me fetch that data for you."
    )
    tool_events = [event for event in events if isinstance(event, ToolCallDelta)]
    assert tool_events[0] == ToolCallDelta(
        index=0, id="toolu_014x5X91kx3fvdhpLvwXZWE2", name="get_weather"
    )
    assert [event.index for event in tool_events if event.id] == [0, 1]
    response = parse_raw(exchange)
    assert [(call.id, call.name, call.arguments) for call in response.tool_calls] == [
        (
            "toolu_014x5X91kx3fvdhpLvwXZWE2",
            "get_weather",
            {"location": "San Francisco, CA", "unit": "celsius"},
        ),
        ("toolu_0121kXsENLvoDZ72LCuAnCCz", "get_time", {"timezone": "America/Los_Angeles"}),
    ]
    assert response.tool_calls[0].raw_arguments == (
        '{"location": "San Francisco, CA", "unit": "celsius"}'
    )
    assert response.finish_reason == "tool_calls"
    assert response.usage == Usage(input_tokens=506, output_tokens=153)
    assert response.request_id == "req_011CRb7b5b9MWofEnfaAHTBu"
    assert exchange.headers["anthropic-ratelimit-requests-remaining"] == "3999"


async def test_real_400_is_bad_request(
    anthropic_router: respx.MockRouter, make_anthropic: MakeModel
) -> None:
    recorded = load_cassette(UNSUPPORTED)[0]
    _route(anthropic_router, httpx.Response(400, json=recorded.json()))
    model = make_anthropic("claude-opus-4-6", output_config={"effort": "xhigh"})

    with pytest.raises(BadRequest) as caught:
        await model.call(ModelRequest(messages=[Message.user("What is 2+2?")]))

    error = caught.value
    assert type(error) is BadRequest
    assert error.status_code == 400
    assert error.body == recorded.json()
    assert "does not support effort level 'xhigh'" in error.message
    assert error.exchange is not None
    assert error.exchange.request_body == recorded.request_body


async def test_synthetic_529_is_overloaded(
    anthropic_router: respx.MockRouter, make_anthropic: MakeModel
) -> None:
    _route(anthropic_router, _synthetic("anthropic__overloaded_529.synthetic.json"))

    with pytest.raises(ProviderOverloaded) as caught:
        await make_anthropic().call(ModelRequest(messages=[Message.user("x")]))

    assert caught.value.retryable is True
    assert caught.value.status_code == 529
    assert caught.value.headers == {"request-id": "req_synthetic_anthropic_529"}


async def test_synthetic_429_retry_after_and_no_secret_headers(
    anthropic_router: respx.MockRouter, make_anthropic: MakeModel
) -> None:
    _route(anthropic_router, _synthetic("anthropic__rate_limit_429.synthetic.json"))

    with pytest.raises(RateLimited) as caught:
        await make_anthropic().call(ModelRequest(messages=[Message.user("x")]))

    assert caught.value.retry_after == 17.0
    assert "x-api-key" not in caught.value.headers
    assert caught.value.headers["anthropic-ratelimit-requests-remaining"] == "0"


async def test_prompt_too_long_is_context_length(
    anthropic_router: respx.MockRouter, make_anthropic: MakeModel
) -> None:
    _route(anthropic_router, _synthetic("anthropic__context_length_400.synthetic.json"))

    with pytest.raises(ContextLengthExceeded) as caught:
        await make_anthropic().call(ModelRequest(messages=[Message.user("x")]))

    assert caught.value.retryable is False


async def test_error_event_mid_stream_is_overloaded(
    anthropic_router: respx.MockRouter, make_anthropic: MakeModel
) -> None:
    payload = load_synthetic("anthropic__stream_overloaded_event.synthetic.json")
    _route(
        anthropic_router,
        httpx.Response(200, content=payload["sse"].encode(), headers=payload["headers"]),
    )
    events: list[StreamEvent] = []

    with pytest.raises(ProviderOverloaded) as caught:
        await make_anthropic().call(
            ModelRequest(messages=[Message.user("x")]), on_event=events.append
        )

    assert events == [TextDelta(text="Hel")]
    assert caught.value.retryable is True
    assert caught.value.exchange is not None
    assert [event["type"] for event in caught.value.exchange.stream_events or []] == [
        "message_start",
        "content_block_start",
        "content_block_delta",
    ]
