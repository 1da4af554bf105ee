"""``complete()``: the one entry point the engine drives model calls through.

It applies each model's rate limit and retry policy, fails over along a
``FallbackModel`` chain, and reports every attempt, failed or not, before it
goes on, so the engine can store each raw completion.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel, Field

from agentkit.models._errors import (
    ContextLengthExceeded,
    ModelError,
    RateLimited,
    ResponseParseError,
    scrub_exception_chain,
)
from agentkit.models._exchange import EventCallback, RawExchange, elapsed_ms, emit_event
from agentkit.models._retry import retry_model_call
from agentkit.models._types import ModelRequest, ModelResponse, StreamDone, Usage

if TYPE_CHECKING:
    from agentkit.models.ratelimit import Limiter
    from agentkit.retry import RetryPolicy

__all__ = ["Attempt", "complete"]


class Member(Protocol):
    """What `complete` needs of each model of a chain (`Model` has all of it)."""

    provider: str
    model_name: str
    rate_limit: Limiter | None
    retry: RetryPolicy

    async def call(
        self, request: ModelRequest, *, on_event: EventCallback | None = None
    ) -> RawExchange: ...
    def parse(self, raw: RawExchange) -> ModelResponse: ...
    def cost(self, usage: Usage, answered_by: str) -> float | None: ...
    def known_context_window(self) -> int | None: ...
    def estimate_tokens(self, request: ModelRequest) -> int: ...


class Chained(Protocol):
    """A model as `complete` drives it: its chain of members, tried in order."""

    @property
    def chain(self) -> Sequence[Member]: ...


class Attempt(BaseModel):
    """One try of one model, as the engine stores it.

    Attributes:
        number: 1-based across the whole chain.
        model_index: The model's position in the chain (0 = primary).
        provider: The model's provider.
        model: The model's name.
        exchange: The raw exchange, when the call got far enough to have one.
        error: ``{"type", "message", "status_code", "retryable", "body"}`` for a failure.
        response: The parsed reply of a success; not serialized (re-parse ``exchange``).
        usage: Reported token usage of a success.
        cost_usd: USD by the model's ``Price`` or the public price list; ``None``
            when neither knows the model that answered.
        latency_ms: Duration of the call.
        waited_s: Backoff slept before this attempt.
    """

    number: int
    model_index: int
    provider: str
    model: str
    exchange: RawExchange | None = None
    error: dict[str, Any] | None = None
    response: ModelResponse | None = Field(default=None, exclude=True)
    usage: Usage | None = None
    cost_usd: float | None = None
    latency_ms: float = 0.0
    waited_s: float = 0.0


AttemptCallback = Callable[[Attempt], Awaitable[None]]


async def _attempt(
    model: Member,
    request: ModelRequest,
    *,
    number: int,
    model_index: int,
    waited_s: float,
    on_attempt: AttemptCallback,
    on_event: EventCallback | None,
) -> Attempt:
    """Make one call, report it, and return it; a failure is reported, then raised."""
    limiter = model.rate_limit
    permit = await limiter.acquire(model.estimate_tokens(request)) if limiter else None
    started = time.perf_counter()
    record = Attempt(
        number=number,
        model_index=model_index,
        provider=model.provider,
        model=model.model_name,
        waited_s=waited_s,
    )
    try:
        exchange = await model.call(request, on_event=on_event)
        try:
            response = model.parse(exchange)
        except Exception as exc:  # parser bug or malformed reply: keep the exchange
            raise ResponseParseError(
                f"cannot parse the reply of {model.provider} model {model.model_name!r}: {exc}",
                provider=model.provider,
                model=model.model_name,
                exchange=exchange,
            ) from exc
    except ModelError as error:
        # The SDK exception behind it may quote a credential the provider echoed;
        # tracebacks of failed steps print the whole chain.
        scrub_exception_chain(error)
        if permit is not None:
            permit.release()  # before the (possibly slow) report, not after
        if limiter is not None:
            limiter.observe(error.headers)
            if isinstance(error, RateLimited):
                limiter.penalize(error.retry_after)
        record.exchange = error.exchange
        record.error = error.to_record()
        record.latency_ms = error.exchange.latency_ms if error.exchange else elapsed_ms(started)
        await on_attempt(record)
        raise
    finally:
        if permit is not None:
            permit.release()
    if limiter is not None and permit is not None:
        permit.settle(response.usage.total_tokens)
        limiter.observe(exchange.headers)
    record.exchange = exchange
    record.response = response
    record.usage = response.usage
    record.cost_usd = model.cost(response.usage, response.model)
    record.latency_ms = exchange.latency_ms
    await on_attempt(record)
    if on_event is not None:
        await emit_event(on_event, StreamDone(response=response))
    return record


async def _run_model(
    model: Member,
    request: ModelRequest,
    *,
    model_index: int,
    numbers: Iterator[int],
    on_attempt: AttemptCallback,
    on_event: EventCallback | None,
    sleep: Callable[[float], Awaitable[None]],
    clock: Callable[[], float],
) -> Attempt:
    """Run one model under its retry policy; raise its last error when it gives up."""

    async def attempt(waited: float) -> Attempt:
        return await _attempt(
            model,
            request,
            number=next(numbers),
            model_index=model_index,
            waited_s=waited,
            on_attempt=on_attempt,
            on_event=on_event,
        )

    return await retry_model_call(model.retry, attempt, sleep=sleep, clock=clock)


async def complete(
    model: Chained,
    request: ModelRequest,
    *,
    on_attempt: AttemptCallback,
    on_event: EventCallback | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Attempt:
    """Call ``model`` (or its chain) until one attempt succeeds.

    Every attempt is passed to ``on_attempt`` (and awaited) before anything
    else happens. With ``on_event`` replies are streamed, and a ``StreamDone``
    follows the successful attempt's deltas; a retried attempt streams anew.

    Args:
        model: A `Model`; a `FallbackModel` tries its members in order.
        request: The request, sent unchanged to every model.
        on_attempt: Receives each attempt; the engine stores them.
        on_event: Receives stream events; enables streaming.
        sleep: Awaitable sleep for backoff.
        clock: Monotonic clock for retry deadlines.

    Returns:
        The successful attempt; ``attempt.response`` is the parsed reply.

    Raises:
        ModelError: The last error, when no model succeeded.
    """
    chain = model.chain
    numbers = itertools.count(1)
    last_error: ModelError | None = None
    required_window: int | None = None  # set once a prompt overflowed a model
    for index, candidate in enumerate(chain):
        if required_window is not None:
            # A model whose window is unknown may be larger: it is tried, and if
            # it overflows too, its own error says how large it is.
            window = candidate.known_context_window()
            if window is not None and window <= required_window:
                continue
        try:
            return await _run_model(
                candidate,
                request,
                model_index=index,
                numbers=numbers,
                on_attempt=on_attempt,
                on_event=on_event,
                sleep=sleep,
                clock=clock,
            )
        except ContextLengthExceeded as error:
            failed_window = error.context_window or candidate.known_context_window()
            if failed_window is None:
                raise  # no way to tell which later model is larger
            required_window = max(failed_window, required_window or 0)
            last_error = error
        except ModelError as error:
            if not error.retryable:
                raise
            last_error = error
    assert last_error is not None  # the chain is never empty
    raise last_error
