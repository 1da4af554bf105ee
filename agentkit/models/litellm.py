"""``LiteLLMModel``: any provider LiteLLM supports, in OpenAI shape.

LiteLLM is imported inside the methods that need it: importing it takes
seconds, so neither ``import agentkit.models`` nor building a ``LiteLLMModel``
pays for it. Its replies are OpenAI-shaped and parsed by the OpenAI parser.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from agentkit._redact import register_secret, register_secret_headers
from agentkit.models._base import Model
from agentkit.models._errors import (
    ContextLengthExceeded,
    ModelConfigError,
    ModelError,
    error_for_status,
    error_for_transport,
    import_error_in,
    missing_package,
    select_headers,
)
from agentkit.models._exchange import EventCallback, RawExchange, emit_event
from agentkit.models._http import elapsed_ms, installed, transport_error_types
from agentkit.models._openai_wire import (
    build_openai_body,
    openai_chunk_events,
    openai_stream_finished,
)
from agentkit.models._types import ModelRequest

if TYPE_CHECKING:
    from agentkit.models._cost import Price
    from agentkit.models._retry import RetryPolicy
    from agentkit.models.ratelimit import Limiter

__all__ = ["LiteLLMModel"]

_PROVIDER_HEADER = "llm_provider-"

# LiteLLM reports a missing key as whatever its provider client raised: a 500
# ("Missing credentials"), a connection error ("Missing Gemini API key"), a 401.
_MISSING_CREDENTIALS = re.compile(
    r"missing credentials|missing [\w ]{0,40}api[ _-]?key|api_key client option must be set",
    re.IGNORECASE,
)


def _provider_headers(response: Any) -> dict[str, str]:
    """The upstream provider's headers LiteLLM keeps on a response, allow-listed."""
    hidden = getattr(response, "_hidden_params", None)
    headers = hidden.get("additional_headers") if isinstance(hidden, dict) else None
    if not isinstance(headers, Mapping):
        return {}
    upstream = {
        name.removeprefix(_PROVIDER_HEADER): str(value)
        for name, value in headers.items()
        if isinstance(name, str) and name.startswith(_PROVIDER_HEADER)
    }
    return select_headers(upstream)


def _dump(obj: Any) -> dict[str, Any]:
    return cast(dict[str, Any], obj.model_dump(mode="json", exclude_none=True))


