"""Who prices a call: the model's own `Price`, else the public list for the model that answered."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from agentkit.models import (
    AnthropicModel,
    Attempt,
    LiteLLMModel,
    Message,
    Model,
    ModelRequest,
    OpenAIModel,
    Price,
    Usage,
    complete,
)

from .cassettes import load_cassette
from .conftest import OPENAI_KEY

REPO = Path(__file__).resolve().parents[2]
REQUEST = ModelRequest(messages=[Message.user("hi")])
REPLY = "pydantic-ai/openai__test_openai_tool_output.yaml"  # 68 tokens in, 12 out
LLAMA_CPP = "http://127.0.0.1:8080/v1"
GPT_4O = (2.5, 10.0)  # USD per million tokens, in and out
GPT_4O_MINI = (0.15, 0.6)


def _reply(model: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = load_cassette(REPLY)[0].json()
    if model is not None:
        body["model"] = model  # what the server says it answered with
    return body


async def _attempt(model: Model) -> Attempt:
    attempts: list[Attempt] = []

    async def keep(attempt: Attempt) -> None:
        attempts.append(attempt)

    await complete(model, REQUEST, on_attempt=keep)
    [attempt] = attempts
    return attempt


def _cost(rates: tuple[float, float], usage: tuple[int, int] = (68, 12)) -> float:
    return (usage[0] * rates[0] + usage[1] * rates[1]) / 1_000_000


async def test_a_self_hosted_model_gets_no_price() -> None:
    """llama.cpp answering to "gpt-4o-mini" is not priced from OpenAI's list."""
    model = OpenAIModel("gpt-4o-mini", base_url=LLAMA_CPP)
    with respx.mock(base_url=LLAMA_CPP) as router:
        router.post("/chat/completions").mock(
            return_value=httpx.Response(200, json=_reply("gemma-3-270m-it-Q4_K_M.gguf"))
        )
        attempt = await _attempt(model)

    assert attempt.usage == Usage(input_tokens=68, output_tokens=12)
    assert attempt.cost_usd is None
    assert model.known_context_window() is None  # nor given OpenAI's window


async def test_a_self_hosted_model_gets_no_price_even_when_it_echoes_the_name() -> None:
    model = OpenAIModel("gpt-4o-mini", base_url=LLAMA_CPP)
    with respx.mock(base_url=LLAMA_CPP) as router:
        router.post("/chat/completions").mock(
            return_value=httpx.Response(200, json=_reply("gpt-4o-mini"))
        )
        attempt = await _attempt(model)

    assert attempt.cost_usd is None


async def test_an_explicit_price_prices_a_self_hosted_model() -> None:
    price = Price(input_per_mtok=0.05, output_per_mtok=0.25)
    model = OpenAIModel("gemma", base_url=LLAMA_CPP, price=price)
    with respx.mock(base_url=LLAMA_CPP) as router:
        router.post("/chat/completions").mock(
            return_value=httpx.Response(200, json=_reply("gemma-3-270m-it-Q4_K_M.gguf"))
        )
        attempt = await _attempt(model)

    assert attempt.cost_usd == pytest.approx(_cost((0.05, 0.25)), rel=1e-12)


def test_a_price_charges_cached_tokens_at_their_rate() -> None:
    price = Price(input_per_mtok=2.0, output_per_mtok=8.0, cached_input_per_mtok=0.5)
    usage = Usage(input_tokens=1000, output_tokens=100, cached_tokens=400)

    assert price.cost(usage) == pytest.approx((600 * 2.0 + 400 * 0.5 + 100 * 8.0) / 1e6)
    assert Price(input_per_mtok=2.0, output_per_mtok=8.0).cost(usage) == pytest.approx(
        (1000 * 2.0 + 100 * 8.0) / 1e6
    )


