"""Four worker processes share one SharedRateLimit on SQLite and PostgreSQL.

Each process calls as fast as the limit lets it and records every grant's
time (the time the store granted it) and each call's start and end. Together
they never exceed the limit in any window, and they use 95-100% of it.
"""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path

import pytest

from agentkit.models import SharedRateLimit
from agentkit.store import SQLStore
from tests.conftest import POSTGRES_SKIP_REASON, POSTGRES_URL
from tests.killing import REPO, deadline, spawn

PROCESSES = 4


def _url(kind: str, tmp_path: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path}/shared.db"
    if POSTGRES_URL is None:
        pytest.skip(POSTGRES_SKIP_REASON)
    return POSTGRES_URL


def _run_workers(
    url: str,
    *,
    rpm: int,
    concurrency: int,
    window: float,
    seconds: float,
    tasks: int,
    latency: float,
) -> list[tuple[float, float, float]]:
    SQLStore(url, auto_migrate=True).close()  # the schema exists before the workers race
    name = f"acct-{uuid.uuid4().hex}"
    args = [sys.executable, "-m", "tests.models.shared_rate_worker", url, name]
    args += [str(rpm), str(concurrency), str(window), str(seconds), str(tasks), str(latency)]
    env = {"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}
    calls: list[tuple[float, float, float]] = []
    with (
        spawn(args, cwd=REPO, env=env, stdin=-1, stdout=-1, stderr=-1) as a,
        spawn(args, cwd=REPO, env=env, stdin=-1, stdout=-1, stderr=-1) as b,
        spawn(args, cwd=REPO, env=env, stdin=-1, stdout=-1, stderr=-1) as c,
        spawn(args, cwd=REPO, env=env, stdin=-1, stdout=-1, stderr=-1) as d,
    ):
        workers = [a, b, c, d]
        for worker in workers:
            assert worker.stdout is not None
            line = worker.stdout.readline()
            assert line.strip() == "ready", line + (worker.stderr.read() if worker.stderr else "")
        for worker in workers:
            assert worker.stdin is not None
            worker.stdin.write("go\n")
            worker.stdin.flush()
        for worker in workers:
            out, err = worker.communicate(timeout=deadline(seconds + 120))
            assert worker.returncode == 0, err
            calls += [(at, started, ended) for at, started, ended in json.loads(out)]
    return calls


def _most_in_any_window(times: list[float], window: float) -> int:
    """Most grants in any span (t - window, t]."""
    times = sorted(times)
    best, low = 0, 0
    for high, at in enumerate(times):
        while times[low] <= at - window:
            low += 1
        best = max(best, high - low + 1)
    return best


def _most_at_once(calls: list[tuple[float, float, float]]) -> int:
    edges = sorted([(started, 1) for _, started, _ in calls] + [(e, -1) for _, _, e in calls])
    best = current = 0
    for _, step in edges:
        current += step
        best = max(best, current)
    return best


def _check_rpm(kind: str, tmp_path: Path, rpm: int, window: float, windows: int) -> None:
    calls = _run_workers(
        _url(kind, tmp_path),
        rpm=rpm,
        concurrency=0,
        window=window,
        # One window more than measured, so the measured span is loaded to its end.
        seconds=window * (windows + 1),
        tasks=8,
        latency=0.01,
    )
    granted = [at for at, _, _ in calls]
    first = min(granted)
    measured = [at for at in granted if at < first + window * windows]

    assert _most_in_any_window(granted, window) == rpm  # never above the limit, and reached
    utilisation = len(measured) / (rpm * windows)
    assert 0.95 <= utilisation <= 1.0, f"{len(measured)} grants in {windows} windows of {rpm}"


@pytest.mark.timeout(180)
@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_four_processes_stay_within_rpm_and_use_it(kind: str, tmp_path: Path) -> None:
    _check_rpm(kind, tmp_path, rpm=100, window=2.0, windows=4)


@pytest.mark.slow
@pytest.mark.timeout(400)
@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_four_processes_over_a_minute(kind: str, tmp_path: Path) -> None:
    _check_rpm(kind, tmp_path, rpm=600, window=10.0, windows=6)


@pytest.mark.timeout(180)
@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_four_processes_stay_within_concurrency(kind: str, tmp_path: Path) -> None:
    calls = _run_workers(
        _url(kind, tmp_path),
        rpm=0,
        concurrency=4,
        window=60.0,
        seconds=3.0,
        tasks=4,
        latency=0.05,
    )

    assert _most_at_once(calls) == 4
    assert all(at <= started for at, started, _ in calls)  # each call started once granted


@pytest.mark.timeout(120)
@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
async def test_a_sigkilled_process_frees_its_slots_after_its_lease(
    kind: str, tmp_path: Path
) -> None:
    url = _url(kind, tmp_path)
    SQLStore(url, auto_migrate=True).close()
    name = f"acct-{uuid.uuid4().hex}"
    args = [sys.executable, "-m", "tests.models.shared_rate_worker", "hold", url, name, "2", "1.0"]
    env = {"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}
    with spawn(args, cwd=REPO, env=env, stdout=-1, stderr=-1) as holder:
        assert holder.stdout is not None
        line = holder.stdout.readline()
        assert line, holder.stderr.read() if holder.stderr else ""
        held_at = json.loads(line)
        holder.kill()  # SIGKILL: its two permits are never released
        holder.wait(timeout=deadline(30))
    store = SQLStore(url)
    try:
        limit = SharedRateLimit(store, name, max_concurrency=2, poll=0.05)
        permit = await limit.acquire(1)
        permit.release()
    finally:
        store.close()

    assert holder.returncode == -9
    # Granted only once the dead process's leases (1 s from its grants) ran out.
    assert getattr(permit, "granted_at", 0.0) >= held_at + 1.0
