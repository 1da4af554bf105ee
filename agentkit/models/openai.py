"""``OpenAIModel``: chat.completions through the official ``openai`` SDK.

Works with any OpenAI-compatible server through ``base_url``. The SDK is
imported on first use, never by ``import agentkit.models``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from agentkit.models._errors import (
    error_for_status,
    select_headers,
)
from agentkit.models._exchange import EventCallback, RawExchange, emit_event
from agentkit.models._http import elapsed_ms, transport_error_types
from agentkit.models._openai_wire import (
    build_openai_body,
    openai_chunk_events,
    openai_stream_finished,
)
from agentkit.models._sdk import SDKModel
from agentkit.models._types import ModelRequest

if TYPE_CHECKING:
    from openai import AsyncOpenAI

    from agentkit.models._cost import Price
    from agentkit.models._retry import RetryPolicy
    from agentkit.models.ratelimit import Limiter

__all__ = ["OpenAIModel"]

_SENT_AS_ARGUMENTS = ("model", "messages", "stream")


class OpenAIModel(SDKModel["AsyncOpenAI"]):
    """A chat.completions model.

    Args:
        model: The model id, e.g. ``"gpt-4o"``.
        api_key: The key; ``OPENAI_API_KEY`` when omitted. Never stored in exchanges.
            Required for OpenAI's own endpoint (a missing one raises
            `ModelConfigError` here); a custom ``base_url`` works without one.
        base_url: An OpenAI-compatible endpoint (``OPENAI_BASE_URL`` when omitted).
            Replies from any endpoint but OpenAI's are not priced unless ``price`` is given.
        client: A configured ``openai.AsyncOpenAI`` to use instead of building one.
        rate_limit: A limiter, possibly shared with other models of the same account.
        retry: The retry policy :func:`complete` applies.
        context_window: Prompt capacity in tokens.
        price: What a call costs (USD per million tokens); default: the public
            price list, for OpenAI's own endpoint only.
        default_headers: Headers sent with every request; credential headers
            (``Authorization``, ``api-key``, ...) are registered as secrets.
        max_tokens_field: The body field for ``max_tokens``; ``"max_tokens"`` for
            servers that predate ``max_completion_tokens``.
        **defaults: Body fields sent with every request (``request.extra`` overrides them).
    """

    provider = "openai"
    sdk_name = "OpenAI"
    sdk_module = "openai"
    key_env = ("OPENAI_API_KEY",)
    base_url_env = "OPENAI_BASE_URL"
    official_url = "https://api.openai.com/v1"

    def __init__(
        self,
        model: str,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        client: AsyncOpenAI | None = None,
        rate_limit: Limiter | None = None,
        retry: RetryPolicy | None = None,
        context_window: int | None = None,
        price: Price | None = None,
        default_headers: Mapping[str, str] | None = None,
        max_tokens_field: str = "max_completion_tokens",
        **defaults: Any,
    ) -> None:
        super().__init__(
            model,
            api_key=api_key,
            base_url=base_url,
            client=client,
            rate_limit=rate_limit,
            retry=retry,
            context_window=context_window,
            price=price,
            default_headers=default_headers,
            defaults=defaults,
        )
        self.max_tokens_field = max_tokens_field

    def _new_client(self) -> AsyncOpenAI:
        import openai

        return openai.AsyncOpenAI(
            api_key=self._api_key,
            base_url=self._base_url,
            default_headers=self.default_headers or None,
            max_retries=0,
        )

    def _client_error(self) -> type[Exception]:
        import openai

        return openai.OpenAIError

    def build_body(self, request: ModelRequest, *, stream: bool) -> dict[str, Any]:
        """The JSON body :meth:`call` sends for ``request``."""
        return build_openai_body(
            self.model_name,
            request,
            stream=stream,
            defaults=self.defaults,
            max_tokens_field=self.max_tokens_field,
        )

    async def call(
        self, request: ModelRequest, *, on_event: EventCallback | None = None
    ) -> RawExchange:
        """Send one chat.completions request (streamed when ``on_event`` is given)."""
        client = self._sdk()  # first: it reports a missing SDK as a ModelConfigError
        import openai

        body = self.build_body(request, stream=on_event is not None)
        extra_body = {key: value for key, value in body.items() if key not in _SENT_AS_ARGUMENTS}
        transport, timeouts = transport_error_types()
        started = time.perf_counter()
        try:
            raw = await client.chat.completions.with_raw_response.create(
                model=body["model"],
                messages=body["messages"],
                stream=body["stream"],
                extra_body=extra_body,
            )
        except openai.APIStatusError as exc:
            raise self._error(exc.response, body, started) from exc
        except openai.APIConnectionError as exc:
            timed_out = isinstance(exc, openai.APITimeoutError)
            raise self._transport(exc, timed_out=timed_out) from exc
        except transport as exc:
            raise self._transport(exc, timed_out=isinstance(exc, timeouts)) from exc
        headers = select_headers(raw.headers)
        if on_event is None:
            try:
                response_body = cast(dict[str, Any], raw.http_response.json())
            except ValueError as exc:
                raise self._error(raw.http_response, body, started) from exc
            return self._answered(body, raw.status_code, headers, response_body, started)
        exchange = self._stream_opened(body, raw.status_code, headers)
        chunks = exchange.stream_events
        assert chunks is not None
        try:
            async for chunk in raw.parse():
                data = cast(dict[str, Any], chunk.to_dict(mode="json"))
                chunks.append(data)
                for event in openai_chunk_events(data):
                    await emit_event(on_event, event)
        except openai.APIStatusError as exc:
            raise self._error(exc.response, body, started, stream_events=chunks) from exc
        except openai.APIError as exc:
            # An error object inside a 200 stream.
            exchange.latency_ms = elapsed_ms(started)
            raise error_for_status(
                raw.status_code,
                provider=self.provider,
                model=self.model_name,
                body={"error": exc.body},
                headers=raw.headers,
                exchange=exchange,
            ) from exc
        except transport as exc:
            exchange.latency_ms = elapsed_ms(started)
            raise self._transport(exc, timed_out=False, exchange=exchange) from exc
        return self._stream_closed(
            exchange, started, openai_stream_finished(chunks), "without a finish_reason"
        )