@pytest.mark.parametrize(
    ("answered_by", "expected"),
    [
        ("gpt-4o-2024-08-06", _cost(GPT_4O)),
        ("gpt-4o-mini-2024-07-18", _cost(GPT_4O_MINI)),
        ("acme-private-finetune", None),  # never priced as the model that was asked for
    ],
)
async def test_priced_by_the_model_the_provider_reports(
    openai_router: respx.MockRouter, answered_by: str, expected: float | None
) -> None:
    openai_router.post("/chat/completions").mock(
        return_value=httpx.Response(200, json=_reply(answered_by))
    )

    attempt = await _attempt(OpenAIModel("gpt-4o", api_key=OPENAI_KEY))

    assert attempt.cost_usd == (None if expected is None else pytest.approx(expected, rel=1e-9))


async def test_anthropic_on_another_endpoint_gets_no_price(
    anthropic_router: respx.MockRouter, make_anthropic: Callable[..., Any]
) -> None:
    import anthropic
    import httpx2

    from .conftest import ANTHROPIC_KEY, _httpx2_transport

    recorded = load_cassette("pydantic-ai/anthropic__test_multiple_parallel_tool_calls.yaml")[0]
    gateway = "https://llm-gateway.example.internal"
    anthropic_router.post(f"{gateway}/v1/messages").mock(
        return_value=httpx.Response(200, json=recorded.json())
    )
    client = anthropic.AsyncAnthropic(
        api_key=ANTHROPIC_KEY,
        base_url=gateway,
        http_client=httpx2.AsyncClient(transport=_httpx2_transport(anthropic_router)),
    )
    official = make_anthropic()

    attempt = await _attempt(AnthropicModel("claude-haiku-4-5", client=client))

    assert attempt.usage == Usage(input_tokens=423, output_tokens=202)
    assert attempt.cost_usd is None
    assert official.uses_public_prices is True


# LiteLLM's own types trip pydantic warnings on first use; they are not ours to fix.
@pytest.mark.filterwarnings("ignore::UserWarning", "ignore::DeprecationWarning")
async def test_litellm_with_a_base_url_gets_no_price() -> None:
    model = LiteLLMModel("openai/gpt-4o", api_key=OPENAI_KEY, base_url=LLAMA_CPP)
    with respx.mock(base_url=LLAMA_CPP) as router:
        router.post("/chat/completions").mock(return_value=httpx.Response(200, json=_reply()))
        attempt = await _attempt(model)

    assert attempt.usage == Usage(input_tokens=68, output_tokens=12)
    assert attempt.cost_usd is None
    assert LiteLLMModel("openai/gpt-4o", api_key=OPENAI_KEY).uses_public_prices is True


def test_public_windows_apply_to_the_official_endpoint_only() -> None:
    assert OpenAIModel("gpt-4o", api_key=OPENAI_KEY).known_context_window() == 128000
    assert OpenAIModel("gpt-4o", base_url=LLAMA_CPP).known_context_window() is None
    given = OpenAIModel("gpt-4o", base_url=LLAMA_CPP, context_window=8192)
    assert given.known_context_window() == 8192


def test_openai_base_url_from_the_environment_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", LLAMA_CPP)

    model = OpenAIModel("gpt-4o-mini")

    assert model.base_url == LLAMA_CPP
    assert model.uses_public_prices is False


def test_cost_does_not_depend_on_the_litellm_extra() -> None:
    """The quickstart installs no provider extra; prices must still be known."""
    code = (
        "import importlib.util, sys\n"
        "real = importlib.util.find_spec\n"
        "def hidden(name, *args):\n"
        "    return None if name.split('.')[0] == 'litellm' else real(name, *args)\n"
        "importlib.util.find_spec = hidden  # as if LiteLLM were not installed\n"
        "sys.modules['litellm'] = None\n"
        "from agentkit.models import Usage, cost_usd\n"
        "print(cost_usd(Usage(input_tokens=1200, output_tokens=40), 'gpt-4o'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "0.0034"
