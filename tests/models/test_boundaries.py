"""Import cost and secrets: what agentkit.models must never do."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import respx

from agentkit.models import (
    Attempt,
    FallbackModel,
    Message,
    ModelRequest,
    OpenAIModel,
    RetryPolicy,
    complete,
)
from tests.killing import run_process

from .cassettes import load_cassette, load_synthetic
from .conftest import ANTHROPIC_KEY, OPENAI_KEY, FakeSleep

REPO = Path(__file__).resolve().parents[2]


def test_import_leaves_the_sdks_unloaded() -> None:
    code = (
        "import sys\n"
        "import agentkit.models\n"
        "sdks = ('openai', 'anthropic', 'litellm', 'tiktoken', 'genai_prices', 'mcp')\n"
        "loaded = [m for m in sdks if m in sys.modules]\n"
        "print(','.join(loaded) or 'none')\n"
    )
    result = run_process([sys.executable, "-c", code], cwd=REPO, check=True)

    assert result.stdout.strip() == "none"


async def test_api_keys_never_reach_attempts_or_exchanges(
    openai_router: respx.MockRouter, fake_sleep: FakeSleep
) -> None:
    recorded = load_cassette("pydantic-ai/openai__test_openai_tool_output.yaml")[0]
    failure = load_synthetic("openai__rate_limit_429.synthetic.json")
    openai_router.post("/chat/completions").mock(
        side_effect=[
            httpx.Response(failure["status"], json=failure["body"], headers=failure["headers"]),
            httpx.Response(200, json=recorded.json(), headers={"x-request-id": "req_1"}),
        ]
    )
    policy = RetryPolicy(jitter=0)
    primary = OpenAIModel("gpt-4o", api_key=OPENAI_KEY, retry=policy)
    attempts: list[Attempt] = []

    async def keep(attempt: Attempt) -> None:
        attempts.append(attempt)

    await complete(
        FallbackModel(primary),
        ModelRequest(messages=[Message.user("hi")]),
        on_attempt=keep,
        sleep=fake_sleep,
        clock=fake_sleep.clock,
    )

    assert [attempt.error is None for attempt in attempts] == [False, True]
    sent = openai_router.calls[0].request.headers["authorization"]
    assert sent == f"Bearer {OPENAI_KEY}"  # the key did go to the provider...
    for attempt in attempts:
        stored = attempt.model_dump_json()
        assert OPENAI_KEY not in stored  # ...and never into what is stored
        assert "authorization" not in stored.lower()
        assert "set-cookie" not in stored
        assert attempt.exchange is not None
        assert OPENAI_KEY not in attempt.exchange.model_dump_json()
    assert OPENAI_KEY not in repr(primary)


async def test_anthropic_key_is_not_stored(
    anthropic_router: respx.MockRouter, make_anthropic: Callable[..., Any]
) -> None:
    recorded = load_cassette("pydantic-ai/anthropic__test_multiple_parallel_tool_calls.yaml")[0]
    anthropic_router.post("/v1/messages").mock(
        return_value=httpx.Response(200, json=recorded.json(), headers={"request-id": "req_9"})
    )
    model = make_anthropic()
    attempts: list[Attempt] = []

    async def keep(attempt: Attempt) -> None:
        attempts.append(attempt)

    await complete(model, ModelRequest(messages=[Message.user("hi")]), on_attempt=keep)

    sent_headers = anthropic_router.calls[0].request.headers.values()
    assert any(ANTHROPIC_KEY in value for value in sent_headers)  # the SDK authenticated
    stored = attempts[0].model_dump_json()
    assert ANTHROPIC_KEY not in stored
    assert "x-api-key" not in stored
    assert "authorization" not in stored.lower()
    assert attempts[0].exchange is not None
    assert attempts[0].exchange.headers == {"request-id": "req_9"}
    assert attempts[0].provider == "anthropic"
