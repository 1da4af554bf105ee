"""Flow control and triggers across 3 worker processes, on SQLite and PostgreSQL.

Workers are ``python -m tests.durable.flow_app worker FUNCTIONS``; step bodies
append their start and end times to a ledger file, which the assertions read.
"""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

from agentkit import AgentKit
from tests.conftest import make_store
from tests.durable.flow_app import (
    DEBOUNCE_SECONDS,
    PRIORITY_STEP_SECONDS,
    THROTTLE_LIMIT,
    build,
)
from tests.killing import REPO, deadline, spawn

WORKERS = 3


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    store = make_store(request.param, tmp_path)  # creates (or empties) the tables
    store.close()
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/kit.db"
    return str(os.environ["AGENTKIT_TEST_POSTGRES_URL"])


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    return tmp_path / "ledger.txt"


@pytest.fixture
def kit(url: str) -> Iterator[AgentKit]:
    kit = build(url)
    yield kit
    kit.close()


def _env(url: str, ledger: Path) -> dict[str, str]:
    return {
        **os.environ,
        "FLOW_DATABASE_URL": url,
        "FLOW_LEDGER": str(ledger),
        "PYTHONPATH": str(REPO),
    }


@contextmanager
def worker(url: str, ledger: Path, functions: str) -> Iterator[subprocess.Popen[str]]:
    args = [sys.executable, "-m", "tests.durable.flow_app", "worker", functions]
    with spawn(
        args, cwd=REPO, env=_env(url, ledger), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    ) as proc:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        yield proc


@contextmanager
def workers(url: str, ledger: Path, functions: str) -> Iterator[list[subprocess.Popen[str]]]:
    with ExitStack() as stack:
        yield [stack.enter_context(worker(url, ledger, functions)) for _ in range(WORKERS)]


def lines(ledger: Path, kind: str) -> list[list[str]]:
    if not ledger.exists():
        return []
    return [line.split() for line in ledger.read_text().splitlines() if line.startswith(kind + " ")]


def wait_until(condition: Callable[[], bool], timeout: float = 60) -> None:
    limit = time.monotonic() + deadline(timeout)
    while not condition():
        assert time.monotonic() < limit, "timed out waiting for the workers"
        time.sleep(0.05)


def most_at_once(spans: list[tuple[float, float]]) -> int:
    edges = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans])
    current = best = 0
    for _, step in edges:  # an end sorts before a start at the same instant
        current += step
        best = max(best, current)
    return best


def test_concurrency_per_key_is_never_exceeded_while_other_keys_proceed(
    kit: AgentKit, url: str, ledger: Path
) -> None:
    limited = kit.get_function("limited")
    users = ["a", "b", "c"]
    asyncio.run(kit.start_many(limited, [{"user": u, "n": n} for n in range(12) for u in users]))
    with workers(url, ledger, "limited"):
        wait_until(lambda: len(lines(ledger, "limited")) == 36)
    spans: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for _, user, _, start, end, _ in lines(ledger, "limited"):
        spans[user].append((float(start), float(end)))
    assert {user: most_at_once(s) for user, s in spans.items()} == dict.fromkeys(users, 2)
    everything = [span for s in spans.values() for span in s]
    assert most_at_once(everything) > 2  # other keys ran beside a full one


def test_throttle_reaches_its_rate_and_no_more(kit: AgentKit, url: str, ledger: Path) -> None:
    throttled = kit.get_function("throttled")
    count = 3 * THROTTLE_LIMIT + 1  # three seconds' worth
    interval = 1 / THROTTLE_LIMIT
    with workers(url, ledger, "throttled"):
        # Started together, the runs are planned one interval apart from the
        # first: run n may start at created_at + n * interval, not before.
        asyncio.run(kit.start_many(throttled, [{"n": n} for n in range(count)]))
        wait_until(lambda: len(lines(ledger, "throttled")) == count)
    (created_at,) = {r.created_at for r in kit.list_runs(function_id="throttled", limit=count)}
    start_of = {int(line[2]): float(line[3]) for line in lines(ledger, "throttled")}
    early = {n: created_at + n * interval - t for n, t in start_of.items()}
    assert max(early.values()) <= 1e-3, "a run started before its turn"  # "and no more"
    # The rate achieved: the least-squares slope of start time over turn, so
    # one late claim on a loaded machine does not decide it, a slow pace does.
    turns = sorted(start_of)
    mean_n = sum(turns) / count
    mean_t = sum(start_of.values()) / count
    slope = sum((n - mean_n) * (start_of[n] - mean_t) for n in turns) / sum(
        (n - mean_n) ** 2 for n in turns
    )
    lateness = sorted(-e for e in early.values())
    print(
        f"throttle: {1 / slope:.2f} starts/s for a limit of {THROTTLE_LIMIT}/s; "
        f"lateness median {lateness[count // 2] * 1000:.1f} ms, max {lateness[-1] * 1000:.1f} ms"
    )
    assert 0.95 * THROTTLE_LIMIT <= 1 / slope <= 1.05 * THROTTLE_LIMIT


def test_debounce_runs_once_with_the_last_input(kit: AgentKit, url: str, ledger: Path) -> None:
    debounced = kit.get_function("debounced")

    async def burst() -> set[str]:
        ids = set()
        for version in range(8):
            ids.add((await kit.start(debounced, doc="readme", version=version)).id)
            ids.add((await kit.start(debounced, doc="guide", version=100 + version)).id)
            await asyncio.sleep(0.05)
        return ids

    with workers(url, ledger, "debounced"):
        ids = asyncio.run(burst())
        wait_until(lambda: len(lines(ledger, "debounced")) >= 2)
        time.sleep(DEBOUNCE_SECONDS + 0.2)  # a second run would start by then
    assert len(ids) == 2
    assert sorted((line[1], line[2]) for line in lines(ledger, "debounced")) == [
        ("guide", "107"),
        ("readme", "7"),
    ]


