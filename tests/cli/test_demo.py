"""`agentkit demo` end to end: real child processes, a real SIGKILL, a real token."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from agentkit.store import SQLStore
from tests.killing import run_process


@pytest.mark.timeout(300)
@pytest.mark.parametrize("crash_at", [1, 3])
def test_demo_kills_resumes_approves_and_repays_nothing(tmp_path: Path, crash_at: int) -> None:
    url = f"sqlite:///{tmp_path}/demo.db"
    env = {**os.environ, "AGENTKIT_DEMO_TOOL_SECONDS": "0.1", "COLUMNS": "200"}
    done = run_process(
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
        timeout=240,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    out = done.stdout
    assert "the model is scripted" in out
    assert f"in the middle of tool call {crash_at}" in out
    assert "researcher/approve/publish: waiting for a human" in out
    repaid_row = next(line for line in out.splitlines() if "model calls repaid here" in line)
    assert repaid_row.split("│")[2].strip() == "0"
    assert "(one was in flight at the kill)" in out
    assert "publish, from the journal: approved by a human; publish ran once" in out

    store = SQLStore(url)
    [run] = store.list_runs()
    journal = store.load_journal(run.id)
    completions = store.list_completions(run.id)
    store.close()
    assert (run.function_id, run.status) == ("agent:researcher", "completed")
    assert [s.kind for s in journal].count("infer") == 6
    assert [s.kind for s in journal].count("run") == 5
    # Exactly one stored completion per model call: nothing was paid twice.
    referenced = {
        json.loads(s.output or "{}")["completion_id"] for s in journal if s.kind == "infer"
    }
    assert sorted(c.id for c in completions) == sorted(referenced)
    assert json.loads(run.output or "{}")["output"].endswith("Brief published.")


def test_live_model_follows_the_keys_present(monkeypatch: pytest.MonkeyPatch) -> None:
    from agentkit.cli._demo_app import build_model
    from agentkit.errors import ConfigError
    from agentkit.models import AnthropicModel, FallbackModel, OpenAIModel, ScriptedModel

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    assert isinstance(build_model(live=False), ScriptedModel)
    with pytest.raises(ConfigError, match="--live needs OPENAI_API_KEY or ANTHROPIC_API_KEY"):
        build_model(live=True)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    assert isinstance(build_model(live=True), AnthropicModel)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    both = build_model(live=True)
    assert isinstance(both, FallbackModel)
    assert [type(m) for m in both.models] == [OpenAIModel, AnthropicModel]


@pytest.mark.timeout(300)
def test_demo_rejected_says_so_and_prints_commands_whole(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/demo.db"
    # A narrow terminal: Rich wraps text at 40 columns, but never a command.
    env = {**os.environ, "AGENTKIT_DEMO_TOOL_SECONDS": "0.1", "COLUMNS": "40"}
    done = run_process(
        [sys.executable, "-m", "agentkit", "demo", "--reject", "--database-url", url],
        cwd=tmp_path,
        env=env,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""

    store = SQLStore(url)
    [run] = store.list_runs()
    [token] = store.list_tokens(run_id=run.id, status=None)
    journal = store.load_journal(run.id)
    store.close()
    lines = done.stdout.splitlines()
    command = (
        f"  agentkit --database-url {url} tokens complete {token.token} "
        "--data '{\"approved\": true}'"
    )
    assert command in lines
    assert f"inspect: agentkit --database-url {url} runs show {run.id}" in lines
    assert f"{run.id} on {url}" in lines
    assert "Brief published." not in done.stdout
    assert json.loads(token.payload or "null") == {
        "approved": False,
        "reason": "rejected with --reject",
    }
    assert "researcher/tool/publish" not in [step.key for step in journal]
    answer = json.loads(run.output or "{}")["output"]
    assert answer.endswith(
        "The brief was not published: rejected by a human: rejected with --reject"
    )
    assert (
        "publish, from the journal: rejected by a human (rejected with --reject); "
        "publish never ran, nothing was published"
    ) in " ".join(done.stdout.split())
