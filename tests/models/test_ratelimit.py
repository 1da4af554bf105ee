"""RateLimit on a fake clock: RPM, TPM, concurrency, headers, penalties, partitions."""

from __future__ import annotations

import asyncio

import pytest

from agentkit.models import RateLimit
from agentkit.models.ratelimit import parse_duration
from tests.killing import deadline

from .cassettes import load_cassette
from .conftest import FakeSleep


def limiter(fake: FakeSleep, **limits: object) -> RateLimit:
    return RateLimit(clock=fake.clock, sleep=fake, **limits)  # type: ignore[arg-type]


async def test_rpm_spaces_requests_over_the_window(fake_sleep: FakeSleep) -> None:
    limit = limiter(fake_sleep, rpm=3)
    granted: list[float] = []

    for _ in range(7):
        permit = await limit.acquire(0)
        permit.release()
        granted.append(fake_sleep.now - 1000.0)

    assert granted == [0.0, 0.0, 0.0, 60.0, 60.0, 60.0, 120.0]


async def test_tpm_waits_for_tokens_to_leave_the_window(fake_sleep: FakeSleep) -> None:
    limit = limiter(fake_sleep, tpm=1000)

    (await limit.acquire(600)).release()
    fake_sleep.now += 10
    (await limit.acquire(300)).release()
    (await limit.acquire(500)).release()  # 900 + 500 > 1000: wait for the first entry

    assert fake_sleep.slept == [50.0]


async def test_settle_corrects_the_estimate(fake_sleep: FakeSleep) -> None:
    limit = limiter(fake_sleep, tpm=1000)

    permit = await limit.acquire(900)
    permit.settle(100)
    permit.release()
    (await limit.acquire(800)).release()

    assert fake_sleep.slept == []


async def test_request_larger_than_tpm_waits_for_an_empty_window(fake_sleep: FakeSleep) -> None:
    limit = limiter(fake_sleep, tpm=1000)

    (await limit.acquire(10)).release()
    (await limit.acquire(5000)).release()

    assert fake_sleep.slept == [60.0]


async def test_concurrency_waits_for_a_release(fake_sleep: FakeSleep) -> None:
    limit = limiter(fake_sleep, max_concurrency=2)
    first = await limit.acquire(0)
    await limit.acquire(0)

    third = asyncio.create_task(limit.acquire(0))
    await asyncio.sleep(0)
    assert not third.done()

    first.release()
    first.release()  # idempotent
    permit = await asyncio.wait_for(third, timeout=deadline(30))
    permit.release()
    assert fake_sleep.slept == []


async def test_penalize_holds_every_request(fake_sleep: FakeSleep) -> None:
    limit = limiter(fake_sleep, rpm=100)

    limit.penalize(7.5)
    (await limit.acquire(0)).release()
    limit.penalize(None)
    (await limit.acquire(0)).release()

    assert fake_sleep.slept == [7.5, 1.0]


async def test_openai_headers_tighten_until_reset(fake_sleep: FakeSleep) -> None:
    limit = limiter(fake_sleep, rpm=1000)
    limit.observe(
        {
            "x-ratelimit-remaining-requests": "1",
            "x-ratelimit-reset-requests": "6m0s",
            "x-ratelimit-remaining-tokens": "49999985",
            "x-ratelimit-reset-tokens": "0s",
        }
    )

    (await limit.acquire(10)).release()  # uses the last remaining request
    (await limit.acquire(10)).release()  # waits for the reset

    assert fake_sleep.slept == [360.0]


async def test_recorded_anthropic_headers_are_read(fake_sleep: FakeSleep) -> None:
    recorded = load_cassette("openllmetry/test_anthropic_tools_streaming_legacy.yaml")[0]
    reset = recorded.headers["anthropic-ratelimit-requests-reset"]
    assert reset == "2025-07-29T09:59:33Z"
    wall = 1753783163.0  # 2025-07-29T09:59:23Z: ten seconds before the reset
    limit = RateLimit(clock=fake_sleep.clock, sleep=fake_sleep, wall_clock=lambda: wall)
    headers = {**recorded.headers, "anthropic-ratelimit-requests-remaining": "0"}

    limit.observe(headers)
    (await limit.acquire(10)).release()

    assert fake_sleep.slept == [10.0]


async def test_anthropic_token_headers_take_the_tightest(fake_sleep: FakeSleep) -> None:
    limit = RateLimit(clock=fake_sleep.clock, sleep=fake_sleep, wall_clock=lambda: 0.0)
    limit.observe(
        {
            "anthropic-ratelimit-tokens-remaining": "5000",
            "anthropic-ratelimit-tokens-reset": "1970-01-01T00:00:30Z",
            "anthropic-ratelimit-input-tokens-remaining": "100",
            "anthropic-ratelimit-input-tokens-reset": "1970-01-01T00:00:20Z",
        }
    )

    (await limit.acquire(50)).release()
    (await limit.acquire(80)).release()  # 50 left < 80: wait for the input-token reset

    assert fake_sleep.slept == [20.0]


async def test_keys_partition_tenants(fake_sleep: FakeSleep) -> None:
    limit = limiter(fake_sleep, rpm=1)

    (await limit.acquire(0, key="tenant-a")).release()
    (await limit.acquire(0, key="tenant-b")).release()
    assert fake_sleep.slept == []
    (await limit.acquire(0, key="tenant-a")).release()
    assert fake_sleep.slept == [60.0]


async def test_key_function_selects_the_partition(fake_sleep: FakeSleep) -> None:
    tenant = ["a"]
    limit = RateLimit(rpm=1, key=lambda: tenant[0], clock=fake_sleep.clock, sleep=fake_sleep)

    (await limit.acquire(0)).release()
    tenant[0] = "b"
    (await limit.acquire(0)).release()

    assert fake_sleep.slept == []


async def test_one_limit_shared_by_two_models(fake_sleep: FakeSleep) -> None:
    from agentkit.models import Message, ModelRequest, ScriptedModel, complete

    shared = limiter(fake_sleep, rpm=2)
    first = ScriptedModel(["a", "b"], model="one", rate_limit=shared)
    second = ScriptedModel(["c"], model="two", rate_limit=shared)
    request = ModelRequest(messages=[Message.user("x")])

    async def ignore(_attempt: object) -> None:
        return None

    for model in (first, second, first):
        await complete(model, request, on_attempt=ignore)

    assert fake_sleep.slept == [60.0]


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("6ms", 0.006), ("1s", 1.0), ("6m0s", 360.0), ("1h2m3.5s", 3723.5), ("0s", 0.0)],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


def test_parse_duration_rejects_garbage() -> None:
    assert parse_duration("soon") is None


async def test_a_settle_wakes_a_waiter_before_its_delay(fake_sleep: FakeSleep) -> None:
    never: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    slept: list[float] = []

    async def stuck_sleep(seconds: float) -> None:
        slept.append(seconds)
        await never  # only a wake-up can end the wait

    limit = RateLimit(tpm=1000, clock=fake_sleep.clock, sleep=stuck_sleep)
    first = await limit.acquire(900)
    waiter = asyncio.create_task(limit.acquire(500))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert not waiter.done()
    assert slept == [60.0]

    first.settle(300)  # 300 + 500 fits: no need to wait for the window
    permit = await asyncio.wait_for(waiter, timeout=deadline(30))
    permit.release()
    first.release()
    assert fake_sleep.now == 1000.0
