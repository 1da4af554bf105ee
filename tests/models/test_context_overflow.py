"""Context overflow, as each server words it, and failover to a larger window."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
import respx

from agentkit.models import (
    Attempt,
    BadRequest,
    ContextLengthExceeded,
    FallbackModel,
    Message,
    ModelRequest,
    OpenAIModel,
    RetryPolicy,
    complete,
)

from .cassettes import load_cassette, load_synthetic
from .conftest import OPENAI_KEY, FakeSleep

REQUEST = ModelRequest(messages=[Message.user("a very long prompt")], max_tokens=64)
LLAMA_CPP = "http://127.0.0.1:8080/v1"
VLLM = "http://127.0.0.1:8000/v1"
OLLAMA = "http://127.0.0.1:11434/v1"
REPLY = "pydantic-ai/openai__test_openai_tool_output.yaml"


def _response(name: str) -> httpx.Response:
    payload = load_synthetic(name)
    return httpx.Response(payload["status"], json=payload["body"], headers=payload["headers"])


@pytest.mark.parametrize(
    ("fixture", "base_url", "window", "detail"),
    [
        pytest.param(
            "openai__context_length_400.synthetic.json",
            "https://api.openai.com/v1",
            128000,
            "This model's maximum context length is 128000 tokens. However, your messages "
            "resulted in 130532 tokens. Please reduce the length of the messages.",
            id="openai",
        ),
        pytest.param(
            "llamacpp__context_size_400.synthetic.json",
            LLAMA_CPP,
            4096,
            "request (5180 tokens) exceeds the available context size (4096 tokens), "
            "try increasing it",
            id="llama.cpp",
        ),
        pytest.param(
            "vllm__context_length_400.synthetic.json",
            VLLM,
            8192,
            "This model's maximum context length is 8192 tokens. However, you requested 1024 "
            "output tokens and your prompt contains at least 7400 input tokens, for a total of "
            "at least 8424 tokens. Please reduce the length of the input prompt or the number "
            "of requested output tokens. (parameter=input_tokens, value=7400)",
            id="vllm-maximum-context-length",
        ),
        pytest.param(
            "vllm__decoder_prompt_400.synthetic.json",
            VLLM,
            4096,
            "The decoder prompt (length 5000) is longer than the maximum model length of 4096. "
            "Make sure that `max_model_len` is no smaller than the number of text tokens.",
            id="vllm-decoder-prompt",
        ),
        pytest.param(
            "vllm__input_longer_than_context_400.synthetic.json",
            VLLM,
            32768,
            "The input (40000 tokens) is longer than the model's context length (32768 tokens).",
            id="vllm-longer-than-context-length",
        ),
        pytest.param(
            "ollama__context_length_400.synthetic.json",
            OLLAMA,
            None,
            "the input length exceeds the context length",
            id="ollama",
        ),
    ],
)
async def test_context_overflow_is_classified(
    fixture: str, base_url: str, window: int | None, detail: str
) -> None:
    model = OpenAIModel("served", base_url=base_url, api_key=OPENAI_KEY)
    with respx.mock(base_url=base_url) as router:
        router.post("/chat/completions").mock(return_value=_response(fixture))
        with pytest.raises(ContextLengthExceeded) as caught:
            await model.call(REQUEST)

    error = caught.value
    assert error.message == f"openai model 'served' failed with HTTP 400: {detail}"
    assert error.context_window == window
    assert error.status_code == 400
    assert error.retryable is False


async def test_anthropic_prompt_too_long_states_its_window(
    anthropic_router: respx.MockRouter, make_anthropic: Callable[..., Any]
) -> None:
    anthropic_router.post("/v1/messages").mock(
        return_value=_response("anthropic__context_length_400.synthetic.json")
    )
    with pytest.raises(ContextLengthExceeded) as caught:
        await make_anthropic().call(REQUEST)

    assert caught.value.message == (
        "anthropic model 'claude-haiku-4-5' failed with HTTP 400: "
        "prompt is too long: 208310 tokens > 200000 maximum"
    )
    assert caught.value.context_window == 200000


async def test_ollama_native_error_string_is_read() -> None:
    model = OpenAIModel("ollama/llama3.2", base_url=OLLAMA, api_key=OPENAI_KEY)
    with respx.mock(base_url=OLLAMA) as router:
        router.post("/chat/completions").mock(
            return_value=_response("ollama__native_context_length_400.synthetic.json")
        )
        with pytest.raises(ContextLengthExceeded) as caught:
            await model.call(REQUEST)

    assert type(caught.value) is ContextLengthExceeded
    assert caught.value.message == (
        "openai model 'ollama/llama3.2' failed with HTTP 400: "
        "the input length exceeds the context length"
    )


async def test_an_unrelated_400_stays_a_bad_request() -> None:
    model = OpenAIModel("served", base_url=LLAMA_CPP, api_key=OPENAI_KEY)
    body = {"error": {"message": "'messages' must contain at least one message"}}
    with respx.mock(base_url=LLAMA_CPP) as router:
        router.post("/chat/completions").mock(return_value=httpx.Response(400, json=body))
        with pytest.raises(BadRequest) as caught:
            await model.call(REQUEST)

    assert type(caught.value) is BadRequest
    assert caught.value.message == (
        "openai model 'served' failed with HTTP 400: 'messages' must contain at least one message"
    )


async def _complete_with(
    chain: FallbackModel, fake_sleep: FakeSleep
) -> tuple[list[Attempt], Attempt]:
    attempts: list[Attempt] = []

    async def keep(attempt: Attempt) -> None:
        attempts.append(attempt)

    success = await complete(
        chain, REQUEST, on_attempt=keep, sleep=fake_sleep, clock=fake_sleep.clock
    )
    return attempts, success


async def test_llama_cpp_overflow_fails_over_to_a_larger_window(fake_sleep: FakeSleep) -> None:
    """The window comes from the error (n_ctx 4096); the next model states 32768."""
    policy = RetryPolicy(jitter=0)
    small = OpenAIModel("gemma-3-270m", base_url=LLAMA_CPP, retry=policy)
    large = OpenAIModel("qwen-7b", base_url=VLLM, retry=policy, context_window=32768)
    with respx.mock() as router:
        router.post(f"{LLAMA_CPP}/chat/completions").mock(
            return_value=_response("llamacpp__context_size_400.synthetic.json")
        )
        router.post(f"{VLLM}/chat/completions").mock(
            return_value=httpx.Response(200, json=load_cassette(REPLY)[0].json())
        )
        attempts, success = await _complete_with(FallbackModel(small, large), fake_sleep)

    assert [(a.number, a.model, a.error and a.error["type"]) for a in attempts] == [
        (1, "gemma-3-270m", "ContextLengthExceeded"),
        (2, "qwen-7b", None),
    ]
    assert success.model_index == 1
    assert fake_sleep.slept == []  # a context overflow is not retried on the same model


async def test_overflow_skips_a_model_no_larger_and_tries_one_of_unknown_size(
    fake_sleep: FakeSleep,
) -> None:
    small = OpenAIModel("gemma-3-270m", base_url=LLAMA_CPP)
    same = OpenAIModel("gemma-3-1b", base_url="http://127.0.0.1:8082/v1", context_window=4096)
    unknown = OpenAIModel("served-elsewhere", base_url=VLLM)
    with respx.mock(assert_all_called=False) as router:
        router.post(f"{LLAMA_CPP}/chat/completions").mock(
            return_value=_response("llamacpp__context_size_400.synthetic.json")
        )
        skipped = router.post("http://127.0.0.1:8082/v1/chat/completions")
        router.post(f"{VLLM}/chat/completions").mock(
            return_value=httpx.Response(200, json=load_cassette(REPLY)[0].json())
        )
        attempts, success = await _complete_with(FallbackModel(small, same, unknown), fake_sleep)

    assert [(a.model_index, a.error is None) for a in attempts] == [(0, False), (2, True)]
    assert skipped.call_count == 0
    assert success.model == "served-elsewhere"
