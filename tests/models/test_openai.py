"""OpenAIModel against recorded chat.completions exchanges (respx at the transport)."""

from __future__ import annotations

import httpx
import pytest
import respx

from agentkit.models import (
    BadRequest,
    ContextLengthExceeded,
    Message,
    ModelRequest,
    OpenAIModel,
    ProviderServerError,
    RateLimited,
    StreamEvent,
    StreamInterrupted,
    TextDelta,
    ToolCallDelta,
    ToolCallPart,
    ToolSpec,
    Usage,
    parse_raw,
)

from .cassettes import load_cassette, load_synthetic
from .conftest import OPENAI_KEY, sent_json

TOOL_OUTPUT = "pydantic-ai/openai__test_openai_tool_output.yaml"
STREAM = "pydantic-ai/openai__test_run_stream_sync_streams_real_model.yaml"
PARALLEL_STREAM = "openllmetry/test_open_ai_function_calls_tools_streaming_parallel.yaml"

COUNTRY_TOOL = ToolSpec(
    name="get_user_country",
    description="",
    parameters={"additionalProperties": False, "properties": {}, "type": "object"},
)
FINAL_TOOL = ToolSpec(
    name="final_result",
    description="The final response which ends this conversation",
    parameters={
        "properties": {"city": {"type": "string"}, "country": {"type": "string"}},
        "required": ["city", "country"],
        "type": "object",
    },
)


def _model() -> OpenAIModel:
    return OpenAIModel("gpt-4o", api_key=OPENAI_KEY)


def _sse(body: bytes) -> httpx.Response:
    return httpx.Response(200, content=body, headers={"content-type": "text/event-stream"})


def _error_response(name: str) -> httpx.Response:
    payload = load_synthetic(name)
    return httpx.Response(payload["status"], json=payload["body"], headers=payload["headers"])


async def test_tool_call_reply_parses_exact_values(openai_router: respx.MockRouter) -> None:
    recorded = load_cassette(TOOL_OUTPUT)
    openai_router.post("/chat/completions").mock(
        return_value=httpx.Response(200, json=recorded[0].json())
    )
    request = ModelRequest(
        messages=[Message.user("What is the largest city in the user country?")],
        tools=[COUNTRY_TOOL, FINAL_TOOL],
        tool_choice="required",
    )

    model = _model()
    exchange = await model.call(request)
    response = model.parse(exchange)

    assert response.tool_calls == [
        ToolCallPart(
            id="call_iXFttys57ap0o16JSlC8yhYo",
            name="get_user_country",
            arguments={},
            raw_arguments="{}",
        )
    ]
    assert response.finish_reason == "tool_calls"
    assert response.usage == Usage(input_tokens=68, output_tokens=12, cached_tokens=0)
    assert response.model == "gpt-4o-2024-08-06"
    assert response.provider == "openai"
    assert response.request_id == "chatcmpl-BSXk0dWkG4hfPt0lph4oFO35iT73I"
    assert response.text == ""
    assert exchange.response_body == recorded[0].json()
    assert exchange.status_code == 200


async def test_history_request_body_matches_the_recorded_one(
    openai_router: respx.MockRouter,
) -> None:
    recorded = load_cassette(TOOL_OUTPUT)
    route = openai_router.post("/chat/completions").mock(
        return_value=httpx.Response(200, json=recorded[1].json())
    )
    first_call = ToolCallPart.from_raw("call_iXFttys57ap0o16JSlC8yhYo", "get_user_country", "{}")
    request = ModelRequest(
        messages=[
            Message.user("What is the largest city in the user country?"),
            Message(role="assistant", parts=[first_call]),
            Message.tool_result("call_iXFttys57ap0o16JSlC8yhYo", "get_user_country", "Mexico"),
        ],
        tools=[COUNTRY_TOOL, FINAL_TOOL],
        tool_choice="required",
        extra={"n": 1},
    )

    model = _model()
    exchange = await model.call(request)

    assert exchange.request_body == recorded[1].request_body
    assert sent_json(route) == recorded[1].request_body
    final = model.parse(exchange).tool_calls[0]
    assert final.id == "call_gmD2oUZUzSoCkmNmp3JPUF7R"
    assert final.arguments == {"city": "Mexico City", "country": "Mexico"}
    assert final.raw_arguments == '{"city": "Mexico City", "country": "Mexico"}'
    assert model.parse(exchange).usage == Usage(input_tokens=89, output_tokens=36)


