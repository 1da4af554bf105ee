"""``agentkit serve``: the API and UI without a worker, in a subprocess, over loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.server._process import agentkit_server

KEY = "serve-test-key-0123456789"


@pytest.fixture
def serve_url(tmp_path: Path) -> Iterator[str]:
    app = "tests.server.browser_app:kit"
    env = {"AGENTKIT_API_KEY": KEY}
    with agentkit_server(tmp_path, "serve", app=app, env=env) as (url, line):
        assert f"agentkit API and UI for {app}" in line
        yield url


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
