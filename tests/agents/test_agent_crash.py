"""A tool-using agent SIGKILLed at random points and resumed by new processes.

The provider (a ScriptedModel, or OpenAI faked over HTTP with a recorded payload)
must see one request per model call, plus at most the one in flight at each
kill; each side-effecting tool body runs once, plus at most the one in flight;
and the final conversation equals the one of an uninterrupted run.
"""

from __future__ import annotations

import json
import random
import sys
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from agentkit.store import SQLStore
from tests.killing import REPO, kill_until_done, run_process

APP = ["-m", "tests.agents.kill_app"]


def _env(base: Path, name: str, fake: str) -> dict[str, str]:
    return {
        "AGENT_DATABASE_URL": f"sqlite:///{base}/{name}.db",
        "AGENT_LEDGER": str(base / f"{name}.ledger"),
        "AGENT_FAKE": fake,
    }


def _start(env: dict[str, str]) -> str:
    done = run_process(
        [sys.executable, *APP, "start"],
        cwd=REPO,
        env={**env, "PYTHONPATH": str(REPO)},
        check=True,
    )
    return done.stdout.strip()


def _trial(base: Path, fake: str, seed: int, kills: int) -> tuple[int, str]:
    env = _env(base, f"{fake}-{seed}", fake)
    run_id = _start(env)
    report = kill_until_done(
        [*APP, "resume", run_id], env, kills=kills, max_delay=0.45, rng=random.Random(seed)
    )
    killed = set(report.killed_pids)

    entries = [line.split() for line in Path(env["AGENT_LEDGER"]).read_text().splitlines()]
    by_step: dict[tuple[str, int], list[int]] = defaultdict(list)
    for kind, turn, pid in entries:
        by_step[(kind, int(turn))].append(int(pid))
    assert sorted(by_step) == sorted(
        [("infer", t) for t in range(6)] + [("tool", t) for t in range(5)]
    )
    # The last execution of a step is the one journaled; any earlier one was cut
    # short by a kill (killed process, at most one step in flight per process).
    lost = Counter(pid for pids in by_step.values() for pid in pids[:-1])
    assert set(lost) <= killed, f"only killed processes may lose work: {lost} vs {killed}"
    assert all(n == 1 for n in lost.values()), f"one step in flight per kill: {lost}"

    store = SQLStore(env["AGENT_DATABASE_URL"])
    run = store.get_run(run_id)
    journal = store.load_journal(run_id)
    store.close()
    assert run is not None and run.status == "completed"
    infer_keys = [s.key for s in journal if s.kind == "infer"]
    assert infer_keys == ["researcher/infer"] + [f"researcher/infer#{i}" for i in range(1, 6)]
    tool_keys = [s.key for s in journal if s.kind == "run"]
    assert tool_keys == ["researcher/tool/search"] + [
        f"researcher/tool/search#{i}" for i in range(1, 5)
    ]
    return len(killed), report.final_stdout.strip()


def _reference(base: Path, fake: str) -> str:
    env = _env(base, f"{fake}-reference", fake)
    run_id = _start(env)
    report = kill_until_done(
        [*APP, "resume", run_id], env, kills=0, max_delay=0, rng=random.Random(0)
    )
    return report.final_stdout.strip()


@pytest.mark.timeout(600)
@pytest.mark.parametrize("fake", ["scripted", "openai"])
def test_killed_agent_never_repays_a_model_call(tmp_path: Path, fake: str) -> None:
    reference = _reference(tmp_path, fake)
    conversation = json.loads(reference)
    assert conversation[-1]["parts"][0]["text"] == "summary of 5 searches"
    assert len(conversation) == 2 + 5 * 2 + 1  # system, user, 5 x (call, result), answer
    total, seed = 0, 100
    with ThreadPoolExecutor(max_workers=2) as pool:
        while total < 15:  # >= 15 per provider, >= 30 per test run
            outcomes = list(pool.map(lambda s: _trial(tmp_path, fake, s, 4), [seed, seed + 1]))
            seed += 2
            for kills, final in outcomes:
                total += kills
                assert final == reference  # same conversation as the uninterrupted run
    assert total >= 15
