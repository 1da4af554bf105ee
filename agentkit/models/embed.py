"""Embedders of real providers: `OpenAIEmbedder` (``/embeddings``) and `LiteLLMEmbedder`.

Each reuses its chat model's client, credentials and error translation, so
keys, retryable statuses and secrets are handled as for completions. The SDKs
are imported on first call.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from agentkit.models._embed import Embedder, Embeddings, parse_openai_embeddings
from agentkit.models._errors import select_headers
from agentkit.models._exchange import RawExchange, elapsed_ms
from agentkit.models._http import transport_error_types
from agentkit.models.litellm import LiteLLMModel, _dump
from agentkit.models.openai import OpenAIModel

if TYPE_CHECKING:
    from openai import AsyncOpenAI

    from agentkit.models._retry import RetryPolicy
    from agentkit.models.ratelimit import Limiter

__all__ = ["LiteLLMEmbedder", "OpenAIEmbedder"]


class OpenAIEmbedder(Embedder):
    """OpenAI's ``/embeddings`` (or any OpenAI-compatible server's).

    Args:
        model: The embedding model, default ``"text-embedding-3-small"``.
        api_key: The key; ``OPENAI_API_KEY`` when omitted. Never stored.
        base_url: An OpenAI-compatible endpoint.
        client: A configured ``openai.AsyncOpenAI`` to use instead of building one.
        dimensions: Ask for shorter vectors (text-embedding-3 models).
        rate_limit: A limiter, possibly shared with the account's chat models.
        retry: How calls are retried.
    """

    provider = "openai"

    def __init__(
        self,
        model: str = "text-embedding-3-small",
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        client: AsyncOpenAI | None = None,
        dimensions: int | None = None,
        rate_limit: Limiter | None = None,
        retry: RetryPolicy | None = None,
        default_headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(model, rate_limit=rate_limit, retry=retry)
        # The chat model holds the client, the key and the error translation.
        self._wire = OpenAIModel(
            model,
            api_key=api_key,
            base_url=base_url,
            client=client,
            default_headers=default_headers,
        )
        self.dimensions = dimensions

    async def call(self, texts: list[str]) -> RawExchange:
        """One ``embeddings.create`` with floats (not base64) in the reply."""
        wire = self._wire
        client = wire._sdk()
        import openai

        body: dict[str, Any] = {
            "model": self.model_name,
            "input": texts,
            "encoding_format": "float",
        }
        if self.dimensions is not None:
            body["dimensions"] = self.dimensions
        transport, timeouts = transport_error_types()
        started = time.perf_counter()
        try:
            raw = await client.embeddings.with_raw_response.create(**body)
        except openai.APIStatusError as exc:
            raise wire._error(exc.response, body, started) from exc
        except openai.APIConnectionError as exc:
            timed_out = isinstance(exc, openai.APITimeoutError)
            raise wire._transport(exc, timed_out=timed_out) from exc
        except transport as exc:
            raise wire._transport(exc, timed_out=isinstance(exc, timeouts)) from exc
        try:
            response_body = cast(dict[str, Any], raw.http_response.json())
        except ValueError as exc:
            raise wire._error(raw.http_response, body, started) from exc
        return RawExchange(
            provider=self.provider,
            model=self.model_name,
            request_body=body,
            response_body=response_body,
            status_code=raw.status_code,
            headers=select_headers(raw.headers),
            latency_ms=elapsed_ms(started),
        )

    def parse(self, raw: RawExchange) -> Embeddings:
        """Vectors of an ``/embeddings`` reply, in input order."""
        return parse_openai_embeddings(raw)


class LiteLLMEmbedder(Embedder):
    """Any provider LiteLLM can embed with (``litellm.aembedding``), retries off in LiteLLM.

    Args:
        model: LiteLLM's model id, e.g. ``"cohere/embed-english-v3.0"``.
        api_key: Passed to LiteLLM as an argument; never stored.
        base_url: Passed as ``api_base``.
        rate_limit: A limiter.
        retry: How calls are retried.
    """

    provider = "litellm"

    def __init__(
        self,
        model: str,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        rate_limit: Limiter | None = None,
        retry: RetryPolicy | None = None,
        **defaults: Any,
    ) -> None:
        super().__init__(model, rate_limit=rate_limit, retry=retry)
        self._wire = LiteLLMModel(model, api_key=api_key, base_url=base_url)
        self.defaults = defaults

    async def call(self, texts: list[str]) -> RawExchange:
        """One ``litellm.aembedding`` call."""
        import litellm

        wire = self._wire
        body: dict[str, Any] = {**self.defaults, "model": self.model_name, "input": texts}
        credentials = {"api_key": wire._api_key, "api_base": wire._base_url}
        started = time.perf_counter()
        try:
            result = await litellm.aembedding(**body, **credentials, num_retries=0, max_retries=0)
        except Exception as exc:
            error = wire._translate(exc, body, started, mid_stream=False)
            if error is None:
                raise
            raise error from exc
        return RawExchange(
            provider=self.provider,
            model=self.model_name,
            request_body=body,
            response_body=_dump(result),
            status_code=200,
            latency_ms=elapsed_ms(started),
        )

    def parse(self, raw: RawExchange) -> Embeddings:
        """Vectors of LiteLLM's OpenAI-shaped reply."""
        return parse_openai_embeddings(raw)
