"""The API names a run's OpenTelemetry trace; ``agentkit dev --otel`` registers the observer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agentkit import AgentKit
from agentkit.otel import OTelObserver
from tests.server._process import agentkit_server
from tests.server.conftest import AUTH
from tests.server.test_api import start_waiting

REPO = Path(__file__).resolve().parents[2]
KEY = "otel-dev-test-key-0123456789"
AUTH_DEV = {"Authorization": f"Bearer {KEY}"}


async def test_the_run_page_names_the_trace_its_spans_are_in(
    api: httpx.AsyncClient, kit: AgentKit
) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    untraced = await kit.start(kit.functions["add"], a=1, b=2)
    await kit.worker(stop_when_idle=True)
    kit.observers.append(OTelObserver(provider))
    run_id, detail = await start_waiting(api, kit)
    spans = exporter.get_finished_spans()
    assert {s.name for s in spans} >= {"run agent:support", "step support/infer"}
    assert {format(s.context.trace_id, "032x") for s in spans} == {detail["run"]["trace_id"]}
    assert all(s.attributes and s.attributes["agentkit.run.id"] == run_id for s in spans)
    # A run executed before any observer has no trace.
    plain = (await api.get(f"/api/runs/{untraced.id}", headers=AUTH)).json()
    assert plain["run"]["trace_id"] is None


def test_dev_with_otel_makes_spans_on_the_global_provider(tmp_path: Path) -> None:
    spans_file = tmp_path / "spans.jsonl"
    env = {"AGENTKIT_API_KEY": KEY, "AGENTKIT_TEST_SPANS": str(spans_file)}
    app = "tests.server.otel_app:kit"
    with (
        agentkit_server(tmp_path, "dev", "--otel", app=app, env=env) as (url, _),
        httpx.Client(base_url=url, headers=AUTH_DEV) as api,
    ):
        started = api.post(
            "/api/runs",
            json={"function": "agent:support", "input": {"input": "Refund A-17"}},
        )
        run_id = started.json()["id"]
        run: dict[str, Any] = {}
        for _ in range(600):  # until the worker parks it on the approval
            run = api.get(f"/api/runs/{run_id}").json()["run"]
            if run["status"] == "waiting" and spans_file.exists():
                break
            time.sleep(0.05)
        assert run["status"] == "waiting", (tmp_path / "server.log").read_text()
    spans = [json.loads(line) for line in spans_file.read_text().splitlines()]
    ours = [s for s in spans if s["attributes"].get("agentkit.run.id") == run_id]
    assert {s["name"] for s in ours} >= {"run agent:support", "step support/infer", "chat scripted"}
    assert {s["context"]["trace_id"] for s in ours} == {"0x" + run["trace_id"]}
    # FastAPI traces its requests on the global provider too: the run started by
    # POST /api/runs joined that request's trace (its traceparent, stored on start).
    [post] = [s for s in spans if s["name"] == "POST /api/runs"]
    assert post["context"]["trace_id"] == "0x" + run["trace_id"]
    [run_span] = [s for s in ours if s["name"] == "run agent:support"]
    request_spans = {
        s["context"]["span_id"]
        for s in spans
        if s["context"]["trace_id"] == post["context"]["trace_id"]
        and "agentkit.run.id" not in s["attributes"]
    }
    assert run_span["parent_id"] in request_spans


def test_dev_with_otel_without_the_extra_says_what_to_install() -> None:
    code = (
        "import sys\n"
        "sys.modules['agentkit.otel'] = None  # as if the extra were not installed\n"
        "from typer.testing import CliRunner\n"
        "from agentkit.cli import app\n"
        "args = ['dev', '--app', 'tests.server.browser_app:kit', '--otel']\n"
        "result = CliRunner().invoke(app, args)\n"
        "print(result.exit_code, repr(result.output))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    last = done.stdout.splitlines()[-1]
    assert last.startswith("1 "), done.stdout
    assert "--otel needs the otel extra" in last
    assert "pip install 'agentkit[otel]'" in last
