"""A weather agent on SQLite, SIGKILLed twice mid-run, resumed by a new process.

The agent's process talks to the real llama.cpp server through a counting
proxy in this test, so what the server received and answered is known from
outside the agent. Kill 1 lands inside the tool, after the first model call
was answered and journaled; kill 2 lands while the second model call is in
flight (the proxy holds it, unanswered). The third process finishes the run.
No answered model call may be asked for again: the server answers exactly two
requests, one per turn.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from agentkit.store import SQLStore
from tests.integration.harness import CountingProxy, ProxiedRequest, counting_proxy
from tests.killing import REPO, deadline, run_process, spawn

pytestmark = pytest.mark.integration

APP = [sys.executable, "-m", "tests.integration.kill_app"]


def _tool_results(body: dict[str, Any]) -> int:
    """How many tool results a request's history holds: 2 from the worked
    examples, then one more per tool call of this run."""
    return sum(1 for message in body["messages"] if message["role"] == "tool")


def _wait_for(condition: Any, what: str, timeout: float) -> None:
    stop_at = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > stop_at:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.05)


def _ledger(path: Path) -> list[int]:
    if not path.exists():
        return []
    return [int(line.split()[1]) for line in path.read_text().splitlines()]


def _resume(env: dict[str, str], run_id: str, **extra: str) -> Any:
    return spawn(
        [*APP, "resume", run_id],
        cwd=REPO,
        env={**env, **extra},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _kill(proc: subprocess.Popen[str]) -> int:
    assert proc.poll() is None, f"process {proc.pid} ended before it was killed"
    proc.kill()
    proc.wait(deadline(30))
    assert proc.returncode == -9
    return proc.pid


def _turns(requests: list[ProxiedRequest]) -> list[int]:
    return [_tool_results(entry.body) for entry in requests]


@pytest.mark.timeout(300)
def test_killed_agent_resumes_without_repaying_a_model_call(llama_url: str, tmp_path: Path) -> None:
    hold_second_call = threading.Event()

    def hold(body: dict[str, Any]) -> bool:
        return hold_second_call.is_set() and _tool_results(body) == 3

    ledger = tmp_path / "tools.ledger"
    database = f"sqlite:///{tmp_path}/kill.db"
    with counting_proxy(llama_url, hold=hold) as (proxy_url, proxy):
        env = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "KILL_DATABASE_URL": database,
            "KILL_MODEL_URL": proxy_url,
            "KILL_LEDGER": str(ledger),
        }
        env.pop("OPENAI_API_KEY", None)  # a self-hosted server needs none
        started = run_process([*APP, "start"], cwd=REPO, env=env, check=True)
        run_id = started.stdout.strip()

        # Kill 1: inside the tool, after the first model call was answered.
        with _resume(env, run_id, KILL_BLOCK_TOOL="1") as first:
            _wait_for(lambda: len(_ledger(ledger)) == 1, "the first tool call", deadline(180))
            first_pid = _kill(first)
        assert _turns(proxy.answered()) == [2]

        # Kill 2: while the second model call is in flight (held by the proxy).
        hold_second_call.set()
        with _resume(env, run_id) as second:
            assert proxy.wait_held(deadline(180)), "the second model call never came"
            second_pid = _kill(second)
        hold_second_call.clear()
        assert _turns(proxy.answered()) == [2]  # the first call was not asked for again

        # The third process finishes the run.
        with _resume(env, run_id) as third:
            out, err = third.communicate(timeout=deadline(180))
            assert third.returncode == 0, err
        summary = _last_json_line(out)

        _check(proxy, ledger, first_pid, second_pid, third.pid, summary)
    _check_store(database, run_id)


def _last_json_line(out: str) -> dict[str, Any]:
    lines = out.strip().splitlines()
    assert lines[0] == "ready"
    parsed: dict[str, Any] = json.loads(lines[-1])
    return parsed


def _check(
    proxy: CountingProxy,
    ledger: Path,
    first_pid: int,
    second_pid: int,
    third_pid: int,
    summary: dict[str, Any],
) -> None:
    # Each turn answered once: the first by the first process, the second by
    # the third (the second process died with its request in flight).
    assert _turns(proxy.requests) == [2, 3, 3]
    assert [entry.status for entry in proxy.requests] == [200, None, 200]
    # The tool in flight at kill 1 ran again (at-least-once); once journaled,
    # never again.
    assert _ledger(ledger) == [first_pid, second_pid]
    assert third_pid not in (first_pid, second_pid)
    assert summary["model_calls"] == 2
    [arguments] = summary["tool_calls"]
    assert list(arguments) == ["city"]
    answered = proxy.answered()[-1].response
    assert summary["output"] == answered["choices"][0]["message"]["content"] != ""


def _check_store(database: str, run_id: str) -> None:
    store = SQLStore(database)
    try:
        run = store.get_run(run_id)
        assert run is not None and run.status == "completed"
        journal = store.load_journal(run_id)
        assert [(step.key, step.kind) for step in journal] == [
            ("weather/infer", "infer"),
            ("weather/tool/get_weather", "run"),
            ("weather/infer#1", "infer"),
        ]
        completions = store.list_completions(run_id)
        assert [(c.step_key, c.status_code) for c in completions] == [
            ("weather/infer", 200),
            ("weather/infer#1", 200),
        ]
    finally:
        store.close()
