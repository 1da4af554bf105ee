"""The `Embedder` boundary: texts in, vectors out, every call recordable like a completion.

An embedder has the two halves a `Model` has: ``call`` (one request, raw
provider JSON back, no retries) and ``parse`` (raw JSON to vectors, pure).
Around them it brings retries (its `RetryPolicy`), an optional rate limit
and the engine's ``Recordable`` protocol, so ``ctx.step.infer(id, embedder,
EmbeddingRequest(texts=[...]))`` stores each attempt's raw exchange as a
completion and a replay re-parses the stored one without a request.

`HashEmbedder` is the deterministic offline fake (no network, no model):
words hashed into a fixed number of signed buckets, normalized.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import re
import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from agentkit.errors import ConfigError, UsageError
from agentkit.models._complete import Attempt
from agentkit.models._errors import (
    ModelError,
    RateLimited,
    ResponseParseError,
    scrub_exception_chain,
)
from agentkit.models._exchange import RawExchange, StoredFields, elapsed_ms
from agentkit.models._retry import MODEL_CALL_RETRY, RetryPolicy, retry_model_call
from agentkit.models._tokens import count_tokens
from agentkit.models._types import Usage

if TYPE_CHECKING:
    from agentkit.models.ratelimit import Limiter

__all__ = ["Embedder", "EmbeddingRequest", "Embeddings", "HashEmbedder"]


class EmbeddingRequest(BaseModel):
    """Texts to embed, in order."""

    model_config = ConfigDict(frozen=True)

    texts: list[str] = Field(min_length=1)


class Embeddings(BaseModel):
    """One vector per text, in the request's order."""

    vectors: list[list[float]]
    model: str
    usage: Usage = Field(default_factory=Usage)


AttemptCallback = Callable[[Attempt], Awaitable[None]]


async def _ignore(_attempt: Attempt) -> None:
    return None


class Embedder(ABC):
    """Turns texts into vectors through one provider model.

    Attributes:
        provider: ``"openai"``, ``"litellm"``, ``"hash"``...
        model_name: The provider's model id.
        rate_limit: A limiter every call acquires first (tokens estimated from the texts).
        retry: How calls are retried (retryable failures only: 429, 5xx, timeouts).
    """

    provider: str

    def __init__(
        self,
        model_name: str,
        *,
        rate_limit: Limiter | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.model_name = model_name
        self.rate_limit = rate_limit
        self.retry = retry if retry is not None else MODEL_CALL_RETRY

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.model_name!r})"

    @abstractmethod
    async def call(self, texts: list[str]) -> RawExchange:
        """Send one request, without retries; failures raise a `ModelError`."""

    @abstractmethod
    def parse(self, raw: RawExchange) -> Embeddings:
        """The vectors a raw exchange holds; pure, no I/O."""

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """Embed outside a run (retries, rate limit); inside one, use ``ctx.step.infer``."""
        attempt = await self.call_recorded(
            self._request(texts),
            on_attempt=_ignore,
            on_event=None,
            sleep=_sleep,
            clock=time.monotonic,
        )
        return self.parse(_raw(attempt)).vectors

    # -- the engine's Recordable protocol ------------------------------------

    @property
    def call_errors(self) -> tuple[type[Exception], ...]:
        """A call that failed for good raises a `ModelError` (journaled as the step's failure)."""
        return (ModelError,)

    def recording_input(self, request: EmbeddingRequest) -> Any:
        """What the step's fingerprint is made of: the model and the texts."""
        if not isinstance(request, EmbeddingRequest):
            raise UsageError(
                f"an embedding call needs an agentkit.models.EmbeddingRequest, "
                f"got {type(request).__name__}"
            )
        return {"embed": self.model_name, "texts": request.texts}

    async def call_recorded(
        self,
        request: EmbeddingRequest,
        *,
        on_attempt: AttemptCallback,
        on_event: Callable[[Any], Any] | None,
        sleep: Callable[[float], Awaitable[None]],
        clock: Callable[[], float],
    ) -> Attempt:
        """Call until an attempt succeeds under `retry`; report every attempt first."""
        numbers = itertools.count(1)

        async def attempt(waited: float) -> Attempt:
            return await self._attempt(request.texts, next(numbers), waited, on_attempt)

        return await retry_model_call(self.retry, attempt, sleep=sleep, clock=clock)

    def parse_recorded(self, stored: StoredFields) -> Embeddings:
        """The vectors of a stored exchange (pure, offline: a replay makes no request)."""
        return self.parse(RawExchange.from_stored(stored))

    # -- one attempt -----------------------------------------------------------

    async def _attempt(
        self, texts: list[str], number: int, waited_s: float, on_attempt: AttemptCallback
    ) -> Attempt:
        limiter = self.rate_limit
        estimate = sum(count_tokens(self.model_name, text) for text in texts)
        permit = await limiter.acquire(estimate) if limiter else None
        started = time.perf_counter()
        record = Attempt(
            number=number,
            model_index=0,
            provider=self.provider,
            model=self.model_name,
            waited_s=waited_s,
        )
        try:
            try:
                exchange = await self.call(texts)
                embeddings = self._parsed(exchange)
            except ModelError as error:
                scrub_exception_chain(error)
                if permit is not None:
                    permit.release()  # before the (possibly slow) report, not after
                if limiter is not None:
                    limiter.observe(error.headers)
                    if isinstance(error, RateLimited):
                        limiter.penalize(error.retry_after)
                record.exchange = error.exchange
                record.error = error.to_record()
                record.latency_ms = (
                    error.exchange.latency_ms if error.exchange else elapsed_ms(started)
                )
                await on_attempt(record)
                raise
        finally:
            if permit is not None:
                permit.release()
        if limiter is not None and permit is not None:
            permit.settle(embeddings.usage.input_tokens or estimate)
            limiter.observe(exchange.headers)
        record.exchange = exchange
        record.usage = embeddings.usage
        record.latency_ms = exchange.latency_ms
        await on_attempt(record)
        return record

    def _parsed(self, exchange: RawExchange) -> Embeddings:
        try:
            return self.parse(exchange)
        except Exception as exc:  # parser bug or malformed reply: keep the exchange
            raise ResponseParseError(
                f"cannot parse the embeddings of {self.provider} model {self.model_name!r}: {exc}",
                provider=self.provider,
                model=self.model_name,
                exchange=exchange,
            ) from exc

    def _request(self, texts: Sequence[str]) -> EmbeddingRequest:
        if isinstance(texts, str) or not all(isinstance(t, str) for t in texts):
            raise ConfigError(f"{self!r}: embed() takes a list of strings")
        return EmbeddingRequest(texts=list(texts))


