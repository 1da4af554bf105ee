"""A rate limit kept in the store, so that many worker processes share it.

``RateLimit`` counts one process's calls; N workers each given the account's
RPM would send N times too many. ``SharedRateLimit`` asks the store instead:
each grant is one transaction that reads the limit's window (the same sliding
log as ``RateLimit``) and records a permit, so every process sharing the
database together stays within ``rpm``, ``tpm`` and ``max_concurrency``. A
permit in flight holds a lease, renewed by its process's next grants; a
process killed mid-call stops renewing, and its slots come back after at most
``lease`` seconds. Provider headers and 429 pauses are stored too: a 429 seen
by one worker pauses all of them.

Within a process, callers of one limit queue in order (an asyncio lock), so a
process asks the store once at a time, and a release wakes the next caller at
once; a release in another process is seen at the next poll. When only the
window is full, the store books the call for the time the window frees room
and the caller sleeps until then, so a saturated limit costs one transaction
per call however many processes wait on it.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping

from agentkit.errors import UsageError
from agentkit.models.ratelimit import (
    _DEFAULT_PENALTY,
    _REQUEST_HEADERS,
    _TOKEN_HEADERS,
    Limiter,
    Permit,
    header_cap,
    wait_for_change,
)
from agentkit.store import RateLimits, Store

__all__ = ["SharedRateLimit"]

_MAX_NAME = 300  # the store's column; checked here so a long name fails clearly
_MAX_HOLDER = 100


class _Local:
    """One limit name's queue in this process."""

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.changed = asyncio.Event()  # set when a permit of this process is released
        self.live = 0  # permits of this process not yet released


class _SharedPermit(Permit):
    def __init__(self, limiter: SharedRateLimit, permit_id: str, local: _Local, at: float):
        self._limiter = limiter
        self._local = local
        #: The permit's id in the store.
        self.permit_id = permit_id
        #: When it was granted, on the limiter's clock.
        self.granted_at = at
        self._released = False
        local.live += 1

    def settle(self, actual_tokens: int) -> None:
        self._limiter.store.settle_rate(self.permit_id, actual_tokens)

    def release(self) -> None:
        if not self._released:
            self._released = True
            self._local.live -= 1
            self._limiter.store.release_rate(self.permit_id)
            self._local.changed.set()


def _default_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"[-_MAX_HOLDER:]


def _check_limit(label: str, value: int | None) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise UsageError(f"SharedRateLimit {label}={value!r} must be a whole number ≥ 0 or None")


class SharedRateLimit(Limiter):
    """A limiter for one provider account shared by every process on one store.

    Args:
        store: The store every sharing process opens (an ``SQLStore`` on one
            SQLite file or PostgreSQL database; an ``InMemoryStore`` shares
            only within its process).
        name: The account's name; limits of one name are one budget.
        rpm: Requests per window (per minute by default).
        tpm: Tokens per window, counted from estimates corrected by usage.
        max_concurrency: Calls in flight at once, across processes.
        key: The default partition (a tenant id, or a function returning
            it); each partition has the full limits under ``name:key``.
        window: The window length in seconds.
        lease: Seconds a permit counts as in flight unless released or
            renewed; a killed process's slots come back after this.
        poll: Longest wait before asking the store again while the
            concurrency limit is full (a release elsewhere is not signalled).
        clock: Epoch seconds, the same in every process (the wall clock).
        sleep: Awaitable sleep, paired with ``clock``.
    """

    def __init__(
        self,
        store: Store,
        name: str,
        rpm: int | None = None,
        tpm: int | None = None,
        max_concurrency: int | None = None,
        key: str | Callable[[], str | None] | None = None,
        *,
        window: float = 60.0,
        lease: float = 60.0,
        poll: float = 0.05,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if not name or len(name) > _MAX_NAME:
            raise UsageError(f"SharedRateLimit name {name!r} must be 1 to {_MAX_NAME} characters")
        _check_limit("rpm", rpm)
        _check_limit("tpm", tpm)
        _check_limit("max_concurrency", max_concurrency)
        for label, seconds in (("window", window), ("lease", lease), ("poll", poll)):
            if not seconds > 0:
                raise UsageError(f"SharedRateLimit {label}={seconds!r} must be above 0 seconds")
        self.store = store
        self.name = name
        self.key = key
        self.limits = RateLimits(rpm=rpm, tpm=tpm, concurrency=max_concurrency, window=window)
        self.lease = lease
        self.poll = poll
        self.holder = _default_holder()
        self._clock = clock
        self._sleep = sleep
        self._locals: dict[str, _Local] = {}

    def _name(self, key: str | None) -> str:
        if key is None:
            key = self.key() if callable(self.key) else self.key
        name = self.name if key is None else f"{self.name}:{key}"
        if len(name) > _MAX_NAME:
            raise UsageError(
                f"SharedRateLimit {self.name!r}: key {key!r} makes the name longer "
                f"than {_MAX_NAME} characters"
            )
        return name

    async def acquire(self, estimated_tokens: int, *, key: str | None = None) -> Permit:
        """Wait until the store grants a call of ``estimated_tokens``, then hold its permit."""
        name = self._name(key)
        local = self._locals.get(name)
        if local is None:
            local = self._locals[name] = _Local()
        async with local.lock:
            while True:
                now = self._clock()
                grant = self.store.reserve_rate(
                    name,
                    self.limits,
                    estimated_tokens,
                    self.holder,
                    now,
                    self.lease,
                    renew=local.live > 0,
                )
                if grant.permit_id is not None:
                    permit = _SharedPermit(self, grant.permit_id, local, now + grant.delay)
                    break
                delay = min(grant.delay, self.poll) if grant.for_release else grant.delay
                local.changed.clear()
                await wait_for_change(local.changed, delay, self._sleep)
        if grant.delay > 0:
            # Booked for later: the next caller of this process books the
            # following time meanwhile (the queue's lock is released).
            try:
                await self._sleep(grant.delay)
            except BaseException:
                permit.release()  # its booked time stays counted in the window
                raise
        return permit

    def _cap(
        self, headers: Mapping[str, str], names: tuple[str, str], now: float
    ) -> tuple[int, float] | None:
        cap = header_cap(headers, names, now)  # this limiter's clock is the wall clock
        return None if cap is None else (cap[0], now + cap[1])

    def observe(self, headers: Mapping[str, str], *, key: str | None = None) -> None:
        """Store the provider's remaining requests and tokens until their reset, for all.

        Of several token headers (Anthropic reports total and input tokens),
        the one with the fewest remaining wins.
        """
        lowered = {name.lower(): value for name, value in headers.items()}
        now = self._clock()
        requests = None
        for names in _REQUEST_HEADERS:
            requests = self._cap(lowered, names, now) or requests
        token_caps = [cap for names in _TOKEN_HEADERS if (cap := self._cap(lowered, names, now))]
        tokens = min(token_caps) if token_caps else None
        if requests is not None or tokens is not None:
            self.store.observe_rate(self._name(key), requests, tokens)

    def penalize(self, retry_after: float | None, *, key: str | None = None) -> None:
        """Hold every process's calls for ``retry_after`` seconds (1 s if unknown)."""
        pause = retry_after if retry_after is not None else _DEFAULT_PENALTY
        self.store.penalize_rate(self._name(key), self._clock() + pause)
