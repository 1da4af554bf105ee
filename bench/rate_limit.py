"""Benchmark the model layer's limiter and call overhead.

Prints, for a run of well under a minute:

* RPM: requests granted per window ÷ the configured RPM (target 0.95-1.00),
  and the most requests any window ever held (must not exceed the limit);
* TPM: tokens actually used per window ÷ the configured TPM, with estimates
  that overshoot real usage and are corrected by ``Permit.settle``;
* the per-call overhead of ``complete()`` over a zero-latency fake provider
  (target ≤ 1 ms), and of ``ctx.step.infer`` on SQLite (target ≤ 0.5 ms);
* the time of ``import agentkit.models`` in a fresh interpreter;
* the overhead of a ``SharedRateLimit`` (the limit kept in the store, for many
  processes): ms per acquire, and per acquire + settle + release, on the
  in-memory store, a SQLite file and PostgreSQL (when
  ``AGENTKIT_TEST_POSTGRES_URL`` is set).

The limiter runs on short real windows (1 s instead of 60 s), so the rates are
the configured ones scaled by 60; nothing sleeps longer than a window.

Run: ``python bench/rate_limit.py``
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agentkit.models import (  # noqa: E402  (path set up above for a checkout run)
    Attempt,
    Message,
    Model,
    ModelRequest,
    RateLimit,
    RawExchange,
    ScriptedModel,
    SharedRateLimit,
    Usage,
    complete,
)
from agentkit.models._base import EventCallback  # noqa: E402

WINDOW = 1.0  # seconds; stands for one minute
WINDOWS = 6
WORKERS = 32
REQUEST = ModelRequest(messages=[Message.user("benchmark")])


class FakeProvider(Model):
    """Answers after ``latency`` seconds; usage is a fraction of the estimate."""

    provider = "scripted"

    def __init__(self, *, latency: float, rate_limit: RateLimit, seed: int) -> None:
        super().__init__("fake", rate_limit=rate_limit)
        self.latency = latency
        self.random = random.Random(seed)
        self.estimates: dict[asyncio.Task[Any] | None, int] = {}  # per worker task
        self.granted: list[tuple[float, int]] = []  # (start time, tokens used)

    def estimate_tokens(self, request: ModelRequest) -> int:
        estimate = self.random.randint(100, 1000)
        self.estimates[asyncio.current_task()] = estimate
        return estimate

    async def call(
        self, request: ModelRequest, *, on_event: EventCallback | None = None
    ) -> RawExchange:
        estimate = self.estimates.pop(asyncio.current_task())
        used = int(estimate * self.random.uniform(0.6, 1.0))
        self.granted.append((time.perf_counter(), used))
        await asyncio.sleep(self.latency)
        response = ScriptedModel.text("ok", usage=Usage(input_tokens=used))
        return RawExchange(
            provider="scripted",
            model="fake",
            request_body={},
            response_body=response.model_dump(mode="json"),
        )


async def _ignore(_attempt: Attempt) -> None:
    return None


async def _drive(model: FakeProvider, duration: float) -> float:
    started = time.perf_counter()

    async def worker() -> None:
        while time.perf_counter() - started < duration:
            await complete(model, REQUEST, on_attempt=_ignore)

    await asyncio.gather(*(worker() for _ in range(WORKERS)))
    return started


def _windows(granted: list[tuple[float, int]], started: float) -> list[tuple[int, int]]:
    """(requests, tokens) started in each window of the measured span."""
    totals = [(0, 0)] * WINDOWS
    for at, tokens in granted:
        index = int((at - started) / WINDOW)
        if index < WINDOWS:
            count, used = totals[index]
            totals[index] = (count + 1, used + tokens)
    return totals


def _max_in_any_window(granted: list[tuple[float, int]]) -> int:
    """Most calls started within any window, less 1 ms: starts are timed just after the
    grant, so two grants exactly one window apart can measure a hair closer."""
    times = sorted(at for at, _ in granted)
    best, low = 0, 0
    for high, at in enumerate(times):
        while at - times[low] >= WINDOW - 0.001:
            low += 1
        best = max(best, high - low + 1)
    return best


async def bench_rpm() -> None:
    rpm = 200
    limit = RateLimit(rpm=rpm, window=WINDOW)
    model = FakeProvider(latency=0.002, rate_limit=limit, seed=1)
    started = await _drive(model, WINDOWS * WINDOW)
    counts = [count for count, _ in _windows(model.granted, started)]
    ratio = statistics.mean(counts) / rpm
    print(
        f"RPM  limit {rpm}/window: achieved {statistics.mean(counts):.1f}/window "
        f"-> ratio {ratio:.3f} (per window {counts}; "
        f"max in any sliding window {_max_in_any_window(model.granted)})"
    )


async def bench_tpm() -> None:
    tpm = 40_000
    limit = RateLimit(tpm=tpm, window=WINDOW)
    model = FakeProvider(latency=0.005, rate_limit=limit, seed=2)
    started = await _drive(model, WINDOWS * WINDOW)
    tokens = [used for _, used in _windows(model.granted, started)]
    ratio = statistics.mean(tokens) / tpm
    print(
        f"TPM  limit {tpm}/window: achieved {statistics.mean(tokens):.0f}/window "
        f"-> ratio {ratio:.3f} (per window {tokens}; estimates overshoot usage by 0-40%)"
    )


async def bench_overhead(calls: int = 5000) -> None:
    reply = ScriptedModel.text("ok")
    model = ScriptedModel(lambda _request: reply)

    async def direct() -> None:
        model.parse(await model.call(REQUEST))

    async def through_complete() -> None:
        await complete(model, REQUEST, on_attempt=_ignore)

    timings: dict[str, float] = {}
    for name, run in (("direct", direct), ("complete", through_complete)):
        for _ in range(200):  # warm up
            await run()
        best = float("inf")
        for _ in range(3):
            started = time.perf_counter()
            for _ in range(calls):
                await run()
            best = min(best, (time.perf_counter() - started) / calls)
        timings[name] = best
    overhead_ms = (timings["complete"] - timings["direct"]) * 1000
    print(
        f"complete() overhead: {overhead_ms:.3f} ms/call "
        f"(complete {timings['complete'] * 1000:.3f} ms, fake call+parse "
        f"{timings['direct'] * 1000:.3f} ms)"
    )


async def bench_infer_step(calls: int = 500) -> None:
    """The whole ``ctx.step.infer`` on SQLite: complete(), the stored completion,
    the journal entry and the re-parse, minus the fake provider's own call+parse."""
    from agentkit import AgentKit, Context

    reply = ScriptedModel.text("ok")
    model = ScriptedModel(lambda _request: reply)
    with tempfile.TemporaryDirectory() as folder:
        kit = AgentKit(f"sqlite:///{folder}/infer.db")

        @kit.function(id="infers")
        async def infers(ctx: Context, n: int) -> int:
            for _ in range(n):
                await ctx.step.infer("ask", model, REQUEST)
            return n

        async def timed(n: int) -> float:
            started = time.perf_counter()
            await kit.run(infers, n=n)
            return time.perf_counter() - started

        await timed(50)  # warm up
        per_call = min([(await timed(calls) - await timed(0)) / calls for _ in range(3)])
        direct = float("inf")
        for _ in range(3):
            started = time.perf_counter()
            for _ in range(calls):
                model.parse(await model.call(REQUEST))
            direct = min(direct, (time.perf_counter() - started) / calls)
        kit.close()
    print(
        f"ctx.step.infer overhead on SQLite: {(per_call - direct) * 1000:.3f} ms/call "
        f"(target <= 0.5 ms; step {per_call * 1000:.3f} ms, fake call+parse "
        f"{direct * 1000:.3f} ms)"
    )


