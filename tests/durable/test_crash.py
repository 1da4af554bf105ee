"""Real crashes: a worker process is SIGKILLed at random points and resumed.

Proves the engine's central promise: every journaled step ran exactly once,
only the step in flight at a kill runs again, and no run is lost or stuck.
"""

from __future__ import annotations

import json
import random
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from agentkit.store import SQLStore
from tests.killing import REPO, kill_until_done, run_process

STEPS = 20
EXPECTED_TOTAL = sum(i * i for i in range(STEPS))


def _trial(base: Path, seed: int, kills: int) -> int:
    """One run killed up to ``kills`` times; returns how many kills landed."""
    db, ledger = base / f"crash-{seed}.db", base / f"ledger-{seed}.txt"
    env = {"CRASH_DATABASE_URL": f"sqlite:///{db}", "CRASH_LEDGER": str(ledger)}
    started = run_process(
        [sys.executable, "-m", "tests.durable.crash_app", "start", str(STEPS)],
        cwd=REPO,
        env={**env, "PYTHONPATH": str(REPO), "PATH": ""},
        check=True,
    )
    run_id = started.stdout.strip()
    report = kill_until_done(
        ["-m", "tests.durable.crash_app", "resume", run_id],
        env,
        kills=kills,
        max_delay=0.5,
        rng=random.Random(seed),
    )
    assert report.final_stdout.strip() == str(EXPECTED_TOTAL)

    store = SQLStore(f"sqlite:///{db}")
    run = store.get_run(run_id)
    journal = store.load_journal(run_id)
    store.close()
    assert run is not None and run.status == "completed"
    assert json.loads(run.output or "") == EXPECTED_TOTAL
    assert [s.key for s in journal] == ["square"] + [f"square#{i}" for i in range(1, STEPS)]
    recorded_pid = {i: json.loads(s.output or "")["pid"] for i, s in enumerate(journal)}

    executions = [tuple(map(int, line.split())) for line in ledger.read_text().splitlines()]
    counts = Counter(index for index, _ in executions)
    assert sorted(counts) == list(range(STEPS)), "every step body ran"
    # An execution whose result was not journaled is one that a kill cut short.
    lost = Counter(pid for index, pid in executions if recorded_pid[index] != pid)
    assert set(lost) <= set(report.killed_pids), "only killed processes lose work"
    assert all(n == 1 for n in lost.values()), f"at most one step in flight per kill: {lost}"
    assert sum(counts.values()) == STEPS + sum(lost.values())
    return len(report.killed_pids)


def _campaign(base: Path, min_kills: int, seed0: int) -> int:
    total, seed = 0, seed0
    with ThreadPoolExecutor(max_workers=2) as pool:
        while total < min_kills:
            seeds = [seed, seed + 1]
            seed += 2
            total += sum(pool.map(lambda s: _trial(base, s, kills=5), seeds))
    return total


@pytest.mark.timeout(600)
def test_killed_worker_resumes_without_repeating_completed_steps(tmp_path: Path) -> None:
    kills = _campaign(tmp_path, min_kills=50, seed0=1000)
    assert kills >= 50


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_many_more_kill_points(tmp_path: Path) -> None:
    kills = _campaign(tmp_path, min_kills=150, seed0=5000)
    assert kills >= 150
