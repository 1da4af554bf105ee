"""Typed model-call errors, classified once at the provider boundary.

::

    ModelError                      (agentkit.errors.AgentkitError)
    ├── RateLimited                 429                                  retryable
    ├── ProviderOverloaded          529, Anthropic overloaded_error       retryable
    ├── ProviderServerError         5xx, 408, 409                        retryable
    ├── ModelTimeout                the request timed out                retryable
    ├── ModelConnectionError        no connection / connection dropped   retryable
    ├── StreamInterrupted           a stream was cut before its end      retryable
    ├── BadRequest                  400, 422, other 4xx
    │   └── ContextLengthExceeded   the prompt does not fit the model (any status)
    ├── AuthenticationFailed        401, 403
    ├── ModelNotFound               404
    ├── ModelConfigError            a missing package or API key (also a ConfigError)
    ├── ResponseParseError          the reply arrived but could not be parsed
    └── ScriptExhausted             a ScriptedModel ran out of responses

Adapters build these with :func:`error_for_status` and
:func:`error_for_transport`; nothing else inspects SDK exceptions. Messages
and bodies pass through :func:`agentkit._redact.scrub` here, at the boundary,
so a provider that echoes a credential back never gets it into an error.
"""

from __future__ import annotations

import email.utils
import re
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from agentkit._redact import scrub, scrub_any
from agentkit.errors import AgentkitError, ConfigError

if TYPE_CHECKING:
    from agentkit.models._exchange import RawExchange

__all__ = [
    "AuthenticationFailed",
    "BadRequest",
    "ContextLengthExceeded",
    "ModelConfigError",
    "ModelConnectionError",
    "ModelError",
    "ModelNotFound",
    "ModelTimeout",
    "ProviderOverloaded",
    "ProviderServerError",
    "RateLimited",
    "ResponseParseError",
    "ScriptExhausted",
    "StreamInterrupted",
    "error_for_status",
    "error_for_transport",
    "parse_retry_after",
    "scrub_exception_chain",
    "select_headers",
]


class ModelError(AgentkitError):
    """A model call failed.

    Attributes:
        provider: The adapter's provider name.
        model: The model that was asked.
        status_code: The HTTP status, when there was a response.
        body: The error body the provider sent (JSON object or text).
        headers: Allow-listed response headers (request id, retry-after, rate limits).
        retryable: Whether trying again (or another model) may succeed.
        retry_after: Seconds the provider asked us to wait, if it said.
        exchange: The raw exchange of the failed call, when the adapter built one.
    """

    default_retryable: ClassVar[bool] = False

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        model: str,
        status_code: int | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        retryable: bool | None = None,
        retry_after: float | None = None,
        exchange: RawExchange | None = None,
    ) -> None:
        message = scrub(message)
        super().__init__(message)
        self.message = message
        self.provider = provider
        self.model = model
        self.status_code = status_code
        self.body = scrub_any(body)
        self.headers: dict[str, str] = dict(headers or {})
        self.retryable = self.default_retryable if retryable is None else retryable
        self.retry_after = retry_after
        if exchange is not None:
            # The raw error body is stored with the attempt: scrub it here, once.
            if exchange.response_body is not None:
                exchange.response_body = scrub_any(exchange.response_body)
            if exchange.stream_events is not None:
                exchange.stream_events[:] = scrub_any(exchange.stream_events)
        self.exchange = exchange

    def to_record(self) -> dict[str, Any]:
        """The JSON-ready summary stored with an attempt."""
        return {
            "type": type(self).__name__,
            "message": self.message,
            "status_code": self.status_code,
            "retryable": self.retryable,
            "body": self.body,
        }


class RateLimited(ModelError):
    """The provider refused the call for rate limits (HTTP 429)."""

    default_retryable = True


class ProviderOverloaded(ModelError):
    """The provider is overloaded (Anthropic 529 ``overloaded_error``)."""

    default_retryable = True


class ProviderServerError(ModelError):
    """The provider failed (5xx), timed out server-side (408) or conflicted (409)."""

    default_retryable = True


class ModelTimeout(ModelError):
    """The request did not complete in time."""

    default_retryable = True


class ModelConnectionError(ModelError):
    """The provider could not be reached."""

    default_retryable = True


class StreamInterrupted(ModelError):
    """A streamed reply stopped before its final event."""

    default_retryable = True


class BadRequest(ModelError):
    """The provider rejected the request as invalid (400, 422)."""


