"""Shared rate limits of the `SQLStore`: one transaction per reservation.

A reservation locks the limit's state row (``SELECT … FOR UPDATE`` on
PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` write transactions already run one
at a time), so reservations of one name from any number of processes take
turns. Under that lock it drops the permits that left the window, reads the
window with one aggregate query, and, if the call fits, inserts its permit and
renews the holder's other live permits. The decision is `_rate_rules`'.
"""

from __future__ import annotations

import uuid
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import Connection, and_, case, delete, func, insert, or_, select, update

from agentkit.store import _rate_rules as rate_rules
from agentkit.store._rate_rules import RateGrant, RateLimits, RateState, RateUsage
from agentkit.store._tables import RateLimitRow, RatePermitRow

_limits = RateLimitRow.__table__  # type: ignore[attr-defined]  # SQLModel sets __table__ at class creation
_permits = RatePermitRow.__table__  # type: ignore[attr-defined]  # same
RATE_TABLES = [_limits, _permits]
_STATE_COLUMNS = [
    _limits.c.blocked_until,
    _limits.c.requests_remaining,
    _limits.c.requests_reset_at,
    _limits.c.tokens_remaining,
    _limits.c.tokens_reset_at,
]
_INSERT_PERMIT = insert(_permits)


def _usage(conn: Connection, name: str, now: float, window: float) -> RateUsage:
    """The window and the permits in flight, in one aggregate over the name's rows."""
    in_window = _permits.c.granted_at > now - window
    lease = _permits.c.lease_expires_at
    row = conn.execute(
        select(
            func.count(case((in_window, 1))),
            func.coalesce(func.sum(case((in_window, _permits.c.tokens), else_=0)), 0),
            func.count(case((lease > now, 1))),
            func.min(case((lease > now, lease))),
        ).where(_permits.c.name == name)
    ).one()
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
    in_window = and_(_permits.c.name == name, _permits.c.granted_at > now - limits.window)
    delays = [0.0]
    if rate_rules.over_requests(limits, usage):
        assert limits.rpm is not None  # over_requests says so
        rpm_th = conn.execute(
            select(_permits.c.granted_at)
            .where(in_window)
            .order_by(_permits.c.granted_at.desc())
            .offset(max(limits.rpm - 1, 0))
            .limit(1)
        ).scalar()
        delays.append(
            limits.window if rpm_th is None else rate_rules.requests_delay(limits, rpm_th, now)
        )
    excess = rate_rules.excess_tokens(limits, usage, tokens)
    if excess > 0:
        oldest = conn.execute(
            select(_permits.c.granted_at, _permits.c.tokens)
            .where(in_window)
            .order_by(_permits.c.granted_at)
        )
        delays.append(rate_rules.tokens_delay(limits, excess, ((at, n) for at, n in oldest), now))
    return max(delays)


class SQLRates:
    """The shared-rate-limit methods of `SQLStore` (a mixin over its transactions)."""

    is_sqlite: bool

    def _write(self) -> AbstractContextManager[Connection]:
        raise NotImplementedError  # SQLStore provides it

    def _ensure_limit(self, conn: Connection, name: str) -> None:
        """Create the state row of ``name`` if no process has yet, without a conflict."""
        dialect: Any
        if self.is_sqlite:
            from sqlalchemy.dialects import sqlite as dialect
        else:
            from sqlalchemy.dialects import postgresql as dialect
        conn.execute(
            dialect.insert(_limits)
            .values(name=name, blocked_until=0.0)
            .on_conflict_do_nothing(index_elements=["name"])
        )

    def _locked_state(self, conn: Connection, name: str) -> RateState:
        query = select(*_STATE_COLUMNS).where(_limits.c.name == name).with_for_update()
        row = conn.execute(query).first()
        if row is None:
            self._ensure_limit(conn, name)
            row = conn.execute(query).one()
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
            conn.execute(
                delete(_permits).where(
                    _permits.c.name == name,
                    _permits.c.granted_at < rate_rules.forget_before(limits, now),
                    or_(_permits.c.lease_expires_at.is_(None), _permits.c.lease_expires_at <= now),
                )
            )
            usage = _usage(conn, name, now, limits.window)
            refused = rate_rules.refusal(
                rate_rules.state_delay(state, tokens, now),
                _window_delay(conn, name, limits, usage, tokens, now),
                rate_rules.flight_delay(limits, usage, now),
            )
            if refused is not None:
                return refused
            permit_id = uuid.uuid4().hex
            if renew:
                conn.execute(
                    update(_permits)
                    .where(
                        _permits.c.name == name,
                        _permits.c.holder == holder,
                        _permits.c.lease_expires_at > now,
                    )
                    .values(lease_expires_at=now + lease)
                )
            conn.execute(
                _INSERT_PERMIT,
                {
                    "id": permit_id,
                    "name": name,
                    "holder": holder,
                    "granted_at": now,
                    "tokens": tokens,
                    "lease_expires_at": now + lease,
                },
            )
            if state.requests_remaining is not None or state.tokens_remaining is not None:
                self._store_state(conn, name, rate_rules.after_grant(state, tokens))
            return RateGrant(permit_id)

    @staticmethod
    def _store_state(conn: Connection, name: str, state: RateState) -> None:
        conn.execute(update(_limits).where(_limits.c.name == name).values(**vars(state)))

    def settle_rate(self, permit_id: str, tokens: int) -> None:
        with self._write() as conn:
            conn.execute(update(_permits).where(_permits.c.id == permit_id).values(tokens=tokens))

    def release_rate(self, permit_id: str) -> None:
        with self._write() as conn:
            conn.execute(
                update(_permits).where(_permits.c.id == permit_id).values(lease_expires_at=None)
            )

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