async def test_canonical_request_body_is_exact(openai_router: respx.MockRouter) -> None:
    recorded = load_cassette(TOOL_OUTPUT)
    route = openai_router.post("/chat/completions").mock(
        return_value=httpx.Response(200, json=recorded[0].json())
    )
    model = OpenAIModel("gpt-4o", api_key=OPENAI_KEY, temperature=0.0, seed=7)
    request = ModelRequest(
        messages=[Message.system("Be brief."), Message.user("Where?")],
        tools=[ToolSpec(name="locate", description="Find it", parameters={"type": "object"})],
        tool_choice="locate",
        temperature=0.5,
        max_tokens=256,
        stop=["END"],
        output_schema={"type": "object"},
        output_schema_name="place",
    )

    await model.call(request)

    assert sent_json(route) == {
        "model": "gpt-4o",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Where?"},
        ],
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "locate",
                    "description": "Find it",
                    "parameters": {"type": "object"},
                },
            }
        ],
        "tool_choice": {"type": "function", "function": {"name": "locate"}},
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "place", "schema": {"type": "object"}},
        },
        "temperature": 0.5,
        "seed": 7,
        "max_completion_tokens": 256,
        "stop": ["END"],
        "stream": False,
    }


async def test_streamed_tool_call_forwards_deltas_and_keeps_raw_events(
    openai_router: respx.MockRouter,
) -> None:
    recorded = load_cassette(STREAM)
    route = openai_router.post("/chat/completions").mock(return_value=_sse(recorded[0].body))
    events: list[StreamEvent] = []
    request = ModelRequest(
        messages=[Message.user("What is the capital of the UK? Use the tool, then answer.")],
        tools=[
            ToolSpec(
                name="get_capital",
                description="",
                parameters={
                    "additionalProperties": False,
                    "properties": {"country": {"type": "string"}},
                    "required": ["country"],
                    "type": "object",
                },
                strict=True,
            )
        ],
        tool_choice="auto",
    )
    model = OpenAIModel("gpt-4o-mini", api_key=OPENAI_KEY)

    exchange = await model.call(request, on_event=events.append)

    assert sent_json(route) == recorded[0].request_body
    assert exchange.stream_events == recorded[0].sse_data()
    assert exchange.response_body is None
    assert events == [
        ToolCallDelta(index=0, id="call_ZR5UUuTt3pf61kjwAJIYdVMj", name="get_capital"),
        ToolCallDelta(index=0, arguments_delta='{"'),
        ToolCallDelta(index=0, arguments_delta="country"),
        ToolCallDelta(index=0, arguments_delta='":"'),
        ToolCallDelta(index=0, arguments_delta="UK"),
        ToolCallDelta(index=0, arguments_delta='"}'),
    ]
    response = parse_raw(exchange)
    assert response.tool_calls == [
        ToolCallPart(
            id="call_ZR5UUuTt3pf61kjwAJIYdVMj",
            name="get_capital",
            arguments={"country": "UK"},
            raw_arguments='{"country":"UK"}',
        )
    ]
    assert response.finish_reason == "tool_calls"
    assert response.usage == Usage(input_tokens=53, output_tokens=15)
    assert response.model == "gpt-4o-mini-2024-07-18"


async def test_streamed_text_after_tool_result(openai_router: respx.MockRouter) -> None:
    recorded = load_cassette(STREAM)
    openai_router.post("/chat/completions").mock(return_value=_sse(recorded[1].body))
    events: list[StreamEvent] = []
    model = OpenAIModel("gpt-4o-mini", api_key=OPENAI_KEY)

    exchange = await model.call(ModelRequest(messages=[Message.user("x")]), on_event=events.append)

    texts = [event.text for event in events if isinstance(event, TextDelta)]
    assert texts == ["The", " capital", " of", " the", " UK", " is", " London", "."]
    response = model.parse(exchange)
    assert response.text == "The capital of the UK is London."
    assert response.finish_reason == "stop"
    assert response.usage == Usage(input_tokens=78, output_tokens=9)


