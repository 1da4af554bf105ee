"""An agent using an MCP tool over stdio, SIGKILLed mid-run and resumed by new processes.

Each MCP call runs once, plus at most the one in flight at each kill (and only
in a killed process); none is repeated after it completed; the model is asked
once per turn likewise; the conversation equals an uninterrupted run's.
"""

from __future__ import annotations

import json
import random
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from tests.killing import REPO, kill_until_done, run_process

APP = ["-m", "tests.tools.mcp_kill_app"]


def _env(base: Path, name: str) -> dict[str, str]:
    return {
        "AGENT_DATABASE_URL": f"sqlite:///{base}/{name}.db",
        "AGENT_LEDGER": str(base / f"{name}.ledger"),
        "PYTHONPATH": str(REPO),
    }


def _start(env: dict[str, str]) -> str:
    done = run_process([sys.executable, *APP, "start"], cwd=REPO, env=env, check=True)
    return done.stdout.strip()


def _ledger(env: dict[str, str]) -> dict[tuple[str, int], list[int]]:
    by_step: dict[tuple[str, int], list[int]] = defaultdict(list)
    for line in Path(env["AGENT_LEDGER"]).read_text().splitlines():
        kind, turn, *pids = line.split()
        by_step[(kind, int(turn))].append(int(pids[-1]))  # the agent process's pid
    return by_step


def _conversation(stdout: str) -> list[dict[str, object]]:
    return list(json.loads(stdout.strip().splitlines()[-1]))


@pytest.mark.slow
@pytest.mark.parametrize("seed", [3, 11])
def test_mcp_calls_survive_sigkill_without_repeats(tmp_path: Path, seed: int) -> None:
    clean_env = _env(tmp_path, "clean")
    clean = kill_until_done(
        [*APP, "resume", _start(clean_env)], clean_env, kills=0, max_delay=0, rng=random.Random(0)
    )

    env = _env(tmp_path, f"killed-{seed}")
    run_id = _start(env)
    report = kill_until_done(
        [*APP, "resume", run_id], env, kills=4, max_delay=4.0, rng=random.Random(seed)
    )
    killed = set(report.killed_pids)
    assert killed  # the seeds kill at least one process mid-run
    by_step = _ledger(env)
    assert sorted(by_step) == sorted(
        [("infer", t) for t in range(4)] + [("record", t) for t in range(3)]
    )
    for step, pids in by_step.items():
        # Only the last execution counts; an earlier one was cut short by a kill,
        # and a process runs at most one step at a time.
        assert set(pids[:-1]) <= killed, (step, pids, killed)
    assert sum(len(p) - 1 for p in by_step.values()) <= len(killed)
    assert _conversation(report.final_stdout) == _conversation(clean.final_stdout)
    assert len(_ledger(clean_env)[("record", 0)]) == 1

    # The killed run replays offline with its MCP server unable to start: the
    # tool list and every call come from the journal, and nothing is called.
    calls_before = Path(env["AGENT_LEDGER"]).read_text()
    done = run_process([sys.executable, *APP, "replay", run_id], cwd=REPO, env=env, check=True)
    replayed = json.loads(done.stdout.strip().splitlines()[-1])
    assert replayed["status"] == "completed"
    assert {status for _, status in replayed["steps"]} == {"same"}
    assert [key for key, _ in replayed["steps"]][:2] == ["scribe/mcp/notes/list", "scribe/infer"]
    assert Path(env["AGENT_LEDGER"]).read_text() == calls_before  # no model or server call
