"""``agentkit replay`` and ``agentkit eval`` on a recorded run in a SQLite file."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from agentkit import AgentKit
from agentkit.cli import app
from agentkit.evals import Dataset

APP = "tests.evals.replay_app"


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path}/a.db"
    monkeypatch.setenv("AGENTKIT_DATABASE_URL", url)
    monkeypatch.delitem(sys.modules, APP, raising=False)
    yield url
    module = sys.modules.pop(APP, None)
    if module is not None:
        module.kit.close()
        module.changed.close()
        module.forked.close()


@pytest.fixture
def run_id(db_url: str) -> str:
    import importlib

    recorded = importlib.import_module(APP)
    kit: AgentKit = recorded.kit
    asyncio.run(kit.run(recorded.calc, input="1+2?"))
    return kit.list_runs()[0].id


def agentkit(db_url: str, *args: str) -> Result:
    return CliRunner(env={"NO_COLOR": "1", "COLUMNS": "200"}).invoke(
        app, ["--database-url", db_url, *args]
    )


def test_replay_of_unchanged_code_reports_every_step_the_same(db_url: str, run_id: str) -> None:
    result = agentkit(db_url, "replay", run_id, "--app", f"{APP}:kit")
    assert result.exit_code == 0, result.output
    assert "steps: 3 same, 0 changed, 0 new, 0 missing" in result.output


def test_replay_of_changed_code_shows_the_diff_and_exits_1(db_url: str, run_id: str) -> None:
    result = agentkit(db_url, "replay", run_id, "--app", f"{APP}:changed")
    assert result.exit_code == 1
    assert 'messages[0].parts[0].text: "You add." -> "You add numbers."' in result.output
    data = json.loads(
        agentkit(db_url, "replay", run_id, "--app", f"{APP}:changed", "--json").output
    )
    assert data["counts"] == {"same": 1, "changed": 2, "new": 0, "missing": 0}


def test_add_run_then_eval_in_replay_and_score_only(
    db_url: str, run_id: str, tmp_path: Path
) -> None:
    added = agentkit(
        db_url, "eval", "add-run", run_id, "--dataset", "evals/calc.yaml", "--name", "sum"
    )
    assert added.exit_code == 0, added.output
    dataset = Dataset.load(tmp_path / "evals" / "calc.yaml")
    assert [(c.name, c.recording) for c in dataset.cases] == [("sum", f"recordings/{run_id}.json")]
    assert (tmp_path / "evals" / "recordings" / f"{run_id}.json").exists()

    scorers = ["--scorers", f"{APP}:scorers"]
    score_only = agentkit(
        db_url,
        "eval",
        "run",
        "evals/calc.yaml",
        *scorers,
        "--mode",
        "score-only",
        "--report",
        "base.json",
        "--fail-under",
        "1.0",
    )
    assert score_only.exit_code == 0, score_only.output
    assert "100.0% of 1 case(s) passed" in score_only.output

    replayed = agentkit(
        db_url,
        "eval",
        "run",
        "evals/calc.yaml",
        *scorers,
        "--app",
        f"{APP}:changed",
        "--mode",
        "replay",
        "--baseline",
        "base.json",
        "--fail-under",
        "0.9",
        "--html",
        "r.html",
    )
    # A new system prompt, evaluated for no model call: the answer holds.
    assert replayed.exit_code == 0, replayed.output
    assert "sum: replay diverged (2 changed, 0 new, 0 missing); first at calc/infer" in (
        replayed.output
    )
    assert "no change against the baseline" in replayed.output
    assert (tmp_path / "r.html").read_text().startswith("<!doctype html>")


def test_fail_under_exits_1_below_the_threshold(db_url: str, run_id: str) -> None:
    agentkit(db_url, "eval", "add-run", run_id, "--dataset", "calc.json")
    low = agentkit(
        db_url,
        "eval",
        "run",
        "calc.json",
        "--scorers",
        f"{APP}:failing",
        "--mode",
        "score-only",
        "--fail-under",
        "0.5",
    )
    assert low.exit_code == 1
    assert "0.0% of 1 case(s) passed" in low.output


def test_runs_fork_then_runs_diff(db_url: str, run_id: str) -> None:
    import importlib

    forked = agentkit(
        db_url, "runs", "fork", run_id, "--from-step", "calc/infer#1", "--app", f"{APP}:forked"
    )
    assert forked.exit_code == 0, forked.output
    new_id = forked.output.strip()
    app_module = importlib.import_module(APP)
    fork_kit: AgentKit = app_module.forked
    output = asyncio.run(fork_kit.drive(fork_kit.get_run(new_id)))
    assert output.output == "Forked: 3."

    shown = agentkit(db_url, "runs", "diff", run_id, new_id)
    assert shown.exit_code == 0, shown.output
    lines = shown.output.splitlines()
    assert lines[1:4] == [
        "  = calc/infer [infer]",
        "  = calc/tool/add [run]",
        "  ~ calc/infer#1 [infer]",
    ]
    assert "tool calls: the same (1)" in shown.output
    assert '  output: "It is 3." -> "Forked: 3."' in shown.output
    data = json.loads(agentkit(db_url, "runs", "diff", run_id, new_id, "--json").output)
    assert data["same_trajectory"] is False


def test_replay_live_from_divergence_and_eval_live(db_url: str, run_id: str) -> None:
    live = agentkit(
        db_url,
        "replay",
        run_id,
        "--app",
        f"{APP}:changed",
        "--json",
        "--live-from-divergence",
        f"{APP}:live_model",
        "--tools",
        f"{APP}:fake_tools",
    )
    data = json.loads(live.output)
    assert data["status"] == "completed"
    assert data["output"]["output"] == "Live: 3."
    assert [(s["key"], s["status"], s["live"]) for s in data["steps"]] == [
        ("calc/infer", "changed", True),
        ("calc/tool/add", "missing", False),
        ("calc/infer#1", "missing", False),
    ]
    agentkit(db_url, "eval", "add-run", run_id, "--dataset", "calc.yaml", "--name", "sum")
    live_eval = agentkit(
        db_url,
        "eval",
        "run",
        "calc.yaml",
        "--scorers",
        f"{APP}:scorers",
        "--mode",
        "live",
        "--target",
        f"{APP}:live_agent",
        "--json",
    )
    report = json.loads(live_eval.output)
    assert report["mode"] == "live"
    assert report["cases"][0]["output"]["output"] == "Live: 3."
