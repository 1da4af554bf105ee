"""Shared rate limits of the `InMemoryStore`: the SQL store's transaction over lists.

One process only, so "shared" means shared by the limiters of that process;
the decision is `_rate_rules`', as in the SQL store.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass

from agentkit.store import _rate_rules as rate_rules
from agentkit.store._rate_rules import RateGrant, RateLimits, RateState, RateUsage


@dataclass
class _Permit:
    name: str
    holder: str
    granted_at: float
    tokens: int
    lease_expires_at: float | None


class InMemoryRates:
    """The shared-rate-limit methods of `InMemoryStore` (a mixin sharing its lock)."""

    _lock: threading.RLock

    def _init_rates(self) -> None:
        self._rate_states: dict[str, RateState] = {}
        self._rate_permits: dict[str, _Permit] = {}

    def reserve_rate(
        self,
        name: str,
        limits: RateLimits,
        tokens: int,
        holder: str,
        now: float,
        lease: float,
        *,
        renew: bool = True,
    ) -> RateGrant:
        with self._lock:
            stored = self._rate_states.setdefault(name, RateState())
            state = rate_rules.current_state(stored, now)
            forget = rate_rules.forget_before(limits, now)
            for permit_id, permit in list(self._rate_permits.items()):
                live = permit.lease_expires_at is not None and permit.lease_expires_at > now
                if permit.name == name and permit.granted_at < forget and not live:
                    del self._rate_permits[permit_id]
            mine = [p for p in self._rate_permits.values() if p.name == name]
            in_window = sorted(
                ((p.granted_at, p.tokens) for p in mine if p.granted_at > now - limits.window),
            )
            leases = [
                p.lease_expires_at
                for p in mine
                if p.lease_expires_at is not None and p.lease_expires_at > now
            ]
            usage = RateUsage(
                requests=len(in_window),
                tokens=sum(t for _, t in in_window),
                in_flight=len(leases),
                first_lease_end=min(leases, default=None),
            )
            delays = [0.0]
            if rate_rules.over_requests(limits, usage):
                assert limits.rpm is not None  # over_requests says so
                rpm_th = in_window[-limits.rpm][0] if limits.rpm > 0 else now
                delays.append(rate_rules.requests_delay(limits, rpm_th, now))
            excess = rate_rules.excess_tokens(limits, usage, tokens)
            if excess > 0:
                delays.append(rate_rules.tokens_delay(limits, excess, in_window, now))
            refused = rate_rules.refusal(
                limits,
                rate_rules.state_delay(state, tokens, now),
                max(delays),
                rate_rules.flight_delay(limits, usage, now),
            )
            if refused is not None:
                return refused
            for permit in mine if renew else ():
                if permit.holder == holder and permit.lease_expires_at is not None:
                    if now < permit.lease_expires_at < now + lease:
                        permit.lease_expires_at = now + lease
            at = now + max(delays)  # booked, if the window is full until then
            permit_id = uuid.uuid4().hex
            self._rate_permits[permit_id] = _Permit(name, holder, at, tokens, at + lease)
            self._rate_states[name] = rate_rules.after_grant(state, tokens)
            return RateGrant(permit_id, at - now)

    def settle_rate(self, permit_id: str, tokens: int) -> None:
        with self._lock:
            permit = self._rate_permits.get(permit_id)
            if permit is not None:
                permit.tokens = tokens

    def release_rate(self, permit_id: str) -> None:
        with self._lock:
            permit = self._rate_permits.get(permit_id)
            if permit is not None:
                permit.lease_expires_at = None

    def observe_rate(
        self, name: str, requests: tuple[int, float] | None, tokens: tuple[int, float] | None
    ) -> None:
        with self._lock:
            state = self._rate_states.get(name, RateState())
            self._rate_states[name] = rate_rules.observed(state, requests, tokens)

    def penalize_rate(self, name: str, until: float) -> None:
        with self._lock:
            state = self._rate_states.setdefault(name, RateState())
            state.blocked_until = max(state.blocked_until, until)
