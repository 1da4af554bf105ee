"""Time as a boundary: the engine asks a `Clock` for now and for sleeping.

Injecting the clock keeps replay decisions testable and lets tests run a
two-day token timeout or a backoff schedule in microseconds (`ManualClock`).
"""

from __future__ import annotations

import asyncio
import time
from abc import ABC, abstractmethod


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