async def test_parallel_streamed_tool_calls(openai_router: respx.MockRouter) -> None:
    recorded = load_cassette(PARALLEL_STREAM)[0]
    served = {
        name: value
        for name, value in recorded.headers.items()
        if name.startswith(("x-", "content-type", "openai-"))
    }
    openai_router.post("/chat/completions").mock(
        return_value=httpx.Response(200, content=recorded.body, headers=served)
    )
    events: list[StreamEvent] = []
    model = OpenAIModel("gpt-3.5-turbo", api_key=OPENAI_KEY)

    exchange = await model.call(ModelRequest(messages=[Message.user("x")]), on_event=events.append)

    response = model.parse(exchange)
    assert [(call.id, call.name, call.arguments) for call in response.tool_calls] == [
        ("call_cCPjAyfwTzboEKjVlqFrArNF", "get_current_weather", {"location": "San Francisco"}),
        ("call_Zi4He1Ns0mozwT6f85nW1BOW", "get_current_weather", {"location": "Boston"}),
    ]
    assert response.finish_reason == "tool_calls"
    assert response.request_id == "req_1bb688edccb9a60132989c0ba4af8a7a"
    assert response.usage == Usage()  # this recording did not ask for usage
    starts = [event for event in events if isinstance(event, ToolCallDelta) and event.id]
    assert [event.index for event in starts] == [0, 1]
    assert exchange.headers["x-request-id"] == "req_1bb688edccb9a60132989c0ba4af8a7a"
    assert "openai-organization" not in exchange.headers
    assert all(name.startswith(("x-ratelimit-", "x-request-id")) for name in exchange.headers)


async def test_real_400_is_bad_request_with_body(openai_router: respx.MockRouter) -> None:
    recorded = load_cassette(
        "pydantic-ai/openai_responses__test_openai_responses_model_http_error.yaml"
    )
    openai_router.post("/chat/completions").mock(
        return_value=httpx.Response(400, json=recorded[0].json())
    )

    with pytest.raises(BadRequest) as caught:
        await _model().call(ModelRequest(messages=[Message.user("x")], temperature=-1))

    error = caught.value
    assert type(error) is BadRequest
    assert error.status_code == 400
    assert error.retryable is False
    assert error.body == recorded[0].json()
    assert "decimal below minimum value" in error.message
    assert error.exchange is not None
    assert error.exchange.response_body == recorded[0].json()
    assert error.exchange.request_body["temperature"] == -1


async def test_real_openrouter_429_is_rate_limited() -> None:
    recorded = load_cassette("pydantic-ai/openrouter__test_openrouter_errors_raised.yaml")
    assert [item.status for item in recorded] == [429, 429, 429]
    with respx.mock(base_url="https://openrouter.ai/api/v1") as router:
        router.post("/chat/completions").mock(
            return_value=httpx.Response(429, json=recorded[0].json())
        )
        model = OpenAIModel(
            "google/gemini-2.0-flash-exp:free",
            api_key=OPENAI_KEY,
            base_url="https://openrouter.ai/api/v1",
        )
        with pytest.raises(RateLimited) as caught:
            await model.call(ModelRequest(messages=[Message.user("Tell me a joke.")]))

    assert caught.value.retryable is True
    assert caught.value.retry_after is None  # the recording has no retry-after header
    assert caught.value.body == recorded[0].json()


async def test_synthetic_429_carries_retry_after_and_allowed_headers_only(
    openai_router: respx.MockRouter,
) -> None:
    openai_router.post("/chat/completions").mock(
        return_value=_error_response("openai__rate_limit_429.synthetic.json")
    )

    with pytest.raises(RateLimited) as caught:
        await _model().call(ModelRequest(messages=[Message.user("x")]))

    error = caught.value
    assert error.retry_after == 2.0
    assert error.headers == {
        "retry-after": "2",
        "x-request-id": "req_synthetic_openai_429",
        "x-ratelimit-limit-requests": "500",
        "x-ratelimit-remaining-requests": "0",
        "x-ratelimit-reset-requests": "2s",
        "x-ratelimit-limit-tokens": "30000",
        "x-ratelimit-remaining-tokens": "29000",
        "x-ratelimit-reset-tokens": "2s",
    }


@pytest.mark.parametrize(
    ("name", "error_class", "retryable"),
    [
        ("openai__server_error_500.synthetic.json", ProviderServerError, True),
        ("openai__context_length_400.synthetic.json", ContextLengthExceeded, False),
    ],
)
async def test_synthetic_errors_are_classified(
    openai_router: respx.MockRouter, name: str, error_class: type[Exception], retryable: bool
) -> None:
    openai_router.post("/chat/completions").mock(return_value=_error_response(name))

    with pytest.raises(error_class) as caught:
        await _model().call(ModelRequest(messages=[Message.user("x")]))

    assert type(caught.value) is error_class
    assert caught.value.retryable is retryable


