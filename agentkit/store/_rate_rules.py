"""Shared rate limits: what the store keeps of them, and the pure grant decision.

A limit (one provider account, or one tenant of it) is a name. Every call
granted under it leaves a *permit* row: when it was granted, its tokens, and,
while the call runs, a lease that counts it as in flight. A process that dies
holding permits stops renewing them and they expire, so a crash frees its
concurrency slots after at most one lease. One *state* row per name holds what
the provider said (remaining requests and tokens until a reset, a 429's pause);
a store locks it to make each reservation one atomic transaction.

The decision itself is plain code over what the transaction read. The
window is a sliding log, as in the in-process ``RateLimit``: no span of
``window`` seconds ever holds more than ``rpm`` grants or ``tpm`` tokens.
When only the window stands in the way, the call is *booked*: its permit is
granted at the time the window frees room for it (possibly in the future) and
the caller sleeps until then. Later reservations count booked permits, so
each books the next free time: one transaction per call, where refusing
would have every waiting process ask again when room frees, one winning.
A provider's pause or caps, and a full concurrency limit, still refuse (a
release or reset decides those, not the clock of the window).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

#: Longest name a shared limit may have (its key included).
MAX_RATE_NAME_LENGTH = 300
#: Longest holder (a process's id) a permit may name.
MAX_HOLDER_LENGTH = 100


@dataclass(frozen=True)
class RateLimits:
    """The limits of one name; ``None`` leaves a dimension unlimited."""

    rpm: int | None = None  # grants per window
    tpm: int | None = None  # tokens per window
    concurrency: int | None = None  # permits in flight at once
    window: float = 60.0  # seconds


@dataclass
class RateState:
    """What the provider said about a name: a 429's pause and the remaining caps."""

    blocked_until: float = 0.0
    requests_remaining: int | None = None
    requests_reset_at: float | None = None
    tokens_remaining: int | None = None
    tokens_reset_at: float | None = None


@dataclass(frozen=True)
class RateUsage:
    """A name's window as a reservation reads it.

    ``requests`` and ``tokens`` count the grants made after ``now - window``
    (later ones too: a slower transaction may commit an earlier time);
    ``in_flight`` the permits whose lease runs past ``now``.
    """

    requests: int = 0
    tokens: int = 0
    in_flight: int = 0
    first_lease_end: float | None = None


@dataclass(frozen=True)
class RateGrant:
    """A store's answer to a reservation: a permit id, or how long to wait.

    With a permit id, ``delay`` is how long until its booked time (0: now);
    without one, how long to wait before asking again.
    """

    permit_id: str | None
    delay: float = 0.0
    #: The wait is for a call in flight to end: a release may come sooner,
    #: so the caller asks again before ``delay`` is over.
    for_release: bool = False

    @property
    def granted(self) -> bool:
        """Whether a permit was granted."""
        return self.permit_id is not None


def forget_before(limits: RateLimits, now: float) -> float:
    """Grants before this time may be deleted (unless still in flight).

    Two windows back, not one: a reservation that read its clock earlier may
    commit after this one (it waited for the lock), and it must still see
    every grant of its own window.
    """
    return now - 2 * limits.window


def current_state(state: RateState, now: float) -> RateState:
    """The state with the caps whose reset has passed dropped."""
    fresh = RateState(blocked_until=state.blocked_until)
    if state.requests_reset_at is not None and state.requests_reset_at > now:
        fresh.requests_remaining = state.requests_remaining
        fresh.requests_reset_at = state.requests_reset_at
    if state.tokens_reset_at is not None and state.tokens_reset_at > now:
        fresh.tokens_remaining = state.tokens_remaining
        fresh.tokens_reset_at = state.tokens_reset_at
    return fresh


def state_delay(state: RateState, tokens: int, now: float) -> float:
    """Seconds a 429's pause and the provider's remaining caps impose."""
    delays = [state.blocked_until - now]
    if state.requests_remaining is not None and state.requests_remaining <= 0:
        delays.append((state.requests_reset_at or now) - now)
    if state.tokens_remaining is not None and state.tokens_remaining < tokens:
        delays.append((state.tokens_reset_at or now) - now)
    return max(0.0, *delays)


def flight_delay(limits: RateLimits, usage: RateUsage, now: float) -> float:
    """Seconds until the first lease ends when the concurrency limit is full, else 0.

    A release usually comes sooner (see `RateGrant.for_release`).
    """
    if limits.concurrency is None or usage.in_flight < limits.concurrency:
        return 0.0
    end = usage.first_lease_end
    # No live lease can only mean a limit of 0: nothing is ever granted.
    return limits.window if end is None else max(end - now, 1e-3)


def refusal(
    limits: RateLimits, state_wait: float, window_wait: float, flight_wait: float
) -> RateGrant | None:
    """The answer when the call may not be booked now (None: grant or book it).

    Only the window's wait is booked (see the module's docstring); the
    provider's (``state_wait``), a full concurrency limit and a limit of 0
    requests (never any room) refuse.
    """
    if state_wait <= 0 and flight_wait <= 0 and (window_wait <= 0 or limits.rpm != 0):
        return None
    delay = max(state_wait, window_wait, flight_wait)
    return RateGrant(None, delay, for_release=flight_wait >= max(state_wait, window_wait))


def over_requests(limits: RateLimits, usage: RateUsage) -> bool:
    """Whether the window already holds ``rpm`` grants."""
    return limits.rpm is not None and usage.requests >= limits.rpm


def excess_tokens(limits: RateLimits, usage: RateUsage, tokens: int) -> int:
    """Tokens that must leave the window before ``tokens`` fit (0 or less: they fit).

    A request larger than the whole limit waits for an empty window, not forever.
    """
    if limits.tpm is None:
        return 0
    return usage.tokens + min(tokens, limits.tpm) - limits.tpm


def requests_delay(limits: RateLimits, rpm_th_newest: float, now: float) -> float:
    """Seconds until the ``rpm``-th newest grant (at ``rpm_th_newest``) leaves the window."""
    return max(0.0, rpm_th_newest + limits.window - now)


def tokens_delay(
    limits: RateLimits, excess: int, oldest_first: Iterable[tuple[float, int]], now: float
) -> float:
    """Seconds until grants totalling ``excess`` tokens, oldest first, leave the window."""
    last = now
    for granted_at, tokens in oldest_first:
        last = granted_at
        excess -= tokens
        if excess <= 0:
            break
    return max(0.0, last + limits.window - now)


def after_grant(state: RateState, tokens: int) -> RateState:
    """The state once a grant of ``tokens`` spent from the provider's caps."""
    spent = RateState(**vars(state))
    if spent.requests_remaining is not None:
        spent.requests_remaining -= 1
    if spent.tokens_remaining is not None:
        spent.tokens_remaining -= tokens
    return spent


def observed(
    state: RateState,
    requests: tuple[int, float] | None,
    tokens: tuple[int, float] | None,
) -> RateState:
    """The state once a response reported remaining requests/tokens until a reset time."""
    seen = RateState(**vars(state))
    if requests is not None:
        seen.requests_remaining, seen.requests_reset_at = requests
    if tokens is not None:
        seen.tokens_remaining, seen.tokens_reset_at = tokens
    return seen
