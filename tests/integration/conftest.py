"""Fixtures of the integration suite: real llama.cpp servers on 127.0.0.1.

Two servers of the same model, started once per session and only when a test
asks for them: ``llama_url`` with a 2048-token window, ``small_llama_url`` with
256 tokens (the first model of a failover chain, whose window a long prompt
overflows). Every test here is marked ``integration``; ``-m "not integration"``
leaves them out, servers and all.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any, Literal

import pytest

from agentkit.models import LiteLLMModel, Model, OpenAIModel, RetryPolicy
from tests.integration.harness import (
    LARGE_CONTEXT,
    SERVER_DEFAULTS,
    SMALL_CONTEXT,
    llama_server,
    model_file,
)

Provider = Literal["openai", "litellm"]
PROVIDERS: list[Provider] = ["openai", "litellm"]

# The name the client asks for. A name on OpenAI's price list, on purpose: a
# self-hosted server must not be priced as OpenAI (the server answers as
# MODEL_ALIAS, whatever it is asked for).
CLIENT_MODEL = "gpt-4o-mini"
# Retries are part of what is tested (a 5xx is retried, a 400 is not), but a
# second attempt is enough to see it.
RETRY = RetryPolicy(max_attempts=2, initial_backoff=0.1, jitter=0)


@pytest.fixture(scope="session")
def gguf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return model_file(tmp_path_factory.mktemp("model"))


@pytest.fixture(scope="session")
def llama_url(gguf: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("logs") / "llama-large.log"
    with llama_server(gguf, context=LARGE_CONTEXT, log=log) as url:
        yield url


@pytest.fixture(scope="session")
def small_llama_url(gguf: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("logs") / "llama-small.log"
    with llama_server(gguf, context=SMALL_CONTEXT, log=log) as url:
        yield url


@pytest.fixture(autouse=True)
def _litellm_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """LiteLLM fetches its price map over the network on import unless told not to."""
    monkeypatch.setenv("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    monkeypatch.setenv("DISABLE_AIOHTTP_TRANSPORT", "True")


ModelFactory = Callable[..., Model]


@pytest.fixture
async def make_model() -> AsyncIterator[ModelFactory]:
    """Builds models on a server; closes their connections when the test ends.

    ``make_model(provider, url, **overrides)``: the suite's body defaults, where
    ``overrides`` replace one and ``None`` removes one (e.g. ``stop=None``).
    Connections are real sockets here, bound to this test's event loop: an
    OpenAI model gets a client the fixture owns and closes, and LiteLLM's
    cached clients are closed and forgotten.
    """
    import openai

    clients: list[openai.AsyncOpenAI] = []

    def build(provider: Provider, url: str, **overrides: Any) -> Model:
        defaults = {**SERVER_DEFAULTS, **overrides}
        body = {key: value for key, value in defaults.items() if value is not None}
        if provider == "openai":
            client = openai.AsyncOpenAI(
                base_url=f"{url}/v1", api_key="sk-no-key-needed", max_retries=0
            )
            clients.append(client)
            return OpenAIModel(CLIENT_MODEL, client=client, retry=RETRY, **body)
        # LiteLLM's OpenAI route insists on some key, which the server ignores.
        return LiteLLMModel(
            f"openai/{CLIENT_MODEL}",
            base_url=f"{url}/v1",
            api_key="sk-no-key-needed",
            retry=RETRY,
            **body,
        )

    try:
        yield build
    finally:
        for client in clients:
            await client.close()
        litellm = sys.modules.get("litellm")
        if litellm is not None:
            await litellm.close_litellm_async_clients()
            litellm.in_memory_llm_clients_cache.flush_cache()
