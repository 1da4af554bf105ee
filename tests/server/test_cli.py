"""``agentkit serve``: the API and UI without a worker, in a subprocess, over loopback."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
KEY = "serve-test-key-0123456789"


@pytest.fixture
def serve_url(tmp_path: Path) -> Iterator[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "AGENTKIT_API_KEY": KEY}
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


def test_serve_reads_and_needs_the_key_to_start(serve_url: str) -> None:
    with httpx.Client(base_url=serve_url) as api:
        assert api.get("/api/functions").json() == {"functions": ["agent:support"]}
        assert api.get("/api/runs").json() == {"runs": []}
        start = {"function": "agent:support", "input": {"input": "Refund order A-17"}}
        refused = api.post("/api/runs", json=start)
        assert refused.status_code == 401
        # serve never gives the key to the page: the UI asks for it.
        page = api.get("/")
        assert '<meta name="agentkit-api-key" content="">' in page.text
        assert api.get("/docs").status_code == 200
        # The run-list stream over a real socket: the run just started arrives, queued
        # (serve has no worker to take it further).
        with api.stream("GET", "/api/stream/runs", timeout=30) as stream:
            lines = stream.iter_lines()
            assert next(lines) == ": agentkit"
            headers = {"Authorization": f"Bearer {KEY}"}
            with httpx.Client(base_url=serve_url) as other:
                run_id = other.post("/api/runs", json=start, headers=headers).json()["id"]
            assert next(lines) == ""
            assert next(lines) == "event: run"
            data = json.loads(next(lines).removeprefix("data: "))
            assert (data["id"], data["status"]) == (run_id, "queued")
