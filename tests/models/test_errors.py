"""Error classification at the boundary, retry-after parsing, header allow-list.

Each case is a provider's HTTP reply faked at the transport (respx) and read by
`OpenAIModel.call`, so only the public boundary is exercised.
"""

from __future__ import annotations

import email.utils
import json
import time
from typing import Any

import httpx
import pytest
import respx

from agentkit.errors import AgentkitError
from agentkit.models import (
    AuthenticationFailed,
    BadRequest,
    ContextLengthExceeded,
    Message,
    ModelError,
    ModelNotFound,
    ModelRequest,
    OpenAIModel,
    ProviderOverloaded,
    ProviderServerError,
    RateLimited,
)

BASE_URL = "http://127.0.0.1:9/v1"
REQUEST = ModelRequest(messages=[Message.user("hi")])


async def failure(
    status: int, body: object = None, headers: dict[str, str] | None = None
) -> ModelError:
    """The error `OpenAIModel("gpt-4o").call` raises for this reply."""
    content: dict[str, Any] = {}
    if isinstance(body, str):
        content["text"] = body
    elif body is not None:
        content["json"] = body
    model = OpenAIModel("gpt-4o", base_url=BASE_URL, api_key="sk-test-errors")
    with respx.mock(base_url=BASE_URL) as router:
        router.post("/chat/completions").mock(
            return_value=httpx.Response(status, headers=headers, **content)
        )
        with pytest.raises(ModelError) as caught:
            await model.call(REQUEST)
    return caught.value


async def stream_failure(event: dict[str, Any]) -> ModelError:
    """The error a streamed call raises when the stream carries an error event."""
    model = OpenAIModel("gpt-4o", base_url=BASE_URL, api_key="sk-test-errors")
    sse = f"data: {json.dumps(event)}\n\n"
    with respx.mock(base_url=BASE_URL) as router:
        router.post("/chat/completions").mock(
            return_value=httpx.Response(
                200, headers={"content-type": "text/event-stream"}, text=sse
            )
        )
        with pytest.raises(ModelError) as caught:
            await model.call(REQUEST, on_event=lambda _: None)
    return caught.value


@pytest.mark.parametrize(
    ("status", "body", "expected", "retryable"),
    [
        (429, {"error": {"message": "slow down"}}, RateLimited, True),
        (529, {"type": "error", "error": {"type": "overloaded_error"}}, ProviderOverloaded, True),
        (500, {"error": {"message": "oops"}}, ProviderServerError, True),
        (502, "Bad Gateway", ProviderServerError, True),
        (503, None, ProviderServerError, True),
        (408, None, ProviderServerError, True),
        (409, None, ProviderServerError, True),
        (400, {"error": {"message": "bad"}}, BadRequest, False),
        (422, {"error": {"message": "bad"}}, BadRequest, False),
        (
            400,
            {"error": {"code": "context_length_exceeded", "message": "x"}},
            ContextLengthExceeded,
            False,
        ),
        (400, {"error": {"message": "prompt is too long: 1 > 0"}}, ContextLengthExceeded, False),
        (401, None, AuthenticationFailed, False),
        (403, None, AuthenticationFailed, False),
        (404, None, ModelNotFound, False),
    ],
)
async def test_status_classification(
    status: int, body: object, expected: type[ModelError], retryable: bool
) -> None:
    error = await failure(status, body)

    assert type(error) is expected
    assert error.retryable is retryable
    assert error.status_code == status
    assert error.body == ("" if body is None else body)  # an empty reply reads as ""
    assert isinstance(error, AgentkitError)


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        ({"error": {"type": "overloaded_error", "message": "Overloaded"}}, ProviderOverloaded),
        ({"error": {"type": "api_error", "message": "x"}}, ProviderServerError),
    ],
)
async def test_an_error_inside_a_200_stream_is_classified_by_its_type(
    event: dict[str, Any], expected: type[ModelError]
) -> None:
    error = await stream_failure(event)

    assert type(error) is expected
    assert error.retryable is True
    assert error.status_code == 200
    assert error.body == event
    assert str(error) == f"openai model 'gpt-4o' failed with HTTP 200: {event['error']['message']}"


async def test_message_names_provider_model_and_status() -> None:
    error = await failure(429, {"error": {"message": "slow"}})

    assert str(error) == "openai model 'gpt-4o' failed with HTTP 429: slow"
    assert error.to_record() == {
        "type": "RateLimited",
        "message": "openai model 'gpt-4o' failed with HTTP 429: slow",
        "status_code": 429,
        "retryable": True,
        "body": {"error": {"message": "slow"}},
    }


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "3"}, 3.0),
        ({"Retry-After": "1.5"}, 1.5),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
        ({"retry-after": "Wed, 21 Oct 2015 07:27:00 GMT"}, 0.0),  # a date in the past
        ({"retry-after": "later"}, None),
        ({}, None),
    ],
)
async def test_retry_after(headers: dict[str, str], expected: float | None) -> None:
    error = await failure(429, {"error": {"message": "slow"}}, headers)
    assert error.retry_after == expected


async def test_retry_after_as_a_date_counts_from_now() -> None:
    when = int(time.time()) + 3600
    header = email.utils.formatdate(when, usegmt=True)

    before = time.time()
    error = await failure(429, {"error": {"message": "slow"}}, {"retry-after": header})
    after = time.time()

    # retry_after == when - now, for a `now` read during the call.
    assert error.retry_after is not None
    assert before <= when - error.retry_after <= after


async def test_only_allow_listed_headers_are_kept() -> None:
    error = await failure(
        429,
        {"error": {"message": "slow"}},
        {
            "Authorization": "Bearer sk-secret",
            "x-api-key": "sk-ant-secret",
            "Set-Cookie": "session=1",
            "X-Request-ID": "req_1",
            "request-id": "req_2",
            "retry-after": "1",
            "retry-after-ms": "1000",
            "x-ratelimit-remaining-requests": "9",
            "anthropic-ratelimit-tokens-remaining": "99",
            "openai-organization": "acme",
        },
    )

    assert error.headers == {
        "x-request-id": "req_1",
        "request-id": "req_2",
        "retry-after": "1",
        "retry-after-ms": "1000",
        "x-ratelimit-remaining-requests": "9",
        "anthropic-ratelimit-tokens-remaining": "99",
    }
