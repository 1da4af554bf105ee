"""OpenTelemetry stays out of the engine; the CLI does not load the server to start."""

from __future__ import annotations

import json
import sys

from tests.killing import run_process


def _loaded_after(code: str, names: tuple[str, ...]) -> list[str]:
    probe = (
        f"{code}\n"
        "import json, sys\n"
        f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({names!r}))))"
    )
    result = run_process([sys.executable, "-c", probe], check=True)
    return list(json.loads(result.stdout.splitlines()[-1]))


def test_the_server_loads_no_opentelemetry_sdk_until_a_run_is_traced() -> None:
    # FastAPI itself depends on opentelemetry-api; the SDK ([otel]) is ours to load.
    code = (
        "import sys\n"
        "from agentkit import AgentKit\n"
        "from agentkit.server import create_app\n"
        "from agentkit.store import InMemoryStore\n"
        "create_app(AgentKit(store=InMemoryStore()))\n"
        "print(sorted(m for m in sys.modules if m.startswith('opentelemetry.sdk')))\n"
    )
    result = run_process([sys.executable, "-c", code], check=True)
    assert result.stdout.splitlines()[-1] == "[]"


def test_the_engine_and_the_cli_load_neither_the_server_nor_opentelemetry() -> None:
    heavy = ("fastapi", "uvicorn", "opentelemetry", "starlette")
    assert _loaded_after("import agentkit, agentkit.durable, agentkit.agents", heavy) == []
    assert _loaded_after("import agentkit.cli", heavy) == []
