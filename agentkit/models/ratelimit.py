"""Client-side rate limits: requests/min, tokens/min and concurrency.

``RateLimit`` keeps a **sliding-window log** per partition: the time and token
count of every request granted in the last ``window`` seconds (60 by
default). A request is granted when the window holds fewer than ``rpm``
requests and its estimated tokens fit under ``tpm``; otherwise it waits until
enough old entries leave the window. Unlike a token bucket, no 60-second span
ever holds more than the configured amounts, and a steady stream of requests
runs at the configured rate, not above it.

Token counts are estimates at grant time (``Permit.settle`` replaces one with
the reported usage). Provider headers tighten the limiter: ``observe`` reads
``x-ratelimit-remaining-*``/``x-ratelimit-reset-*`` (OpenAI) and
``anthropic-ratelimit-*-remaining``/``-reset``, and ``penalize`` pauses every
request after a 429. One instance can be shared by several models of one
account; ``key`` partitions it per tenant.

Clock and sleep are injected, so tests and benchmarks can run on fake time.
"""

from __future__ import annotations

import asyncio
import re
import time
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime

__all__ = ["Limiter", "Permit", "RateLimit"]

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
_DEFAULT_PENALTY = 1.0
_REQUEST_HEADERS = (
    ("x-ratelimit-remaining-requests", "x-ratelimit-reset-requests"),
    ("anthropic-ratelimit-requests-remaining", "anthropic-ratelimit-requests-reset"),
)
_TOKEN_HEADERS = (
    ("x-ratelimit-remaining-tokens", "x-ratelimit-reset-tokens"),
    ("anthropic-ratelimit-tokens-remaining", "anthropic-ratelimit-tokens-reset"),
    ("anthropic-ratelimit-input-tokens-remaining", "anthropic-ratelimit-input-tokens-reset"),
)


class Permit(ABC):
    """The right to make one call, granted by a :class:`Limiter`."""

    @abstractmethod
    def settle(self, actual_tokens: int) -> None:
        """Replace the estimate with the tokens the call really used."""

    @abstractmethod
    def release(self) -> None:
        """Free the concurrency slot; safe to call more than once."""


class Limiter(ABC):
    """Decides when a model call may start."""

    @abstractmethod
    async def acquire(self, estimated_tokens: int, *, key: str | None = None) -> Permit:
        """Wait until a call of ``estimated_tokens`` may start, then grant it."""

    @abstractmethod
    def observe(self, headers: Mapping[str, str], *, key: str | None = None) -> None:
        """Tighten the limits from a response's rate-limit headers."""

    @abstractmethod
    def penalize(self, retry_after: float | None, *, key: str | None = None) -> None:
        """Pause all calls for ``retry_after`` seconds after a 429."""


def parse_duration(text: str) -> float | None:
    """Seconds in an OpenAI reset duration such as ``"6ms"``, ``"1s"`` or ``"6m0s"``."""
    matches = _DURATION.findall(text)
    if not matches:
        return None
    return sum(float(amount) * _UNIT_SECONDS[unit] for amount, unit in matches)


def header_cap(
    headers: Mapping[str, str], names: tuple[str, str], wall_now: float
) -> tuple[int, float] | None:
    """(remaining, seconds until the reset) from a provider's header pair, or None.

    ``headers`` have lower-case names; ``names`` is the (remaining, reset)
    pair. The reset is an RFC 3339 instant (Anthropic), read against the wall
    clock ``wall_now``, or a duration such as ``"6m0s"`` (OpenAI).
    """
    remaining, reset = headers.get(names[0]), headers.get(names[1])
    if remaining is None or reset is None:
        return None
    try:
        count = int(float(remaining))
    except ValueError:
        return None
    if "T" in reset:
        try:
            moment = datetime.fromisoformat(reset.replace("Z", "+00:00"))
        except ValueError:
            return None
        return count, max(moment.timestamp() - wall_now, 0.0)
    reset_in = parse_duration(reset)
    return None if reset_in is None else (count, reset_in)


async def wait_for_change(
    changed: asyncio.Event, timeout: float, sleep: Callable[[float], Awaitable[None]]
) -> None:
    """Return when ``changed`` is set or ``sleep(timeout)`` is over, whichever comes first."""
    sleeper = asyncio.ensure_future(sleep(timeout))
    waker = asyncio.ensure_future(changed.wait())
    try:
        await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        sleeper.cancel()
        waker.cancel()


class _Entry:
    __slots__ = ("at", "expired", "tokens")

    def __init__(self, at: float, tokens: int) -> None:
        self.at = at
        self.tokens = tokens
        self.expired = False


class _Partition:
    """The window log and the provider-reported caps of one key."""

    def __init__(self) -> None:
        self.entries: deque[_Entry] = deque()
        self.token_sum = 0
        self.in_flight = 0
        self.blocked_until = 0.0
        self.requests_cap: tuple[int, float] | None = None  # (remaining, reset at)
        self.tokens_cap: tuple[int, float] | None = None
        self.lock = asyncio.Lock()
        self.changed = asyncio.Event()  # set when a settle or release frees capacity

    def expire(self, before: float) -> None:
        while self.entries and self.entries[0].at <= before:
            entry = self.entries.popleft()
            entry.expired = True
            self.token_sum -= entry.tokens

    def settle(self, entry: _Entry, actual: int) -> None:
        if not entry.expired:
            self.token_sum += actual - entry.tokens
        entry.tokens = actual
        self.changed.set()

    def release(self) -> None:
        self.in_flight -= 1
        self.changed.set()


