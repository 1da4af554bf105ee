"""I/O-edge helpers shared by the SDK adapters: error exchanges and transport errors."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Mapping
from typing import Any, Protocol

from agentkit.models._errors import ModelError, error_for_status, select_headers
from agentkit.models._exchange import RawExchange, elapsed_ms

__all__ = [
    "HTTPResponse",
    "elapsed_ms",
    "error_from_response",
    "installed",
    "transport_error_types",
]


def installed(module: str) -> bool:
    """Whether ``module`` can be imported, without importing it (an SDK import is slow)."""
    try:
        return importlib.util.find_spec(module) is not None
    except ValueError:  # in sys.modules as None: imports of it are blocked
        return False


class HTTPResponse(Protocol):
    """The part of an ``httpx``/``httpx2`` response the adapters read."""

    @property
    def status_code(self) -> int: ...

    @property
    def headers(self) -> Mapping[str, str]: ...

    @property
    def text(self) -> str: ...

    def json(self) -> Any: ...


def _json_or_text(response: HTTPResponse) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text


def error_from_response(
    response: HTTPResponse,
    *,
    provider: str,
    model: str,
    request_body: dict[str, Any],
    started: float,
    body: Any = None,
    stream_events: list[dict[str, Any]] | None = None,
) -> ModelError:
    """Classify an error response and attach the exchange that produced it.

    ``body`` overrides the response's own body (an error event inside a stream).
    """
    if body is None:
        body = _json_or_text(response)
    exchange = RawExchange(
        provider=provider,
        model=model,
        request_body=request_body,
        response_body=body if isinstance(body, dict) else {"text": str(body)},
        stream_events=stream_events,
        status_code=response.status_code,
        headers=select_headers(response.headers),
        latency_ms=elapsed_ms(started),
    )
    status = response.status_code
    return error_for_status(
        status,
        provider=provider,
        model=model,
        body=body,
        headers=response.headers,
        exchange=exchange,
    )


ErrorTypes = tuple[type[BaseException], ...]


def transport_error_types() -> tuple[ErrorTypes, ErrorTypes]:
    """``(transport errors, timeouts)`` of the HTTP libraries loaded in this process.

    The OpenAI SDK uses ``httpx`` and recent Anthropic SDKs ``httpx2``; a library
    that is not imported cannot have raised anything, so only loaded ones count.
    """
    transport: list[type[BaseException]] = []
    timeouts: list[type[BaseException]] = []
    for name in ("httpx", "httpx2"):
        module = sys.modules.get(name)
        for attribute, found in (("TransportError", transport), ("TimeoutException", timeouts)):
            error = getattr(module, attribute, None)
            if isinstance(error, type) and issubclass(error, BaseException):
                found.append(error)
    return tuple(transport), tuple(timeouts)
