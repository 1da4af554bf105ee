"""A real worker process: ``sys.exit()`` in a step fails the step, not the worker;
``KeyboardInterrupt`` stops the worker without journaling anything."""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path

from agentkit import AgentKit
from tests.killing import REPO, run_process


def test_sys_exit_in_a_step_fails_the_step_and_the_worker_lives_on(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/exit.db"
    out = run_process(
        [sys.executable, "-m", "tests.durable.faults_app", url, "exit"], cwd=REPO, timeout=120
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[1:] == ['handles completed "handled SystemExit: 3"', "worker alive"]
    function_id, status, error = lines[0].split(" ", 2)
    assert (function_id, status) == ("exits", "failed")
    assert json.loads(error)["message"] == "step 'exit' failed after 1 attempt(s): SystemExit: 3"


def test_keyboard_interrupt_in_a_step_stops_the_worker_and_journals_nothing(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path}/interrupt.db"
    out = run_process(
        [sys.executable, "-m", "tests.durable.faults_app", url, "interrupt"],
        cwd=REPO,
        timeout=120,
    )
    assert out.returncode == -signal.SIGINT, out.stderr
    run_id = out.stdout.splitlines()[0]
    assert "not reached" not in out.stdout
    kit = AgentKit(url)
    try:
        run = kit.get_run(run_id).record()
        assert (run.status, run.lease_owner) == ("queued", None)  # handed back, unfinished
        assert kit.journal(run_id) == []
    finally:
        kit.close()