async def bench_shared(calls: int = 300) -> None:
    """One process, limits never reached: the cost of asking the store per call."""
    from agentkit.store import InMemoryStore, SQLStore, Store

    with tempfile.TemporaryDirectory() as folder:
        stores: list[tuple[str, Any]] = [
            ("in-memory", InMemoryStore),
            ("SQLite", lambda: SQLStore(f"sqlite:///{folder}/shared.db")),
        ]
        postgres = os.environ.get("AGENTKIT_TEST_POSTGRES_URL")
        if postgres:
            stores.append(("PostgreSQL", lambda: SQLStore(postgres, auto_migrate=True)))
        for label, make in stores:
            store: Store = make()
            limit = SharedRateLimit(
                store, f"bench-{random.random()}", rpm=10**9, tpm=10**12, max_concurrency=10**6
            )
            for _ in range(30):  # warm up
                (await limit.acquire(100)).release()
            acquire = cycle = 0.0
            for _ in range(calls):
                started = time.perf_counter()
                permit = await limit.acquire(100)
                granted = time.perf_counter()
                permit.release()
                permit.settle(80)
                acquire += granted - started
                cycle += time.perf_counter() - started
            store.close()
            print(
                f"SharedRateLimit on {label}: {acquire / calls * 1000:.3f} ms per acquire, "
                f"{cycle / calls * 1000:.3f} ms per acquire+release+settle"
            )
        local = RateLimit(rpm=10**9, tpm=10**12, max_concurrency=10**6)
        started = time.perf_counter()
        for _ in range(calls):
            permit = await local.acquire(100)
            permit.release()
            permit.settle(80)
        print(
            f"in-process RateLimit, for comparison: "
            f"{(time.perf_counter() - started) / calls * 1000:.3f} ms per acquire+release+settle"
        )


def bench_import() -> None:
    code = (
        "import time; t = time.perf_counter(); import agentkit.models; "
        "print(time.perf_counter() - t)"
    )
    totals = []
    for _ in range(3):
        result = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", code],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=True,
        )
        totals.append(float(result.stdout.strip()))
        # Cumulative times nest: agentkit.models includes its parent package agentkit.
        own = _cumulative_us(result.stderr, "agentkit.models")
        own -= _cumulative_us(result.stderr, "agentkit")
    print(
        f"import agentkit.models (fresh interpreter): {min(totals) * 1000:.0f} ms total, "
        f"of which {own / 1000:.0f} ms in agentkit.models itself "
        "(the rest: the agentkit package it lives in)"
    )


def _cumulative_us(importtime: str, module: str) -> int:
    pattern = re.compile(r"import time:\s+\d+ \|\s+(\d+) \|\s*(\S+)")
    for line in importtime.splitlines():
        match = pattern.search(line)
        if match and match.group(2) == module:
            return int(match.group(1))
    return 0


async def main() -> None:
    started = time.perf_counter()
    await bench_rpm()
    await bench_tpm()
    await bench_overhead()
    await bench_infer_step()
    await bench_shared()
    bench_import()
    print(f"bench ran in {time.perf_counter() - started:.1f} s")


def _entry(_: Any = None) -> None:
    asyncio.run(main())


if __name__ == "__main__":
    _entry()
