"""Many worker processes on one PostgreSQL database, one of them SIGKILLed every few seconds.

Four workers (``tests/durable/workers_app.py``) share the runs of a small agent
(a step, a model call through ``ctx.step.infer``, two more steps). While they
work, a random one is SIGKILLed and a new one started in its place. The runs a
killed worker held are taken over once their lease expires (1 s here). At the
end every run has completed exactly once, none was lost, no completed step ran
again (each body checks the journal before it works), and only a killed process
ever left an execution unfinished.

The short variant runs by default; the 2,000-run campaign is marked slow.
"""

from __future__ import annotations

import json
import random
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from agentkit.store import Store
from tests.conftest import POSTGRES_URL, make_store
from tests.killing import REPO, _Child, deadline, run_process

WORKERS = 4
KINDS = ("plan", "think", "act", "deliver")


def _completed(store: Store, runs: int) -> int:
    return len(store.list_runs(status="completed", function_id="agent", limit=runs))


def _busy_pids(store: Store) -> set[int]:
    """The worker processes holding a lease on a running run (worker ids are host:pid:suffix)."""
    running = store.list_runs(function_id="agent", status="running", limit=10_000)
    return {int(run.lease_owner.split(":")[1]) for run in running if run.lease_owner}


def _campaign(
    tmp_path: Path, runs: int, kill_every: float, seed: int, step_seconds: float = 0.005
) -> None:
    store = make_store("postgres", tmp_path)  # skips without AGENTKIT_TEST_POSTGRES_URL
    assert POSTGRES_URL is not None
    ledger = tmp_path / "ledger.txt"
    env = {
        "WORKERS_DATABASE_URL": POSTGRES_URL,
        "WORKERS_LEDGER": str(ledger),
        "WORKERS_LEASE_TTL": "1.0",
        "WORKERS_CONCURRENCY": "20",  # every worker busy, so that every kill cuts runs short
        "WORKERS_STEP_SECONDS": str(step_seconds),
    }
    rng = random.Random(seed)
    workers: list[_Child] = []
    killed: list[int] = []
    try:
        for _ in range(WORKERS):
            workers.append(_Child(["-m", "tests.durable.workers_app", "worker"], env))
        for worker in workers:
            worker.wait_ready()
        run_process(
            [sys.executable, "-m", "tests.durable.workers_app", "start", str(runs)],
            cwd=REPO,
            env={**env, "PYTHONPATH": str(REPO)},
            check=True,
        )
        give_up = time.monotonic() + deadline(60 + runs * 0.1)
        while _completed(store, runs) < runs:
            assert time.monotonic() < give_up, f"{_completed(store, runs)}/{runs} runs completed"
            time.sleep(kill_every * rng.uniform(0.5, 1.5))
            if _completed(store, runs) == runs:
                break
            # A worker that holds running runs, so that the kill cuts them short
            # (a fast machine may leave some workers idle near the end).
            busy = [i for i, w in enumerate(workers) if w.pid in _busy_pids(store)]
            index = rng.choice(busy) if busy else rng.randrange(WORKERS)
            victim = workers[index]
            assert victim.kill(), f"worker {victim.pid} died by itself: {victim.stderr()}"
            killed.append(victim.pid)
            victim.close()
            workers[index] = _Child(["-m", "tests.durable.workers_app", "worker"], env)
            workers[index].wait_ready()
    finally:
        for worker in workers:
            worker.close()

    every = store.list_runs(function_id="agent", limit=runs + 1)
    store.close()
    assert len(every) == runs, "no run lost, none made twice"
    assert {run.status for run in every} == {"completed"}
    outputs = sorted(json.loads(run.output or "null") for run in every)
    assert outputs == sorted(f"DO {2 * i}" for i in range(runs)), "each run's own result"
    taken_over = [run.id for run in every if run.executions > 1]
    assert killed, "the campaign killed workers while they worked"
    assert taken_over, "some runs were taken over from a killed worker"

    executions: dict[tuple[str, str], list[int]] = defaultdict(list)
    reruns = []
    for line in ledger.read_text().splitlines():
        kind, run_id, pid, flag = line.split()
        executions[(run_id, kind)].append(int(pid))
        if flag == "rerun":
            reruns.append(line)
    assert reruns == [], "no completed step ran again"
    assert {run_id for run_id, _ in executions} == {run.id for run in every}
    assert Counter(kind for _, kind in executions) == dict.fromkeys(KINDS, runs)
    # An execution that did not count was cut short by a kill: every execution
    # of a step but its last is by a killed process.
    unfinished = [pid for pids in executions.values() for pid in pids[:-1]]
    assert set(unfinished) <= set(killed), "only killed workers left a step unfinished"


def test_four_workers_one_killed_every_second_lose_nothing(tmp_path: Path) -> None:
    # Steps of 0.3 s: each run lasts about a second, so the 200 runs (80 at a time)
    # outlast several kills even on a fast machine.
    _campaign(tmp_path, runs=200, kill_every=1.0, seed=15, step_seconds=0.3)


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_four_workers_2000_runs_one_killed_every_few_seconds(tmp_path: Path) -> None:
    _campaign(tmp_path, runs=2000, kill_every=3.0, seed=2000)
