"""Shared rate limits of the `SQLStore`: one transaction per reservation.

A reservation locks the limit's state row (``SELECT … FOR UPDATE`` on
PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` write transactions already run one
at a time), so reservations of one name from any number of processes take
turns. Under that lock it drops the permits that left the window, reads the
window with one aggregate query, and, if the call fits now or once the window
frees room (a booking), inserts its permit and renews the holder's other live
permits. The decision is `_rate_rules`'.
"""

from __future__ import annotations

import uuid
from contextlib import AbstractContextManager

from sqlalchemy import (
    Connection,
    Integer,
    bindparam,
    case,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)

from agentkit.store import _rate_rules as rate_rules
from agentkit.store._core_tables import rate_limits as _limits
from agentkit.store._core_tables import rate_permits as _permits
from agentkit.store._rate_rules import RateGrant, RateLimits, RateState, RateUsage
from agentkit.store._sql_dialect import insert_if_absent

RATE_TABLES = [_limits, _permits]
_STATE_COLUMNS = [
    _limits.c.blocked_until,
    _limits.c.requests_remaining,
    _limits.c.requests_reset_at,
    _limits.c.tokens_remaining,
    _limits.c.tokens_reset_at,
]
# Prebuilt statements executed with parameters: built once, compiled once (a
# reservation built anew each time spent most of its time in SQLAlchemy).
_INSERT_PERMIT = insert(_permits)
_NAME = _permits.c.name == bindparam("p_name")
_IN_WINDOW = _permits.c.granted_at > bindparam("p_since")
_LIVE = _permits.c.lease_expires_at > bindparam("p_now")
_LOCK_STATE = select(*_STATE_COLUMNS).where(_limits.c.name == bindparam("p_name")).with_for_update()
_FORGET = delete(_permits).where(
    _NAME,
    _permits.c.granted_at < bindparam("p_forget"),
    or_(_permits.c.lease_expires_at.is_(None), _permits.c.lease_expires_at <= bindparam("p_now")),
)
_USAGE = select(
    func.count(case((_IN_WINDOW, 1))),
    func.coalesce(func.sum(case((_IN_WINDOW, _permits.c.tokens), else_=0)), 0),
    func.count(case((_LIVE, 1))),
    func.min(case((_LIVE, _permits.c.lease_expires_at))),
).where(_NAME)
_NTH_NEWEST = (
    select(_permits.c.granted_at)
    .where(_NAME, _IN_WINDOW)
    .order_by(_permits.c.granted_at.desc())
    .offset(bindparam("p_skip", type_=Integer))
    .limit(1)
)
_OLDEST_FIRST = (
    select(_permits.c.granted_at, _permits.c.tokens)
    .where(_NAME, _IN_WINDOW)
    .order_by(_permits.c.granted_at)
)
_RENEW = (  # never shortens a lease (a booked permit's runs from its booked time)
    update(_permits)
    .where(
        _NAME,
        _permits.c.holder == bindparam("p_holder"),
        _LIVE,
        _permits.c.lease_expires_at < bindparam("p_until"),
    )
    .values(lease_expires_at=bindparam("p_until"))
)
_SETTLE = (
    update(_permits).where(_permits.c.id == bindparam("p_id")).values(tokens=bindparam("p_tokens"))
)
_RELEASE = update(_permits).where(_permits.c.id == bindparam("p_id")).values(lease_expires_at=None)


def _usage(conn: Connection, name: str, now: float, window: float) -> RateUsage:
    """The window and the permits in flight, in one aggregate over the name's rows."""
    row = conn.execute(_USAGE, {"p_name": name, "p_since": now - window, "p_now": now}).one()
    return RateUsage(
        requests=int(row[0]),
        tokens=int(row[1]),
        in_flight=int(row[2]),
        first_lease_end=row[3],
    )