class ContextLengthExceeded(BadRequest):
    """The prompt does not fit the model's context window.

    Attributes:
        context_window: The window the provider said it has (llama.cpp ``n_ctx``,
            "maximum context length is N tokens", "> N maximum"), when it said.
    """

    context_window: int | None = None


class AuthenticationFailed(ModelError):
    """The credentials were refused (401, 403)."""


class ModelNotFound(ModelError):
    """The model or endpoint does not exist (404)."""


class ModelConfigError(ModelError, ConfigError):
    """The model cannot be called as configured: a package or an API key is missing.

    Never retried: the same call fails the same way until the setup is fixed.
    """


class ResponseParseError(ModelError):
    """The provider answered but the reply could not be parsed.

    The raw exchange is kept, so a fixed parser can re-read it on replay.
    """


class ScriptExhausted(ModelError):
    """A ScriptedModel received more requests than it has responses."""


_HEADER_NAMES = frozenset({"x-request-id", "request-id", "retry-after", "retry-after-ms"})
_HEADER_PREFIXES = ("x-ratelimit-", "anthropic-ratelimit-")


def select_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Keep only the allow-listed headers, lower-cased: never auth, cookies or keys."""
    kept: dict[str, str] = {}
    for name, value in headers.items():
        lowered = name.lower()
        if lowered in _HEADER_NAMES or lowered.startswith(_HEADER_PREFIXES):
            kept[lowered] = value
    return kept


def parse_retry_after(
    headers: Mapping[str, str], *, now: Callable[[], float] = time.time
) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``retry-after`` (seconds or HTTP date)."""
    lowered = {name.lower(): value for name, value in headers.items()}
    millis = lowered.get("retry-after-ms")
    if millis is not None:
        try:
            return max(float(millis) / 1000.0, 0.0)
        except ValueError:
            pass
    value = lowered.get("retry-after")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - now(), 0.0)


# Context overflow, as each server words it (matched lower-cased):
_CONTEXT_PHRASES = (
    "context_length_exceeded",  # OpenAI's error code, also in LiteLLM's text
    "exceed_context_size_error",  # llama.cpp's error type
    "exceeds the available context size",  # llama.cpp
    "prompt is too long",  # Anthropic
    "maximum context length",  # OpenAI, vLLM, Ollama ("exceeds maximum context length")
    "exceeds the context length",  # Ollama
    "longer than the model's context length",  # vLLM, Together
    "longer than the maximum model length",  # vLLM
    "too long to fit into the model",  # vLLM
    "context window",
    "too many tokens",
)

# The window a context-overflow message states; the first group is the window.
_WINDOW_PATTERNS = tuple(
    re.compile(pattern)
    for pattern in (
        r"maximum context length is ([\d,]+)",  # OpenAI, vLLM
        r"tokens? > ([\d,]+) maximum",  # Anthropic
        r"available context size \(([\d,]+) tokens?\)",  # llama.cpp
        r"context length \(([\d,]+) tokens?\)",  # vLLM, Together
        r"maximum model length of ([\d,]+)",  # vLLM
        r"\(context length ([\d,]+)\)",  # vLLM
    )
)

_BY_ERROR_TYPE: dict[str, type[ModelError]] = {
    "overloaded_error": ProviderOverloaded,
    "rate_limit_error": RateLimited,
    "api_error": ProviderServerError,
    "timeout_error": ProviderServerError,
}


def _error_object(body: Any) -> Mapping[str, Any]:
    """The error object of an envelope: ``{"error": {...}}`` or a bare ``{...}``."""
    if isinstance(body, Mapping):
        inner = body.get("error")
        return inner if isinstance(inner, Mapping) else body
    return {}


def _error_message(body: Any, error: Mapping[str, Any]) -> str:
    detail = error.get("message")
    if isinstance(detail, str) and detail:
        return detail
    if isinstance(body, Mapping):
        # Ollama's native API: {"error": "the input length exceeds the context length"}
        inner = body.get("error")
        if isinstance(inner, str) and inner:
            return inner
        # vLLM before 0.10: {"object": "error", "message": ..., "type": ..., "code": 400}
        inner = body.get("message") or body.get("detail")
        if isinstance(inner, str) and inner:
            return inner
    if isinstance(body, str) and body:
        return body
    return "no error message"


