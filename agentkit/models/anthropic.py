"""``AnthropicModel``: the Messages API through the official ``anthropic`` SDK.

The SDK is imported on first use, never by ``import agentkit.models``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from agentkit.models._anthropic_wire import (
    DEFAULT_MAX_TOKENS,
    AnthropicStreamDeltas,
    anthropic_stream_finished,
    build_anthropic_body,
)
from agentkit.models._errors import (
    select_headers,
)
from agentkit.models._exchange import EventCallback, RawExchange, emit_event
from agentkit.models._http import elapsed_ms, transport_error_types
from agentkit.models._sdk import SDKModel
from agentkit.models._types import ModelRequest

if TYPE_CHECKING:
    from anthropic import AsyncAnthropic

    from agentkit.models._cost import Price
    from agentkit.models._retry import RetryPolicy
    from agentkit.models.ratelimit import Limiter

__all__ = ["AnthropicModel"]

_SENT_AS_ARGUMENTS = ("model", "messages", "max_tokens", "stream")


class AnthropicModel(SDKModel["AsyncAnthropic"]):
    """A Claude model on the Messages API.

    System messages become the ``system`` field; tool results travel in user
    turns, merged so that parallel results answer their ``tool_use`` blocks in
    one turn; thinking blocks are kept and sent back verbatim.

    Args:
        model: The model id, e.g. ``"claude-sonnet-4-5"``.
        api_key: The key; ``ANTHROPIC_API_KEY`` (or ``ANTHROPIC_AUTH_TOKEN``) when
            omitted. Required for Anthropic's own endpoint (a missing one raises
            `ModelConfigError` here). Never stored in exchanges.
        base_url: Another Messages API endpoint; its replies are not priced unless
            ``price`` is given.
        client: A configured ``anthropic.AsyncAnthropic`` to use instead of building one.
        rate_limit: A limiter, possibly shared with other models of the same account.
        retry: The retry policy :func:`complete` applies.
        context_window: Prompt capacity in tokens.
        price: What a call costs (USD per million tokens); default: the public
            price list, for Anthropic's own endpoint only.
        default_headers: Headers sent with every request; credential headers are
            registered as secrets.
        max_tokens: Output cap when the request sets none; the API requires one
            (default :data:`DEFAULT_MAX_TOKENS`, 4096).
        **defaults: Body fields sent with every request, e.g. ``thinking={...}``.
    """

    provider = "anthropic"
    sdk_name = "Anthropic"
    sdk_module = "anthropic"
    key_env = ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN")
    base_url_env = "ANTHROPIC_BASE_URL"
    official_url = "https://api.anthropic.com"

    def __init__(
        self,
        model: str,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        client: AsyncAnthropic | None = None,
        rate_limit: Limiter | None = None,
        retry: RetryPolicy | None = None,
        context_window: int | None = None,
        price: Price | None = None,
        default_headers: Mapping[str, str] | None = None,
        max_tokens: int = DEFAULT_MAX_TOKENS,
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
        self.default_max_tokens = max_tokens

    def _new_client(self) -> AsyncAnthropic:
        import anthropic

        return anthropic.AsyncAnthropic(
            api_key=self._api_key,
            base_url=self._base_url,
            default_headers=self.default_headers or None,
            max_retries=0,
        )

    def _client_error(self) -> type[Exception]:
        import anthropic

        return anthropic.AnthropicError

    def build_body(self, request: ModelRequest, *, stream: bool) -> dict[str, Any]:
        """The JSON body :meth:`call` sends for ``request``."""
        return build_anthropic_body(
            self.model_name,
            request,
            stream=stream,
            defaults=self.defaults,
            default_max_tokens=self.default_max_tokens or DEFAULT_MAX_TOKENS,
        )

    async def call(
        self, request: ModelRequest, *, on_event: EventCallback | None = None
    ) -> RawExchange:
        """Send one Messages request (streamed when ``on_event`` is given)."""
        client = self._sdk()  # first: it reports a missing SDK as a ModelConfigError
        import anthropic

        body = self.build_body(request, stream=on_event is not None)
        extra_body = {key: value for key, value in body.items() if key not in _SENT_AS_ARGUMENTS}
        transport, timeouts = transport_error_types()
        started = time.perf_counter()
        try:
            raw = await client.messages.with_raw_response.create(
                model=body["model"],
                messages=body["messages"],
                max_tokens=body["max_tokens"],
                stream=body["stream"],
                extra_body=extra_body,
            )
        except anthropic.APIStatusError as exc:
            raise self._error(exc.response, body, started) from exc
        except anthropic.APIConnectionError as exc:
            timed_out = isinstance(exc, anthropic.APITimeoutError)
            raise self._transport(exc, timed_out=timed_out) from exc
        except transport as exc:
            raise self._transport(exc, timed_out=isinstance(exc, timeouts)) from exc
        headers = select_headers(raw.headers)
        if on_event is None:
            try:
                response_body = cast(dict[str, Any], await raw.json())
            except ValueError as exc:
                raise self._error(raw.http_response, body, started) from exc
            return self._answered(body, raw.status_code, headers, response_body, started)
        exchange = self._stream_opened(body, raw.status_code, headers)
        events = exchange.stream_events
        assert events is not None
        deltas = AnthropicStreamDeltas()
        try:
            stream = await raw.parse()
            async for event in stream:
                data = cast(dict[str, Any], event.to_dict(mode="json"))
                events.append(data)
                for delta in deltas.feed(data):
                    await emit_event(on_event, delta)
        except anthropic.APIStatusError as exc:
            # An ``error`` event inside the stream (e.g. overloaded_error).
            error_body = exc.body if exc.body is not None else str(exc)
            raise self._error(exc.response, body, started, error_body, events) from exc
        except transport as exc:
            exchange.latency_ms = elapsed_ms(started)
            raise self._transport(exc, timed_out=False, exchange=exchange) from exc
        return self._stream_closed(
            exchange, started, anthropic_stream_finished(events), "before message_stop"
        )
