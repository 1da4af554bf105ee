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
    │   └── ContextLengthExceeded   the prompt does not fit the model
    ├── AuthenticationFailed        401, 403
    ├── ModelNotFound               404
    ├── ResponseParseError          the reply arrived but could not be parsed
    └── ScriptExhausted             a ScriptedModel ran out of responses

Adapters build these with :func:`error_for_status` and
:func:`error_for_transport`; nothing else inspects SDK exceptions.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from agentkit.errors import AgentkitError

if TYPE_CHECKING:
    from agentkit.models._base import RawExchange

__all__ = [
    "AuthenticationFailed",
    "BadRequest",
    "ContextLengthExceeded",
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
        super().__init__(message)
        self.message = message
        self.provider = provider
        self.model = model
        self.status_code = status_code
        self.body = body
        self.headers: dict[str, str] = dict(headers or {})
        self.retryable = self.default_retryable if retryable is None else retryable
        self.retry_after = retry_after
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
    """The prompt does not fit the model's context window."""


class AuthenticationFailed(ModelError):
    """The credentials were refused (401, 403)."""


class ModelNotFound(ModelError):
    """The model or endpoint does not exist (404)."""


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


_CONTEXT_PHRASES = (
    "prompt is too long",
    "context_length_exceeded",
    "maximum context length",
    "context window",
    "too many tokens",
)

_BY_ERROR_TYPE: dict[str, type[ModelError]] = {
    "overloaded_error": ProviderOverloaded,
    "rate_limit_error": RateLimited,
    "api_error": ProviderServerError,
    "timeout_error": ProviderServerError,
}


def _error_object(body: Any) -> Mapping[str, Any]:
    if isinstance(body, Mapping):
        inner = body.get("error")
        return inner if isinstance(inner, Mapping) else body
    return {}


def _is_context_length(error: Mapping[str, Any], message: str) -> bool:
    if error.get("code") == "context_length_exceeded":
        return True
    lowered = message.lower()
    return any(phrase in lowered for phrase in _CONTEXT_PHRASES)


def _class_for(status: int, error: Mapping[str, Any], message: str) -> type[ModelError]:
    error_type = error.get("type")
    if status == 429:
        return RateLimited
    if status == 529 or error_type == "overloaded_error":
        return ProviderOverloaded
    if status in (408, 409) or status >= 500:
        return ProviderServerError
    if status in (401, 403):
        return AuthenticationFailed
    if status == 404:
        return ModelNotFound
    if status >= 400:
        return ContextLengthExceeded if _is_context_length(error, message) else BadRequest
    # An error event inside a 200 stream: only the body says what happened.
    if isinstance(error_type, str) and error_type in _BY_ERROR_TYPE:
        return _BY_ERROR_TYPE[error_type]
    return ContextLengthExceeded if _is_context_length(error, message) else ProviderServerError


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
    detail = error.get("message")
    if not isinstance(detail, str):
        detail = body if isinstance(body, str) and body else "no error message"
    error_class = _class_for(status, error, detail)
    return error_class(
        f"{provider} model {model!r} failed with HTTP {status}: {detail}",
        provider=provider,
        model=model,
        status_code=status,
        body=body,
        headers=select_headers(headers),
        retry_after=parse_retry_after(headers),
        exchange=exchange,
    )


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