def _is_context_length(error: Mapping[str, Any], message: str) -> bool:
    if error.get("code") == "context_length_exceeded":
        return True
    if error.get("type") == "exceed_context_size_error":
        return True
    lowered = message.lower()
    return any(phrase in lowered for phrase in _CONTEXT_PHRASES)


def context_window_in(error: Mapping[str, Any], message: str) -> int | None:
    """The context window a context-overflow error states, if it states one."""
    n_ctx = error.get("n_ctx")  # llama.cpp sends it as a field
    if isinstance(n_ctx, int) and not isinstance(n_ctx, bool) and n_ctx > 0:
        return n_ctx
    lowered = message.lower()
    for pattern in _WINDOW_PATTERNS:
        match = pattern.search(lowered)
        if match:
            return int(match.group(1).replace(",", ""))
    return None


def _class_for(status: int, error: Mapping[str, Any], message: str) -> type[ModelError]:
    error_type = error.get("type")
    if status == 429:
        return RateLimited
    if status == 529 or error_type == "overloaded_error":
        return ProviderOverloaded
    if status in (401, 403):
        return AuthenticationFailed
    if status == 404:
        return ModelNotFound
    # Before the 5xx rule: a server that reports an overflow with a 500 (some
    # OpenAI-compatible servers do) would otherwise be retried, failing each time.
    if _is_context_length(error, message):
        return ContextLengthExceeded
    if status in (408, 409) or status >= 500:
        return ProviderServerError
    if status >= 400:
        return BadRequest
    # An error event inside a 200 stream: only the body says what happened.
    if isinstance(error_type, str) and error_type in _BY_ERROR_TYPE:
        return _BY_ERROR_TYPE[error_type]
    return ProviderServerError


def error_for_status(
    status: int,
    *,
    provider: str,
    model: str,
    body: Any,
    headers: Mapping[str, str],
    exchange: RawExchange | None = None,
) -> ModelError:
    """Classify an HTTP error response (or an error event in a stream) into a ModelError."""
    error = _error_object(body)
    detail = _error_message(body, error)
    error_class = _class_for(status, error, detail)
    failure = error_class(
        f"{provider} model {model!r} failed with HTTP {status}: {detail}",
        provider=provider,
        model=model,
        status_code=status,
        body=body,
        headers=select_headers(headers),
        retry_after=parse_retry_after(headers),
        exchange=exchange,
    )
    if isinstance(failure, ContextLengthExceeded):
        failure.context_window = context_window_in(error, detail)
    return failure


def error_for_transport(
    exc: BaseException,
    *,
    provider: str,
    model: str,
    timed_out: bool,
    mid_stream: bool,
    exchange: RawExchange | None = None,
) -> ModelError:
    """Classify a failure without an HTTP status: timeout, connection, or a cut stream."""
    error_class: type[ModelError]
    if mid_stream:
        error_class, what = StreamInterrupted, "stream was interrupted"
    elif timed_out:
        error_class, what = ModelTimeout, "request timed out"
    else:
        error_class, what = ModelConnectionError, "connection failed"
    reason = str(exc) or type(exc).__name__
    return error_class(
        f"{provider} model {model!r}: {what}: {reason}",
        provider=provider,
        model=model,
        exchange=exchange,
    )


def missing_package(exc: ImportError, *, provider: str, model: str, extra: str) -> ModelConfigError:
    """The error for an SDK (or a package the SDK needs) that is not installed."""
    missing = (exc.name or "").split(".")[0] or str(exc)  # "mcp.types" -> "mcp"
    return ModelConfigError(
        f"{provider} model {model!r} cannot be called: the package {missing!r} is not "
        f"installed ({exc}); install it with pip install 'agentkit[{extra}]'",
        provider=provider,
        model=model,
        retryable=False,
    )


def import_error_in(exc: BaseException) -> ImportError | None:
    """The ``ImportError`` behind ``exc``, following causes and contexts."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ImportError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def scrub_exception_chain(exc: BaseException) -> None:
    """Scrub registered secrets from the messages of ``exc`` and the exceptions behind it.

    An SDK's exception often quotes the provider's error body, and a traceback
    (stored with a failed step or run) prints every exception of the chain.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        current.args = tuple(scrub(a) if isinstance(a, str) else a for a in current.args)
        for attribute in ("message", "body"):
            value = getattr(current, attribute, None)
            if isinstance(value, str | dict | list):
                try:
                    setattr(current, attribute, scrub_any(value))
                except AttributeError:  # a read-only property: args covered the text
                    pass
        current = current.__cause__ or current.__context__
