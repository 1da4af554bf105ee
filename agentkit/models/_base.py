"""The ``Model`` boundary: an I/O half (``call``) and a pure half (``parse``).

`Model` also drives itself: ``request()`` and ``stream()`` run `complete()`
over its :attr:`~Model.chain` (the model itself, or a `FallbackModel`'s
members), and it is what ``ctx.step.infer`` records (the engine's
``Recordable`` protocol: `recording_input`, `call_recorded`, `parse_recorded`,
`call_errors`).
"""

from __future__ import annotations

import asyncio
import contextlib
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from agentkit.errors import UsageError
from agentkit.models._complete import Attempt, complete
from agentkit.models._errors import ModelError, StreamInterrupted
from agentkit.models._exchange import EventCallback, RawExchange, StoredFields, elapsed_ms
from agentkit.models._registry import parse_raw
from agentkit.models._retry import MODEL_CALL_RETRY, RetryPolicy
from agentkit.models._types import ModelRequest, ModelResponse, StreamEvent, Usage

if TYPE_CHECKING:
    from agentkit.models._cost import Price
    from agentkit.models.ratelimit import Limiter

__all__ = ["Model"]


async def _ignore_attempt(_attempt: Any) -> None:
    return None


class Model(ABC):
    """One model at one provider (or a `FallbackModel` chain of them).

    The engine stores every attempt `call_recorded` reports and re-parses the
    stored exchange with `parse_recorded`, so a replay never calls the model again.

    Attributes:
        provider: ``"openai"``, ``"anthropic"``, ``"litellm"``, ``"scripted"``
            or ``"fallback"``.
        model_name: The provider's model id.
        rate_limit: The limiter every call acquires first, possibly shared with other models.
        retry: How :func:`complete` retries this model.
        context_window: Prompt capacity in tokens; decides failover on context-length errors.
        price: What a call costs; ``None`` to look the model up in the public price list.
    """

    provider: str
    default_max_tokens: int | None = None

    def __init__(
        self,
        model_name: str,
        *,
        rate_limit: Limiter | None = None,
        retry: RetryPolicy | None = None,
        context_window: int | None = None,
        price: Price | None = None,
    ) -> None:
        self.model_name = model_name
        self.rate_limit = rate_limit
        self.retry = retry if retry is not None else MODEL_CALL_RETRY
        self.context_window = context_window
        self.price = price

    @property
    def chain(self) -> Sequence[Model]:
        """The models `complete` tries in order: this one (a `FallbackModel`: its members)."""
        return (self,)

    @property
    def call_errors(self) -> tuple[type[Exception], ...]:
        """A call that failed for good raises a `ModelError` (journaled as the step's failure)."""
        return (ModelError,)

    def recording_input(self, request: ModelRequest) -> Any:
        """The request as JSON: what a recorded call's fingerprint is made of."""
        if not isinstance(request, ModelRequest):
            raise UsageError(
                f"a model call needs an agentkit.models.ModelRequest, got {type(request).__name__}"
            )
        return request.model_dump(mode="json")

    async def call_recorded(
        self,
        request: ModelRequest,
        *,
        on_attempt: Callable[[Attempt], Awaitable[None]],
        on_event: Callable[[StreamEvent], Any] | None,
        sleep: Callable[[float], Awaitable[None]],
        clock: Callable[[], float],
    ) -> Attempt:
        """`complete` with the engine's callbacks: every attempt reported, the success returned."""
        return await complete(
            self,
            request,
            on_attempt=on_attempt,
            on_event=on_event,
            sleep=sleep,
            clock=clock,
        )

    def parse_recorded(self, stored: StoredFields) -> ModelResponse:
        """Parse a stored exchange with its provider's parser (pure, offline)."""
        return parse_raw(RawExchange.from_stored(stored))

    async def request(self, request: ModelRequest) -> ModelResponse:
        """Call the model with retries, rate limits and failover; return the parsed reply."""
        attempt = await complete(self, request, on_attempt=_ignore_attempt)
        assert attempt.response is not None  # complete() returns only successful attempts
        return attempt.response

    async def stream(self, request: ModelRequest) -> AsyncIterator[StreamEvent]:
        """Stream the reply: text and tool-call deltas, then one ``StreamDone``.

        When an attempt fails mid-stream and is retried, the deltas of the next
        attempt follow; ``StreamDone`` carries the response that succeeded.
        """
        queue: asyncio.Queue[StreamEvent | None] = asyncio.Queue()

        async def run() -> None:
            try:
                await complete(
                    self,
                    request,
                    on_attempt=_ignore_attempt,
                    on_event=queue.put_nowait,
                )
            finally:
                queue.put_nowait(None)

        task = asyncio.create_task(run())
        try:
            while (event := await queue.get()) is not None:
                yield event
            await task
        finally:
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    @property
    def uses_public_prices(self) -> bool:
        """Whether the public price list (and its context windows) speaks for this model.

        False for a model served from a custom ``base_url``: a local server that
        answers to ``"gpt-4o-mini"`` neither costs nor holds what OpenAI's does.
        """
        return True

    def cost(self, usage: Usage, answered_by: str) -> float | None:
        """USD of one call: by :attr:`price`, else by the public price of ``answered_by``.

        Args:
            usage: The call's reported usage.
            answered_by: The model the provider reports it answered with (not
                necessarily the one asked for).
        """
        if self.price is not None:
            return self.price.cost(usage)
        if not self.uses_public_prices:
            return None
        from agentkit.models._cost import cost_usd

        return cost_usd(usage, answered_by, provider=self.provider)

    def known_context_window(self) -> int | None:
        """Prompt capacity: :attr:`context_window`, else the public list's, if it applies."""
        if self.context_window is not None:
            return self.context_window
        if not self.uses_public_prices:
            return None
        from agentkit.models._cost import context_window_for

        return context_window_for(self.model_name, self.provider)

    def _answered(
        self,
        body: dict[str, Any],
        status_code: int,
        headers: dict[str, str],
        response_body: dict[str, Any],
        started: float,
    ) -> RawExchange:
        """The exchange of a call answered in one JSON body."""
        return RawExchange(
            provider=self.provider,
            model=self.model_name,
            request_body=body,
            response_body=response_body,
            status_code=status_code,
            headers=headers,
            latency_ms=elapsed_ms(started),
        )

    def _stream_opened(
        self, body: dict[str, Any], status_code: int, headers: dict[str, str]
    ) -> RawExchange:
        """The exchange of a stream that has just opened; events are appended to it
        in place, so it holds what arrived even if the stream breaks."""
        return RawExchange(
            provider=self.provider,
            model=self.model_name,
            request_body=body,
            stream_events=[],
            status_code=status_code,
            headers=headers,
        )

    def _stream_closed(
        self, exchange: RawExchange, started: float, finished: bool, missing: str
    ) -> RawExchange:
        """Stamp the latency; a stream that ended without its last event was cut."""
        exchange.latency_ms = elapsed_ms(started)
        if not finished:
            raise StreamInterrupted(
                f"{self.provider} model {self.model_name!r}: stream ended {missing}",
                provider=self.provider,
                model=self.model_name,
                exchange=exchange,
            )
        return exchange

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.model_name!r})"

    @abstractmethod
    async def call(
        self, request: ModelRequest, *, on_event: EventCallback | None = None
    ) -> RawExchange:
        """Send one request, without retries, and return what came back.

        With ``on_event`` the reply is streamed and each delta is handed to it as
        it arrives. Failures raise a :class:`ModelError` subclass carrying the
        status, body, allow-listed headers and the partial exchange.
        """

    def parse(self, raw: RawExchange) -> ModelResponse:
        """Turn a raw exchange into a ``ModelResponse``; pure, no I/O."""
        return parse_raw(raw)

    def estimate_tokens(self, request: ModelRequest) -> int:
        """Tokens this request may consume (prompt estimate plus its output cap)."""
        from agentkit.models._tokens import estimate_request_tokens

        return estimate_request_tokens(
            self.model_name, request, default_max_tokens=self.default_max_tokens
        )
