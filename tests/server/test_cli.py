"""``agentkit serve``: the API and UI without a worker, in a subprocess, over loopback."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def serve_url(tmp_path: Path) -> Iterator[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("AGENTKIT_API_KEY", None)
    database = f"sqlite:///{tmp_path / 'serve.db'}"
    command = [sys.executable, "-m", "agentkit", "--database-url", database, "serve"]
    log = tmp_path / "serve.log"
    with (
        log.open("w") as stderr,
        subprocess.Popen(
            [*command, "--app", "tests.server.browser_app:kit", "--port", "0"],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        ) as process,
    ):
        try:
            assert process.stdout is not None
            line = process.stdout.readline()
            assert "agentkit API and UI for tests.server.browser_app:kit" in line, log.read_text()
            found = re.search(r"http://127\.0\.0\.1:\d+", line)
            assert found is not None, line
            yield found.group(0)
        finally:
            process.terminate()
            process.wait(timeout=30)


def test_serve_reads_and_refuses_mutations_without_a_key(serve_url: str) -> None:
    with httpx.Client(base_url=serve_url) as api:
        assert api.get("/api/functions").json() == {"functions": ["agent:support"]}
        assert api.get("/api/runs").json() == {"runs": []}
        refused = api.post("/api/runs", json={"function": "agent:support", "input": {}})
        assert refused.status_code == 401
        assert "AGENTKIT_API_KEY" in refused.json()["detail"]
        page = api.get("/")
        assert '<meta name="agentkit-api-key" content="">' in page.text
        assert api.get("/docs").status_code == 200