def test_priority_order_holds_under_a_backlog(kit: AgentKit, url: str, ledger: Path) -> None:
    prioritized = kit.get_function("prioritized")
    backlog = [{"boost": 0, "n": n} for n in range(9)] + [{"boost": 600, "n": n} for n in range(9)]
    asyncio.run(kit.start_many(prioritized, backlog))  # the low ones are older
    env_concurrency = os.environ.get("FLOW_CONCURRENCY")
    os.environ["FLOW_CONCURRENCY"] = "1"
    try:
        with workers(url, ledger, "prioritized"):
            wait_until(lambda: len(lines(ledger, "prioritized")) == 18)
    finally:
        if env_concurrency is None:
            del os.environ["FLOW_CONCURRENCY"]
        else:
            os.environ["FLOW_CONCURRENCY"] = env_concurrency
    runs = kit.list_runs(function_id="prioritized", limit=18)
    # A claim's time is read before the claim takes the store's lock, so two
    # workers claiming together may record them in either order; a low run
    # claimed while a high one still waited would start a whole step earlier.
    last_high = max(r.started_at or 0 for r in runs if r.priority == 600)
    first_low = min(r.started_at or 0 for r in runs if r.priority == 0)
    assert last_high - first_low < PRIORITY_STEP_SECONDS / 3
    assert all(r.status == "completed" for r in runs) and len(runs) == 18


def test_a_cron_tick_fires_once_across_workers_and_a_sigkill(
    kit: AgentKit, url: str, ledger: Path
) -> None:
    with workers(url, ledger, "ticker") as procs:
        time.sleep(1.5)
        rng = random.Random(7)
        for _ in range(3):  # kill one worker near a tick, start another
            time.sleep(1 - time.time() % 1 + rng.uniform(-0.02, 0.02))
            procs[0].kill()
            procs[0].wait()
            with worker(url, ledger, "ticker"):
                time.sleep(0.6)
        time.sleep(1.2)
        wait_until(
            lambda: all(r.is_terminal for r in kit.list_runs(function_id="ticker", limit=1000))
        )
    runs = kit.list_runs(function_id="ticker", limit=1000)
    ticks = sorted(float(r.idempotency_key.split(":")[1]) for r in runs if r.idempotency_key)
    assert len(ticks) == len(runs) >= 4
    assert ticks == [ticks[0] + i for i in range(len(ticks))]  # none twice, none missed
    assert len(lines(ledger, "ticker")) >= len(ticks)


def test_event_fan_out_starts_each_function_once_across_crashes(
    kit: AgentKit, url: str, ledger: Path
) -> None:
    events = 30
    env = _env(url, ledger)
    rng = random.Random(3)
    args = [sys.executable, "-m", "tests.durable.flow_app", "send", str(events)]
    for _ in range(3):  # senders killed part-way; each sends every event again from the start
        with spawn(args, cwd=REPO, env=env, stdout=subprocess.PIPE) as sender:
            assert sender.stdout is not None
            assert sender.stdout.readline().strip() == "ready"
            time.sleep(rng.uniform(0.0, 0.15))
            sender.kill()
    with spawn(args, cwd=REPO, env=env, stdout=subprocess.PIPE) as sender:
        out, _ = sender.communicate(timeout=deadline(60))
        assert out.split() == ["ready", "sent"]
    with workers(url, ledger, "ship,bill"):
        wait_until(lambda: len(lines(ledger, "ship")) + len(lines(ledger, "bill")) == 2 * events)
    for function_id in ("ship", "bill"):
        runs = kit.list_runs(function_id=function_id, limit=1000)
        assert Counter(r.idempotency_key for r in runs) == {
            f"event:evt-{i}": 1 for i in range(events)
        }


def test_cancel_on_cancels_a_waiting_run(kit: AgentKit, url: str, ledger: Path) -> None:
    fulfil = kit.get_function("fulfil")
    keep = asyncio.run(kit.start(fulfil, order_id="o1"))
    drop = asyncio.run(kit.start(fulfil, order_id="o2"))
    with workers(url, ledger, "fulfil"):
        wait_until(lambda: keep.status() == drop.status() == "waiting")
        asyncio.run(kit.send_event("order.cancelled", {"order_id": "o2"}))
        assert drop.status() == "cancelled"
        asyncio.run(kit.send_event("order.shipped", {}))
        wait_until(lambda: keep.status() == "completed")
    assert [line[1] for line in lines(ledger, "fulfil")] == ["o1"]


@pytest.mark.slow
def test_concurrency_holds_across_a_sigkilled_worker(kit: AgentKit, url: str, ledger: Path) -> None:
    limited = kit.get_function("limited")
    runs = 40
    asyncio.run(kit.start_many(limited, [{"user": "a", "n": n} for n in range(runs)]))
    with workers(url, ledger, "limited") as procs:
        wait_until(lambda: len(lines(ledger, "limited")) >= 6)
        procs[0].kill()  # mid-step, holding a slot until its lease expires
        procs[0].wait()
        with worker(url, ledger, "limited"):
            wait_until(lambda: len({line[2] for line in lines(ledger, "limited")}) == runs)
    spans = [(float(line[3]), float(line[4])) for line in lines(ledger, "limited")]
    assert most_at_once(spans) == 2
    assert all(r.status == "completed" for r in kit.list_runs(function_id="limited", limit=runs))