class _RateLimitPermit(Permit):
    def __init__(self, partition: _Partition, entry: _Entry) -> None:
        self._partition = partition
        self._entry = entry
        self._released = False

    def settle(self, actual_tokens: int) -> None:
        self._partition.settle(self._entry, actual_tokens)

    def release(self) -> None:
        if not self._released:
            self._released = True
            self._partition.release()


class RateLimit(Limiter):
    """An in-process limiter for one provider account.

    Args:
        rpm: Requests per window (per minute by default).
        tpm: Tokens per window, counted from estimates corrected by usage.
        max_concurrency: Calls in flight at once.
        key: The default partition: a tenant id, or a function returning the
            current one (e.g. reading a context variable). Each partition has
            the full limits; ``None`` is the shared partition.
        clock: Monotonic seconds.
        sleep: Awaitable sleep, paired with ``clock``.
        wall_clock: Epoch seconds, to read Anthropic's absolute reset times.
        window: The window length in seconds.
    """

    def __init__(
        self,
        rpm: int | None = None,
        tpm: int | None = None,
        max_concurrency: int | None = None,
        key: str | Callable[[], str | None] | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        wall_clock: Callable[[], float] = time.time,
        window: float = 60.0,
    ) -> None:
        self.rpm = rpm
        self.tpm = tpm
        self.max_concurrency = max_concurrency
        self.key = key
        self.window = window
        self._clock = clock
        self._sleep = sleep
        self._wall_clock = wall_clock
        self._partitions: dict[str | None, _Partition] = {}

    def _partition(self, key: str | None) -> _Partition:
        if key is None:
            key = self.key() if callable(self.key) else self.key
        partition = self._partitions.get(key)
        if partition is None:
            partition = self._partitions[key] = _Partition()
        return partition

    def _delay(self, partition: _Partition, now: float, tokens: int) -> float:
        """Seconds until a request of ``tokens`` fits; 0 when it fits now."""
        delays = [partition.blocked_until - now]
        if self.rpm is not None and len(partition.entries) >= self.rpm:
            delays.append(partition.entries[-self.rpm].at + self.window - now)
        if self.tpm is not None:
            excess = partition.token_sum + min(tokens, self.tpm) - self.tpm
            for entry in partition.entries:
                if excess <= 0:
                    break
                excess -= entry.tokens
                delays.append(entry.at + self.window - now)
        if partition.requests_cap is not None:
            remaining, reset_at = partition.requests_cap
            if remaining <= 0:
                delays.append(reset_at - now)
        if partition.tokens_cap is not None:
            remaining, reset_at = partition.tokens_cap
            if remaining < tokens:
                delays.append(reset_at - now)
        return max(0.0, *delays)

    def _drop_stale_caps(self, partition: _Partition, now: float) -> None:
        if partition.requests_cap is not None and partition.requests_cap[1] <= now:
            partition.requests_cap = None
        if partition.tokens_cap is not None and partition.tokens_cap[1] <= now:
            partition.tokens_cap = None

    async def acquire(self, estimated_tokens: int, *, key: str | None = None) -> Permit:
        """Wait (FIFO per partition) until the call fits every limit, then grant it."""
        partition = self._partition(key)
        async with partition.lock:
            while True:
                now = self._clock()
                partition.expire(now - self.window)
                self._drop_stale_caps(partition, now)
                delay = self._delay(partition, now, estimated_tokens)
                full = self.max_concurrency is not None and (
                    partition.in_flight >= self.max_concurrency
                )
                if delay <= 0 and not full:
                    break
                # Wake early when a settle or release frees capacity.
                partition.changed.clear()
                await self._wait(partition.changed, delay if delay > 0 else None)
            entry = _Entry(now, estimated_tokens)
            partition.entries.append(entry)
            partition.token_sum += estimated_tokens
            partition.in_flight += 1
            if partition.requests_cap is not None:
                remaining, reset_at = partition.requests_cap
                partition.requests_cap = (remaining - 1, reset_at)
            if partition.tokens_cap is not None:
                remaining, reset_at = partition.tokens_cap
                partition.tokens_cap = (remaining - estimated_tokens, reset_at)
            return _RateLimitPermit(partition, entry)

    async def _wait(self, changed: asyncio.Event, timeout: float | None) -> None:
        if timeout is None:
            await changed.wait()
        else:
            await wait_for_change(changed, timeout, self._sleep)

    def _cap(self, headers: Mapping[str, str], names: tuple[str, str]) -> tuple[int, float] | None:
        cap = header_cap(headers, names, self._wall_clock())
        return None if cap is None else (cap[0], self._clock() + cap[1])

    def observe(self, headers: Mapping[str, str], *, key: str | None = None) -> None:
        """Adopt the provider's remaining requests and tokens until their reset.

        Of several token headers (Anthropic reports total and input tokens),
        the one with the fewest remaining wins.
        """
        lowered = {name.lower(): value for name, value in headers.items()}
        partition = self._partition(key)
        for names in _REQUEST_HEADERS:
            cap = self._cap(lowered, names)
            if cap is not None:
                partition.requests_cap = cap
        token_caps = [cap for names in _TOKEN_HEADERS if (cap := self._cap(lowered, names))]
        if token_caps:
            partition.tokens_cap = min(token_caps)

    def penalize(self, retry_after: float | None, *, key: str | None = None) -> None:
        """Hold every call of the partition for ``retry_after`` seconds (1 s if unknown)."""
        partition = self._partition(key)
        pause = retry_after if retry_after is not None else _DEFAULT_PENALTY
        partition.blocked_until = max(partition.blocked_until, self._clock() + pause)
