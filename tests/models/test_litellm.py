"""LiteLLMModel through LiteLLM's OpenAI route, faked with respx."""

from __future__ import annotations

import httpx
import pytest
import respx

from agentkit.models import (
    ContextLengthExceeded,
    LiteLLMModel,
    Message,
    ModelRequest,
    RateLimited,
    StreamEvent,
    ToolCallDelta,
    ToolCallPart,
    Usage,
    parse_raw,
)

from .cassettes import load_cassette, load_synthetic
from .conftest import OPENAI_KEY, sent_json

pytest.importorskip("litellm")

# LiteLLM's own types trip pydantic warnings on first use; they are not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::DeprecationWarning")

REQUEST = ModelRequest(messages=[Message.user("hi")], max_tokens=50)


def _model(name: str = "openai/gpt-4o") -> LiteLLMModel:
    return LiteLLMModel(name, api_key=OPENAI_KEY)


def _synthetic(name: str) -> httpx.Response:
    payload = load_synthetic(name)
    return httpx.Response(payload["status"], json=payload["body"], headers=payload["headers"])


async def test_reply_is_parsed_as_openai(openai_router: respx.MockRouter) -> None:
    recorded = load_cassette("pydantic-ai/openai__test_openai_tool_output.yaml")[0]
    route = openai_router.post("/chat/completions").mock(
        return_value=httpx.Response(200, json=recorded.json(), headers={"x-request-id": "req_7"})
    )

    exchange = await _model().call(REQUEST)

    assert sent_json(route) == {
        "model": "gpt-4o",
        "messages": [{"role": "user", "content": "hi"}],
        "max_tokens": 50,
    }
    assert exchange.request_body == {
        "model": "openai/gpt-4o",
        "messages": [{"role": "user", "content": "hi"}],
        "max_tokens": 50,
        "stream": False,
    }
    response = parse_raw(exchange)
    assert response.provider == "litellm"
    assert response.tool_calls == [
        ToolCallPart(
            id="call_iXFttys57ap0o16JSlC8yhYo",
            name="get_user_country",
            arguments={},
            raw_arguments="{}",
        )
    ]
    assert response.usage == Usage(input_tokens=68, output_tokens=12)
    assert response.request_id == "req_7"
    assert exchange.headers["x-request-id"] == "req_7"
    assert OPENAI_KEY not in exchange.model_dump_json()


async def test_streamed_reply(openai_router: respx.MockRouter) -> None:
    recorded = load_cassette("pydantic-ai/openai__test_run_stream_sync_streams_real_model.yaml")[0]
    openai_router.post("/chat/completions").mock(
        return_value=httpx.Response(
            200, content=recorded.body, headers={"content-type": "text/event-stream"}
        )
    )
    events: list[StreamEvent] = []

    exchange = await _model("openai/gpt-4o-mini").call(REQUEST, on_event=events.append)

    assert events[0] == ToolCallDelta(
        index=0, id="call_ZR5UUuTt3pf61kjwAJIYdVMj", name="get_capital"
    )
    response = parse_raw(exchange)
    assert response.tool_calls[0].arguments == {"country": "UK"}
    assert response.finish_reason == "tool_calls"
    assert response.usage == Usage(input_tokens=53, output_tokens=15)


async def test_429_maps_to_rate_limited_without_litellm_retries(
    openai_router: respx.MockRouter,
) -> None:
    route = openai_router.post("/chat/completions").mock(
        return_value=_synthetic("openai__rate_limit_429.synthetic.json")
    )

    with pytest.raises(RateLimited) as caught:
        await _model().call(REQUEST)

    assert route.call_count == 1
    assert caught.value.retryable is True
    assert caught.value.status_code == 429


async def test_context_window_error_maps_to_context_length(
    openai_router: respx.MockRouter,
) -> None:
    openai_router.post("/chat/completions").mock(
        return_value=_synthetic("openai__context_length_400.synthetic.json")
    )

    with pytest.raises(ContextLengthExceeded) as caught:
        await _model().call(REQUEST)

    assert caught.value.retryable is False
    assert caught.value.exchange is not None
    assert caught.value.exchange.status_code == 400