def _raw(attempt: Attempt) -> RawExchange:
    assert attempt.exchange is not None  # a successful attempt always has its exchange
    return attempt.exchange


async def _sleep(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)


_WORD = re.compile(r"\w+", re.UNICODE)


class HashEmbedder(Embedder):
    """A deterministic offline embedder for tests and examples: no network, no model.

    Each lower-cased word (and each pair of neighbouring words) adds ±1 to one
    of ``dimensions`` buckets chosen by a hash; the vector is then normalized.
    Texts that share words are close, which is enough to test recall; it knows
    nothing of meaning.
    """

    provider = "hash"

    def __init__(self, dimensions: int = 256, *, retry: RetryPolicy | None = None) -> None:
        if not isinstance(dimensions, int) or isinstance(dimensions, bool) or dimensions < 8:
            raise ConfigError(f"HashEmbedder dimensions must be an int >= 8, got {dimensions!r}")
        super().__init__(f"hash-{dimensions}", retry=retry)
        self.dimensions = dimensions

    def vector(self, text: str) -> list[float]:
        """The vector of one text (pure)."""
        words = [w.lower() for w in _WORD.findall(text)]
        features = words + [f"{a} {b}" for a, b in itertools.pairwise(words)]
        values = [0.0] * self.dimensions
        for feature in features:
            digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
            index = int.from_bytes(digest[:4], "little") % self.dimensions
            values[index] += 1.0 if digest[4] & 1 else -1.0
        norm = math.sqrt(sum(v * v for v in values))
        return [v / norm for v in values] if norm else values

    async def call(self, texts: list[str]) -> RawExchange:
        """Embed locally; the exchange has the shape of OpenAI's embeddings reply."""
        started = time.perf_counter()
        data = [
            {"object": "embedding", "index": i, "embedding": self.vector(t)}
            for i, t in enumerate(texts)
        ]
        words = sum(len(_WORD.findall(t)) for t in texts)
        return RawExchange(
            provider=self.provider,
            model=self.model_name,
            request_body={"model": self.model_name, "input": texts},
            response_body={
                "object": "list",
                "data": data,
                "model": self.model_name,
                "usage": {"prompt_tokens": words, "total_tokens": words},
            },
            status_code=200,
            latency_ms=elapsed_ms(started),
        )

    def parse(self, raw: RawExchange) -> Embeddings:
        """Read an OpenAI-shaped embeddings reply."""
        return parse_openai_embeddings(raw)


def parse_openai_embeddings(raw: RawExchange) -> Embeddings:
    """Vectors of an OpenAI-shaped ``/embeddings`` reply (OpenAI, LiteLLM, the hash fake)."""
    body = raw.response_body
    if body is None:
        raise ValueError(f"exchange with {raw.model!r} has no response body")
    data = sorted(body["data"], key=lambda item: item["index"])
    usage = body.get("usage") or {}
    return Embeddings(
        vectors=[[float(x) for x in item["embedding"]] for item in data],
        model=str(body.get("model") or raw.model),
        usage=Usage(input_tokens=int(usage.get("prompt_tokens") or 0)),
    )
