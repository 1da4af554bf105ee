"""Models register their secrets when built; errors are scrubbed at the model boundary."""

from __future__ import annotations

import traceback

import httpx
import pytest
import respx

from agentkit.models import (
    AnthropicModel,
    Attempt,
    AuthenticationFailed,
    BadRequest,
    LiteLLMModel,
    Message,
    ModelRequest,
    OpenAIModel,
    complete,
)

from .cassettes import load_synthetic

REQUEST = ModelRequest(messages=[Message.user("hi")])
REDACTED = "[REDACTED]"
PROBE = "http://127.0.0.1:9/v1"


async def scrubbed(text: str) -> str:
    """``text`` as the model boundary reports it: an error message from a provider."""
    model = OpenAIModel("probe", base_url=PROBE, api_key="sk-probe-registered-0000")
    with respx.mock(base_url=PROBE) as router:
        router.post("/chat/completions").mock(
            return_value=httpx.Response(400, json={"error": {"message": text}})
        )
        with pytest.raises(BadRequest) as caught:
            await model.call(REQUEST)
    prefix = "openai model 'probe' failed with HTTP 400: "
    assert caught.value.message.startswith(prefix)
    return caught.value.message.removeprefix(prefix)


async def test_every_model_registers_its_key_and_credential_headers() -> None:
    OpenAIModel(
        "gpt-4o",
        api_key="sk-openai-registered-0001",
        default_headers={"X-Api-Key": "gateway-key-registered-0002", "X-Team": "team-blue-0003"},
    )
    AnthropicModel(
        "claude-haiku-4-5",
        api_key="sk-ant-registered-0004",
        extra_headers={"Authorization": "Bearer proxy-token-registered-0005"},
    )
    LiteLLMModel(
        "gemini/gemini-2.0-flash",
        api_key="gemini-key-registered-0006",
        extra_headers={"x-goog-api-key": "goog-key-registered-0007"},
    )

    text = (
        "sk-openai-registered-0001 gateway-key-registered-0002 team-blue-0003 "
        "sk-ant-registered-0004 proxy-token-registered-0005 gemini-key-registered-0006 "
        "goog-key-registered-0007"
    )
    assert await scrubbed(text) == " ".join([REDACTED] * 2 + ["team-blue-0003"] + [REDACTED] * 4)


async def test_a_given_client_registers_its_key(monkeypatch: pytest.MonkeyPatch) -> None:
    import openai

    OpenAIModel("gpt-4o", client=openai.AsyncOpenAI(api_key="sk-client-registered-0008"))
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env-registered-0009")
    OpenAIModel("gpt-4o")

    assert await scrubbed("sk-client-registered-0008 / sk-env-registered-0009") == (
        f"{REDACTED} / {REDACTED}"
    )


def test_litellm_headers_are_sent_but_never_stored() -> None:
    model = LiteLLMModel(
        "openai/gpt-4o", api_key="sk-litellm-0010", extra_headers={"X-Api-Key": "hdr-0011-secret"}
    )

    assert "extra_headers" not in model.build_body(REQUEST, stream=False)
    assert model.extra_headers == {"X-Api-Key": "hdr-0011-secret"}


async def test_an_echoed_key_is_scrubbed_from_the_error_and_its_exchange() -> None:
    key = "sk-echoed-at-the-boundary-0123456789"
    payload = load_synthetic("openai__api_key_echoed_401.synthetic.json")
    body = {
        "error": {
            **payload["body"]["error"],
            "message": payload["body"]["error"]["message"].replace("<API_KEY>", key),
        }
    }
    model = OpenAIModel("gpt-4o", api_key=key)
    attempts: list[Attempt] = []

    async def keep(attempt: Attempt) -> None:
        attempts.append(attempt)

    with respx.mock(base_url="https://api.openai.com/v1") as router:
        router.post("/chat/completions").mock(
            return_value=httpx.Response(401, json=body, headers=payload["headers"])
        )
        with pytest.raises(AuthenticationFailed) as caught:
            await complete(model, REQUEST, on_attempt=keep)

    error = caught.value
    assert error.message == (
        "openai model 'gpt-4o' failed with HTTP 401: Invalid credentials in header "
        f"'Authorization: Bearer {REDACTED}' (key {REDACTED} is not active)"
    )
    assert key not in repr(error.body)
    assert error.exchange is not None
    assert key not in error.exchange.model_dump_json()
    assert key not in "".join(traceback.format_exception(error))  # the SDK error behind it too
    assert key not in attempts[0].model_dump_json()
