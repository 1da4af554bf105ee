"""``agentkit events send`` and ``agentkit functions list``."""

from __future__ import annotations

import json
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agentkit import AgentKit
from agentkit.cli import app

APP = textwrap.dedent(
    """
    import os
    from agentkit import AgentKit, Concurrency, Context, Throttle, cron, on_event

    kit = AgentKit(os.environ["FLOW_CLI_URL"])

    @kit.function(trigger=on_event("order.paid"), concurrency=Concurrency(2, key="input.event"))
    async def ship(ctx: Context, event: dict) -> None:
        return None

    @kit.function(trigger=cron("*/5 * * * *", tz="Europe/Paris"), throttle=Throttle(10, 60))
    async def report(ctx: Context) -> None:
        return None
    """
)


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    (tmp_path / "cliapp_flow.py").write_text(APP)
    monkeypatch.syspath_prepend(str(tmp_path))
    url = f"sqlite:///{tmp_path}/kit.db"
    monkeypatch.setenv("FLOW_CLI_URL", url)
    AgentKit(url).close()
    yield url
    sys.modules.pop("cliapp_flow", None)


def test_functions_list_shows_triggers_and_limits(url: str) -> None:
    result = CliRunner().invoke(app, ["functions", "list", "cliapp_flow:kit", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == [
        {"id": "ship", "trigger": "event order.paid", "limits": ["concurrency 2 per input.event"]},
        {
            "id": "report",
            "trigger": "cron */5 * * * * (Europe/Paris)",
            "limits": ["throttle 10/60s burst 1"],
        },
    ]


def test_events_send_starts_triggered_functions_once_per_id(url: str) -> None:
    args = ["--database-url", url, "events", "send", "order.paid", "--data", '{"order": 7}']
    args += ["--id", "evt-7", "--app", "cliapp_flow:kit"]
    first = CliRunner().invoke(app, args)
    again = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    assert first.output.splitlines()[0] == "sent event 'order.paid': 1 run(s) started or woken"
    assert again.output.splitlines() == ["sent event 'order.paid': 0 run(s) started or woken"]
    kit = AgentKit(url)
    runs = kit.list_runs(function_id="ship")
    kit.close()
    assert [json.loads(r.input)["event"]["data"] for r in runs] == [{"order": 7}]


def test_events_send_rejects_bad_json(url: str) -> None:
    result = CliRunner().invoke(
        app, ["--database-url", url, "events", "send", "x", "--data", "{nope"]
    )
    assert result.exit_code != 0
    assert "--data is not valid JSON" in result.output