async def test_stream_cut_before_finish_is_interrupted(openai_router: respx.MockRouter) -> None:
    recorded = load_cassette(STREAM)
    body = recorded[0].text()
    truncated = "\n\n".join(body.split("\n\n")[:3]) + "\n\n"  # three chunks, no finish_reason
    openai_router.post("/chat/completions").mock(return_value=_sse(truncated.encode()))

    with pytest.raises(StreamInterrupted) as caught:
        await _model().call(ModelRequest(messages=[Message.user("x")]), on_event=lambda _: None)

    assert caught.value.retryable is True
    assert caught.value.exchange is not None
    assert caught.value.exchange.stream_events == recorded[0].sse_data()[:3]


async def test_connection_error_is_retryable(openai_router: respx.MockRouter) -> None:
    openai_router.post("/chat/completions").mock(side_effect=httpx.ConnectError("refused"))

    with pytest.raises(Exception) as caught:
        await _model().call(ModelRequest(messages=[Message.user("x")]))

    assert type(caught.value).__name__ == "ModelConnectionError"
    assert caught.value.retryable is True


async def test_timeout_is_model_timeout(openai_router: respx.MockRouter) -> None:
    openai_router.post("/chat/completions").mock(side_effect=httpx.ReadTimeout("slow"))

    with pytest.raises(Exception) as caught:
        await _model().call(ModelRequest(messages=[Message.user("x")]))

    assert type(caught.value).__name__ == "ModelTimeout"


async def test_sdk_retries_are_off(openai_router: respx.MockRouter) -> None:
    route = openai_router.post("/chat/completions").mock(
        return_value=_error_response("openai__server_error_500.synthetic.json")
    )

    with pytest.raises(ProviderServerError):
        await _model().call(ModelRequest(messages=[Message.user("x")]))

    assert route.call_count == 1


class _BrokenStream(httpx.AsyncByteStream):
    """Sends the first events of a recording, then the connection drops."""

    def __init__(self, head: bytes) -> None:
        self._head = head

    async def __aiter__(self):  # type: ignore[no-untyped-def]
        yield self._head
        raise httpx.ReadError("connection reset by peer")


async def test_connection_drop_mid_stream_is_interrupted(openai_router: respx.MockRouter) -> None:
    recorded = load_cassette(STREAM)[0]
    head = ("\n\n".join(recorded.text().split("\n\n")[:2]) + "\n\n").encode()
    openai_router.post("/chat/completions").mock(
        return_value=httpx.Response(
            200, stream=_BrokenStream(head), headers={"content-type": "text/event-stream"}
        )
    )
    events: list[StreamEvent] = []

    with pytest.raises(StreamInterrupted) as caught:
        await _model().call(ModelRequest(messages=[Message.user("x")]), on_event=events.append)

    assert "connection reset by peer" in caught.value.message
    assert len(events) == 2
    assert caught.value.exchange is not None
    assert caught.value.exchange.stream_events == recorded.sse_data()[:2]


async def test_error_status_on_a_streamed_request(openai_router: respx.MockRouter) -> None:
    openai_router.post("/chat/completions").mock(
        return_value=_error_response("openai__rate_limit_429.synthetic.json")
    )

    with pytest.raises(RateLimited) as caught:
        await _model().call(ModelRequest(messages=[Message.user("x")]), on_event=lambda _: None)

    assert caught.value.retry_after == 2.0
    assert caught.value.body == load_synthetic("openai__rate_limit_429.synthetic.json")["body"]


def test_malformed_or_empty_arguments_are_sent_back_as_an_empty_object() -> None:
    """Servers parse the history: llama.cpp 500s on arguments that are not JSON."""
    history = Message(
        role="assistant",
        parts=[
            ToolCallPart.from_raw("c1", "get_user_country", '{"country": "Fra'),
            ToolCallPart.from_raw("c2", "get_user_country", ""),
            ToolCallPart.from_raw("c3", "get_user_country", '["not", "an", "object"]'),
            ToolCallPart.from_raw("c4", "get_user_country", '{"country": "France"}'),
        ],
    )
    request = ModelRequest(messages=[Message.user("hi"), history])

    body = _model().build_body(request, stream=False)

    sent = [call["function"]["arguments"] for call in body["messages"][1]["tool_calls"]]
    assert sent == ["{}", "{}", "{}", '{"country": "France"}']
