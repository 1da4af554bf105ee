"""A gated tool never runs before its token is completed, even when the worker
is SIGKILLed between the token's creation and its completion."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agentkit import AgentKit
from agentkit.store import SQLStore
from tests.killing import REPO, deadline, run_process, spawn

APP = [sys.executable, "-m", "tests.agents.approval_crash_app"]


def _pending_tokens(url: str, run_id: str) -> list[str]:
    store = SQLStore(url)
    try:
        return [t.token for t in store.list_tokens(run_id=run_id)]
    finally:
        store.close()


def _work(env: dict[str, str], run_id: str) -> str:
    done = run_process([*APP, "work", run_id], cwd=REPO, env=env, timeout=120, check=True)
    return done.stdout.split()[-1]


@pytest.mark.timeout(300)
@pytest.mark.parametrize("seed", range(3))
def test_gated_tool_waits_for_its_token_across_a_kill(tmp_path: Path, seed: int) -> None:
    url = f"sqlite:///{tmp_path}/bank.db"
    ledger = tmp_path / "ledger"
    env = {
        **os.environ,
        "AGENT_DATABASE_URL": url,
        "AGENT_LEDGER": str(ledger),
        "PYTHONPATH": str(REPO),
    }
    run_id = run_process([*APP, "start"], cwd=REPO, env=env, check=True).stdout.strip()

    with spawn(
        [*APP, "work", run_id],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    ) as worker:  # killed and reaped on the way out, whatever happens
        give_up = time.monotonic() + deadline(120)
        while not _pending_tokens(url, run_id):
            assert time.monotonic() < give_up, "no approval token appeared"
            time.sleep(0.005)
        time.sleep(random.Random(seed).uniform(0, 0.02))
        os.kill(worker.pid, signal.SIGKILL)  # between token creation and completion
        worker.wait()
    assert not ledger.exists(), "the gated tool ran before its token was completed"

    assert _work(env, run_id) == "waiting"  # a new worker replays up to the gate again
    assert not ledger.exists()
    [token] = _pending_tokens(url, run_id)  # the same token: none was created twice

    kit = AgentKit(url)
    kit.complete_token(token, {"approved": True})
    kit.close()
    assert _work(env, run_id) == "completed"
    assert len(ledger.read_text().splitlines()) == 1  # ran once, after approval
