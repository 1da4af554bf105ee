"""SharedRateLimit on a fake clock, over every store: one budget for every process.

Two limiters on one store stand for two worker processes (each has its own
holder id); the multi-process proof is in test_shared_ratelimit_processes.py.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agentkit.errors import UsageError
from agentkit.models import SharedRateLimit
from agentkit.store import InMemoryStore, Store
from tests.conftest import STORE_KINDS, make_store

from .conftest import FakeSleep


@pytest.fixture(params=STORE_KINDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    store = make_store(request.param, tmp_path)
    yield store
    store.close()


@pytest.fixture
def name() -> str:
    """A limit name of this test run alone (the PostgreSQL database outlives tests)."""
    return f"acct-{uuid.uuid4().hex}"


def limiter(store: Store, name: str, fake: FakeSleep, **options: object) -> SharedRateLimit:
    return SharedRateLimit(store, name, clock=fake.clock, sleep=fake, **options)  # type: ignore[arg-type]


async def test_rpm_spaces_requests_over_the_window(
    store: Store, name: str, fake_sleep: FakeSleep
) -> None:
    limit = limiter(store, name, fake_sleep, rpm=3)
    granted: list[float] = []

    for _ in range(7):
        permit = await limit.acquire(0)
        permit.release()
        granted.append(fake_sleep.now - 1000.0)

    assert granted == [0.0, 0.0, 0.0, 60.0, 60.0, 60.0, 120.0]


async def test_two_processes_share_one_window(
    store: Store, name: str, fake_sleep: FakeSleep
) -> None:
    first = limiter(store, name, fake_sleep, rpm=2)
    second = limiter(store, name, fake_sleep, rpm=2)

    (await first.acquire(0)).release()
    fake_sleep.now += 10
    (await second.acquire(0)).release()
    (await first.acquire(0)).release()  # the window holds 2: wait for the first to leave

    assert first.holder != second.holder
    assert fake_sleep.slept == [50.0]


async def test_a_full_window_books_the_call_in_one_reservation(
    store: Store, name: str, fake_sleep: FakeSleep, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = limiter(store, name, fake_sleep, rpm=2)
    second = limiter(store, name, fake_sleep, rpm=2)
    reservations = 0
    reserve = store.reserve_rate

    def counted(*args: Any, **kwargs: Any) -> Any:
        nonlocal reservations
        reservations += 1
        return reserve(*args, **kwargs)

    monkeypatch.setattr(store, "reserve_rate", counted)
    (await first.acquire(0)).release()
    (await first.acquire(0)).release()
    booked = await second.acquire(0)  # the window is full until 60 s: booked for then
    later = await first.acquire(0)  # counts the booking: the next free time is 60 s too

    assert booked.granted_at == later.granted_at == 1060.0  # type: ignore[attr-defined]
    assert fake_sleep.slept == [60.0]  # slept once; asked the store once per call
    assert reservations == 4
    third = await second.acquire(0)  # 2 grants in (60, 120]: the next room is at 120 s
    assert third.granted_at == 1120.0  # type: ignore[attr-defined]


async def test_a_limit_of_zero_requests_books_nothing(
    store: Store, name: str, fake_sleep: FakeSleep
) -> None:
    limit = limiter(store, name, fake_sleep, rpm=0)
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.05):  # refused again and again: nothing is ever granted
            await limit.acquire(0)


async def test_tpm_waits_for_tokens_to_leave_the_window(
    store: Store, name: str, fake_sleep: FakeSleep
) -> None:
    limit = limiter(store, name, fake_sleep, tpm=1000)

    (await limit.acquire(600)).release()
    fake_sleep.now += 10
    (await limit.acquire(300)).release()
    (await limit.acquire(500)).release()  # 900 + 500 > 1000: wait for the first entry

    assert fake_sleep.slept == [50.0]


async def test_settle_corrects_the_estimate(store: Store, name: str, fake_sleep: FakeSleep) -> None:
    limit = limiter(store, name, fake_sleep, tpm=1000)

    permit = await limit.acquire(900)
    permit.settle(100)
    permit.release()
    (await limit.acquire(800)).release()

    assert fake_sleep.slept == []


async def test_a_dead_process_permits_free_their_slots_after_the_lease(
    store: Store, name: str, fake_sleep: FakeSleep
) -> None:
    dead = limiter(store, name, fake_sleep, max_concurrency=1, lease=1.0, poll=0.25)
    alive = limiter(store, name, fake_sleep, max_concurrency=1, lease=1.0, poll=0.25)

    await dead.acquire(0)  # never released: its process was killed
    (await alive.acquire(0)).release()

    assert fake_sleep.now - 1000.0 == 1.0
    assert fake_sleep.slept == [0.25, 0.25, 0.25, 0.25]


async def test_a_live_process_renews_its_permits_when_it_is_granted_more(
    store: Store, name: str, fake_sleep: FakeSleep
) -> None:
    busy = limiter(store, name, fake_sleep, max_concurrency=2, lease=10.0, poll=1.0)
    other = limiter(store, name, fake_sleep, max_concurrency=2, lease=10.0, poll=1.0)

    await busy.acquire(0)  # a long call, still running
    fake_sleep.now += 8
    await busy.acquire(0)  # renews the first permit's lease to 18
    fake_sleep.now += 4
    (await other.acquire(0)).release()

    assert fake_sleep.now - 1000.0 == 18.0


async def test_a_429_in_one_process_pauses_every_process(
    store: Store, name: str, fake_sleep: FakeSleep
) -> None:
    hit = limiter(store, name, fake_sleep, rpm=100)
    other = limiter(store, name, fake_sleep, rpm=100)

    hit.penalize(5.0)
    hit.penalize(2.0)  # a shorter pause never shortens a longer one
    (await other.acquire(0)).release()

    assert fake_sleep.slept == [5.0]


async def test_provider_headers_seen_by_one_process_hold_every_process(
    store: Store, name: str, fake_sleep: FakeSleep
) -> None:
    seen = limiter(store, name, fake_sleep, rpm=100)
    other = limiter(store, name, fake_sleep, rpm=100)

    seen.observe({"X-RateLimit-Remaining-Requests": "1", "X-RateLimit-Reset-Requests": "2s"})
    (await other.acquire(0)).release()  # the one request left
    (await other.acquire(0)).release()  # none left: wait for the reset

    assert fake_sleep.slept == [2.0]


async def test_token_headers_hold_a_request_that_does_not_fit(
    store: Store, name: str, fake_sleep: FakeSleep
) -> None:
    limit = limiter(store, name, fake_sleep)

    limit.observe(
        {
            "anthropic-ratelimit-tokens-remaining": "500",
            "anthropic-ratelimit-tokens-reset": "1970-01-01T00:16:50Z",  # epoch 1010
        }
    )
    (await limit.acquire(400)).release()
    (await limit.acquire(400)).release()  # 100 left: wait for the reset

    assert fake_sleep.slept == [10.0]


async def test_keys_are_separate_budgets(store: Store, name: str, fake_sleep: FakeSleep) -> None:
    tenant = ["a"]
    limit = limiter(store, name, fake_sleep, rpm=1, key=lambda: tenant[0])

    (await limit.acquire(0)).release()
    tenant[0] = "b"
    (await limit.acquire(0)).release()
    (await limit.acquire(0, key="a")).release()

    assert fake_sleep.slept == [60.0]


def test_bad_settings_name_the_setting() -> None:
    store = InMemoryStore()
    with pytest.raises(UsageError, match=r"SharedRateLimit rpm=-1 must be a whole number"):
        SharedRateLimit(store, "acct", rpm=-1)
    with pytest.raises(UsageError, match=r"SharedRateLimit lease=0 must be above 0 seconds"):
        SharedRateLimit(store, "acct", lease=0)
    with pytest.raises(UsageError, match=r"SharedRateLimit name '' must be 1 to 300 characters"):
        SharedRateLimit(store, "")


async def test_a_key_too_long_names_the_limit() -> None:
    limit = SharedRateLimit(InMemoryStore(), "acct", rpm=1)
    with pytest.raises(UsageError, match=r"SharedRateLimit 'acct': key 'xxx+' makes the name"):
        await limit.acquire(0, key="x" * 300)
