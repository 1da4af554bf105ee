"""`agentkit demo` end to end: real child processes, a real SIGKILL, a real token."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from agentkit.store import SQLStore


@pytest.mark.parametrize("crash_at", [1, 4])
def test_demo_kills_resumes_and_approves(tmp_path: Path, crash_at: int) -> None:
    url = f"sqlite:///{tmp_path}/demo.db"
    env = {**os.environ, "AGENTKIT_DEMO_STEP_SECONDS": "0.05", "COLUMNS": "200"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "agentkit.cli",
            "demo",
            "--approve",
            "--crash-at",
            str(crash_at),
            "--database-url",
            url,
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    out = done.stdout
    assert "SIGKILL pid" in out and f"in the middle of step {crash_at}" in out
    assert "(again: it was in flight when the process died)" in out
    assert "published 'Durable agents: a summary of six research notes'" in out

    store = SQLStore(url)
    research, publish = sorted(store.list_runs(), key=lambda r: r.created_at)
    assert (research.function_id, research.status) == ("demo.research", "completed")
    assert research.executions == 2  # the killed process's, then the survivor's
    assert len(json.loads(research.output or "[]")) == 6
    assert [s.key for s in store.load_journal(research.id)] == ["research"] + [
        f"research#{i}" for i in range(1, 6)
    ]
    assert (publish.status, [t.status for t in store.list_tokens()]) == ("completed", ["completed"])
    store.close()
