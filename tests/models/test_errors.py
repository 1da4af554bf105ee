"""Error classification at the boundary, retry-after parsing, header allow-list."""

from __future__ import annotations

import pytest

from agentkit.errors import AgentkitError
from agentkit.models import (
    AuthenticationFailed,
    BadRequest,
    ContextLengthExceeded,
    ModelError,
    ModelNotFound,
    ProviderOverloaded,
    ProviderServerError,
    RateLimited,
)
from agentkit.models._errors import error_for_status, parse_retry_after, select_headers


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
        (
            200,
            {"error": {"type": "overloaded_error", "message": "Overloaded"}},
            ProviderOverloaded,
            True,
        ),
        (200, {"error": {"type": "api_error", "message": "x"}}, ProviderServerError, True),
    ],
)
def test_status_classification(
    status: int, body: object, expected: type[ModelError], retryable: bool
) -> None:
    error = error_for_status(status, provider="openai", model="gpt-4o", body=body, headers={})

    assert type(error) is expected
    assert error.retryable is retryable
    assert error.status_code == status
    assert error.body == body
    assert isinstance(error, AgentkitError)


def test_message_names_provider_model_and_status() -> None:
    error = error_for_status(
        429, provider="openai", model="gpt-4o", body={"error": {"message": "slow"}}, headers={}
    )

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
        ({"retry-after": "Wed, 21 Oct 2015 07:28:10 GMT"}, 10.0),
        ({"retry-after": "Wed, 21 Oct 2015 07:27:00 GMT"}, 0.0),
        ({"retry-after": "later"}, None),
        ({}, None),
    ],
)
def test_retry_after(headers: dict[str, str], expected: float | None) -> None:
    now = 1445412480.0  # Wed, 21 Oct 2015 07:28:00 GMT
    assert parse_retry_after(headers, now=lambda: now) == expected


def test_only_allow_listed_headers_are_kept() -> None:
    kept = select_headers(
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
        }
    )

    assert kept == {
        "x-request-id": "req_1",
        "request-id": "req_2",
        "retry-after": "1",
        "retry-after-ms": "1000",
        "x-ratelimit-remaining-requests": "9",
        "anthropic-ratelimit-tokens-remaining": "99",
    }