class LiteLLMModel(Model):
    """A model reached through LiteLLM, e.g. ``"gemini/gemini-2.0-flash"``.

    Args:
        model: LiteLLM's ``provider/model`` id.
        api_key: The key, if not in LiteLLM's environment variables. Never stored in exchanges.
        base_url: The provider endpoint (LiteLLM's ``api_base``).
        rate_limit: A limiter, possibly shared with other models of the same account.
        retry: The retry policy :func:`complete` applies (LiteLLM's own retries are off).
        context_window: Prompt capacity in tokens.
        price: What a call costs (USD per million tokens); default: the public
            price list, unless ``base_url`` is given.
        extra_headers: Headers sent with every request (never stored); credential
            headers are registered as secrets.
        **defaults: Parameters sent with every request.

    Raises:
        ModelConfigError: LiteLLM is not installed.
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
        context_window: int | None = None,
        price: Price | None = None,
        extra_headers: Mapping[str, str] | None = None,
        **defaults: Any,
    ) -> None:
        super().__init__(
            model, rate_limit=rate_limit, retry=retry, context_window=context_window, price=price
        )
        if not installed("litellm"):
            raise ModelConfigError(
                f"LiteLLMModel({model!r}) needs the 'litellm' package: "
                "pip install 'agentkit[litellm]'",
                provider=self.provider,
                model=model,
            )
        register_secret(api_key)
        self._api_key = api_key
        self._base_url = base_url
        self.extra_headers = dict(extra_headers or {})
        register_secret_headers(self.extra_headers)
        self.defaults = defaults

    @property
    def uses_public_prices(self) -> bool:
        """False when ``base_url`` points LiteLLM at another server."""
        return self._base_url is None

    def build_body(self, request: ModelRequest, *, stream: bool) -> dict[str, Any]:
        """The OpenAI-shaped parameters :meth:`call` hands to ``litellm.acompletion``."""
        return build_openai_body(
            self.model_name,
            request,
            stream=stream,
            defaults=self.defaults,
            max_tokens_field="max_tokens",
        )

    async def call(
        self, request: ModelRequest, *, on_event: EventCallback | None = None
    ) -> RawExchange:
        """Send one request through ``litellm.acompletion`` with its retries off."""
        try:
            import litellm
        except ImportError as exc:
            raise missing_package(
                exc, provider=self.provider, model=self.model_name, extra="litellm"
            ) from exc

        body = self.build_body(request, stream=on_event is not None)
        # Credentials and headers are arguments, never part of the stored body.
        credentials: dict[str, Any] = {"api_key": self._api_key, "api_base": self._base_url}
        if self.extra_headers:
            credentials["extra_headers"] = self.extra_headers
        started = time.perf_counter()
        try:
            result = await litellm.acompletion(**body, **credentials, num_retries=0, max_retries=0)
        except Exception as exc:
            error = self._translate(exc, body, started, mid_stream=False)
            if error is None:
                raise
            raise error from exc
        exchange = RawExchange(
            provider=self.provider,
            model=self.model_name,
            request_body=body,
            status_code=200,
            headers=_provider_headers(result),
        )
        if on_event is None:
            exchange.response_body = _dump(result)
            exchange.latency_ms = elapsed_ms(started)
            return exchange
        exchange.stream_events = []
        chunks = exchange.stream_events  # appended in place, kept if the stream breaks
        try:
            async for chunk in result:
                data = _dump(chunk)
                chunks.append(data)
                for event in openai_chunk_events(data):
                    await emit_event(on_event, event)
        except Exception as exc:
            exchange.latency_ms = elapsed_ms(started)
            error = self._translate(exc, body, started, mid_stream=True, exchange=exchange)
            if error is None:
                raise
            raise error from exc
        return self._stream_closed(
            exchange, started, openai_stream_finished(chunks), "without a finish_reason"
        )

    def _translate(
        self,
        exc: Exception,
        body: dict[str, Any],
        started: float,
        *,
        mid_stream: bool,
        exchange: RawExchange | None = None,
    ) -> ModelError | None:
        """Map a LiteLLM exception (they subclass the ``openai`` ones) to a ModelError.

        A missing package behind it (LiteLLM imports optional ones, e.g. ``mcp``
        for any call with tools, and wraps the ``ImportError`` in its
        ``APIConnectionError``) is a `ModelConfigError`, never retried.
        Returns ``None`` for anything else (a bug is not a provider failure).
        """
        import litellm
        import openai

        missing = import_error_in(exc)
        if missing is not None:
            return missing_package(
                missing, provider=self.provider, model=self.model_name, extra="litellm"
            )
        if _MISSING_CREDENTIALS.search(str(exc)):
            return ModelConfigError(
                f"litellm model {self.model_name!r} has no credentials: {exc}",
                provider=self.provider,
                model=self.model_name,
            )
        transport, timeouts = transport_error_types()
        if not isinstance(exc, (openai.OpenAIError, *transport)):
            return None
        timed_out = isinstance(exc, (openai.APITimeoutError, *timeouts))
        status = getattr(exc, "status_code", None)
        if isinstance(exc, (openai.APIConnectionError, *transport)) or not isinstance(status, int):
            return error_for_transport(
                exc,
                provider=self.provider,
                model=self.model_name,
                timed_out=timed_out,
                mid_stream=mid_stream,
                exchange=exchange,
            )
        response = getattr(exc, "response", None)
        headers = select_headers(getattr(response, "headers", None) or {})
        error_body = {"error": {"message": getattr(exc, "message", None) or str(exc)}}
        failed = exchange or self._answered(body, status, headers, error_body, started)
        error = error_for_status(
            status,
            provider=self.provider,
            model=self.model_name,
            body=error_body,
            headers=headers,
            exchange=failed,
        )
        if isinstance(exc, litellm.exceptions.ContextWindowExceededError) and not isinstance(
            error, ContextLengthExceeded
        ):
            return ContextLengthExceeded(
                error.message,
                provider=self.provider,
                model=self.model_name,
                status_code=status,
                body=error_body,
                headers=headers,
                exchange=failed,
            )
        return error
