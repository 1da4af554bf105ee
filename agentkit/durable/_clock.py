"""Time as a boundary: the engine asks a `Clock` for now and for sleeping.

Injecting the clock keeps replay decisions testable and lets tests run a
two-day token timeout or a backoff schedule in microseconds (`ManualClock`).
"""

from __future__ import annotations

import asyncio
import math
import time
from abc import ABC, abstractmethod
from datetime import timedelta
from typing import Literal

from agentkit.errors import ConfigError, UsageError

Sign = Literal["positive", "non-negative", "any"]


def check_seconds(
    what: str,
    value: object,
    *,
    sign: Sign = "non-negative",
    error: type[UsageError | ConfigError] = UsageError,
) -> float:
    """``value`` (seconds or a timedelta) as float seconds, or a clear error naming ``what``.

    NaN and infinities are refused everywhere: a NaN deadline compares false
    with every time, so a wait or a lease built on one would end at once or never.

    Raises:
        UsageError: (or ``error``) the value is not a finite number of seconds of
            the required sign.
    """
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    else:
        raise error(f"{what} must be a number of seconds or a timedelta, got {value!r}")
    if not math.isfinite(seconds):
        raise error(f"{what} must be a finite number of seconds, got {value!r}")
    if sign == "positive" and seconds <= 0:
        raise error(f"{what} must be positive, got {value!r}")
    if sign == "non-negative" and seconds < 0:
        raise error(f"{what} must not be negative, got {value!r}")
    return seconds


class Clock(ABC):
    """Wall-clock time in UTC epoch seconds, and a way to wait."""

    @abstractmethod
    def now(self) -> float:
        """Seconds since the epoch."""

    @abstractmethod
    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` (retry backoff)."""


class SystemClock(Clock):
    """The real clock."""

    def now(self) -> float:
        return time.time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class ManualClock(Clock):
    """A clock that moves only when told to; ``sleep`` advances it at once.

    Every sleep is recorded in ``sleeps`` so tests can assert backoff schedules.
    """

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._now = start
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self._now += seconds

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self._now += max(seconds, 0.0)
        await asyncio.sleep(0)
