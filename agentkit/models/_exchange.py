"""What went over the wire for one model call, and the helpers around it.

A leaf of the model layer: the adapters, the parsers, `complete()` and the
`Model` boundary all build on these, and these import none of them.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable
from typing import Any, Protocol

from pydantic import BaseModel, Field

from agentkit.models._types import StreamEvent

__all__ = [
    "EventCallback",
    "RawExchange",
    "StoredFields",
    "elapsed_ms",
    "emit_event",
    "exchange_body",
]

EventCallback = Callable[[StreamEvent], Any]
"""Receives stream events; may return an awaitable, which is awaited."""


class StoredFields(Protocol):
    """A stored exchange as the engine hands it back for re-parsing (see `parse_recorded`)."""

    @property
    def provider(self) -> str: ...
    @property
    def model(self) -> str: ...
    @property
    def request_body(self) -> dict[str, Any]: ...
    @property
    def response_body(self) -> dict[str, Any] | None: ...
    @property
    def stream_events(self) -> list[dict[str, Any]] | None: ...
    @property
    def status_code(self) -> int | None: ...
    @property
    def headers(self) -> dict[str, str]: ...
    @property
    def latency_ms(self) -> float: ...


class RawExchange(BaseModel):
    """What went over the wire for one call, enough to parse it again offline.

    Never holds request headers, API keys or auth: ``request_body`` is the JSON
    body only, and ``headers`` keeps the allow-listed response headers.

    Attributes:
        provider: The adapter that made the call; selects the parser on replay.
        model: The model that was asked.
        request_body: The JSON body sent.
        response_body: The JSON body received (success or error), for unstreamed calls.
        stream_events: The raw JSON events received, in order, for streamed calls.
        status_code: The HTTP status, when known.
        headers: Allow-listed response headers (request ids, retry-after, rate limits).
        latency_ms: Wall time of the call.
    """

    provider: str
    model: str
    request_body: dict[str, Any]
    response_body: dict[str, Any] | None = None
    stream_events: list[dict[str, Any]] | None = None
    status_code: int | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    latency_ms: float = 0.0

    @classmethod
    def from_stored(cls, stored: StoredFields) -> RawExchange:
        """The exchange a stored completion holds (the engine's ``StoredExchange``)."""
        return cls(
            provider=stored.provider,
            model=stored.model,
            request_body=stored.request_body,
            response_body=stored.response_body,
            stream_events=stored.stream_events,
            status_code=stored.status_code,
            headers=stored.headers,
            latency_ms=stored.latency_ms,
        )


def exchange_body(
    raw: RawExchange, from_events: Callable[[list[dict[str, Any]]], dict[str, Any]]
) -> dict[str, Any]:
    """The response body of a stored exchange: as received, or assembled from its events."""
    if raw.stream_events is not None:
        return from_events(raw.stream_events)
    if raw.response_body is not None:
        return raw.response_body
    raise ValueError(f"exchange with {raw.model!r} has neither a response body nor events")


def elapsed_ms(started: float) -> float:
    """Milliseconds since ``started`` (a ``time.perf_counter()`` reading)."""
    return (time.perf_counter() - started) * 1000.0


async def emit_event(on_event: EventCallback, event: StreamEvent) -> None:
    """Hand ``event`` to the callback, awaiting it when it returns an awaitable."""
    result = on_event(event)
    if inspect.isawaitable(result):
        await result