def _window_delay(
    conn: Connection, name: str, limits: RateLimits, usage: RateUsage, tokens: int, now: float
) -> float:
    """The wait the window imposes (0: the call fits); reads grant times only when full."""
    window = {"p_name": name, "p_since": now - limits.window}
    delays = [0.0]
    if rate_rules.over_requests(limits, usage):
        assert limits.rpm is not None  # over_requests says so
        rpm_th = conn.execute(_NTH_NEWEST, {**window, "p_skip": max(limits.rpm - 1, 0)}).scalar()
        delays.append(
            limits.window if rpm_th is None else rate_rules.requests_delay(limits, rpm_th, now)
        )
    excess = rate_rules.excess_tokens(limits, usage, tokens)
    if excess > 0:
        oldest = conn.execute(_OLDEST_FIRST, window)
        delays.append(rate_rules.tokens_delay(limits, excess, ((at, n) for at, n in oldest), now))
    return max(delays)


class SQLRates:
    """The shared-rate-limit methods of `SQLStore` (a mixin over its transactions)."""

    def _write(self) -> AbstractContextManager[Connection]:
        raise NotImplementedError  # SQLStore provides it

    def _locked_state(self, conn: Connection, name: str) -> RateState:
        row = conn.execute(_LOCK_STATE, {"p_name": name}).first()
        if row is None:  # the first use of the name anywhere: create its state row
            insert_if_absent(conn, _limits, "name", {"name": name, "blocked_until": 0.0})
            row = conn.execute(_LOCK_STATE, {"p_name": name}).one()
        return RateState(*row)

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
        with self._write() as conn:
            stored = self._locked_state(conn, name)
            state = rate_rules.current_state(stored, now)
            forget = rate_rules.forget_before(limits, now)
            conn.execute(_FORGET, {"p_name": name, "p_forget": forget, "p_now": now})
            usage = _usage(conn, name, now, limits.window)
            window_wait = _window_delay(conn, name, limits, usage, tokens, now)
            refused = rate_rules.refusal(
                limits,
                rate_rules.state_delay(state, tokens, now),
                window_wait,
                rate_rules.flight_delay(limits, usage, now),
            )
            if refused is not None:
                return refused
            at = now + window_wait  # booked, if the window is full until then
            permit_id = uuid.uuid4().hex
            if renew:
                conn.execute(
                    _RENEW,
                    {"p_name": name, "p_holder": holder, "p_now": now, "p_until": now + lease},
                )
            conn.execute(
                _INSERT_PERMIT,
                {
                    "id": permit_id,
                    "name": name,
                    "holder": holder,
                    "granted_at": at,
                    "tokens": tokens,
                    "lease_expires_at": at + lease,
                },
            )
            if state.requests_remaining is not None or state.tokens_remaining is not None:
                self._store_state(conn, name, rate_rules.after_grant(state, tokens))
            return RateGrant(permit_id, window_wait)

    @staticmethod
    def _store_state(conn: Connection, name: str, state: RateState) -> None:
        conn.execute(update(_limits).where(_limits.c.name == name).values(**vars(state)))

    def settle_rate(self, permit_id: str, tokens: int) -> None:
        with self._write() as conn:
            conn.execute(_SETTLE, {"p_id": permit_id, "p_tokens": tokens})

    def release_rate(self, permit_id: str) -> None:
        with self._write() as conn:
            conn.execute(_RELEASE, {"p_id": permit_id})

    def observe_rate(
        self, name: str, requests: tuple[int, float] | None, tokens: tuple[int, float] | None
    ) -> None:
        if requests is None and tokens is None:
            return
        with self._write() as conn:
            state = self._locked_state(conn, name)
            self._store_state(conn, name, rate_rules.observed(state, requests, tokens))

    def penalize_rate(self, name: str, until: float) -> None:
        with self._write() as conn:
            self._locked_state(conn, name)
            conn.execute(
                update(_limits)
                .where(_limits.c.name == name)
                .values(
                    blocked_until=case(
                        (_limits.c.blocked_until < until, until), else_=_limits.c.blocked_until
                    )
                )
            )
