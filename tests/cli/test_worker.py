"""``agentkit worker APP``: loading the app's kit, choosing its database, stopping."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from agentkit import AgentKit
from agentkit.cli import app
from tests.cli.conftest import CLI, Functions, assert_one_error_line, register
from tests.killing import deadline, spawn

FUNCTION_NAMES = "broken, child, parent, review"


@pytest.fixture
def app_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A working directory for app modules; sys.path and sys.modules are restored after."""
    directory = tmp_path / "project"
    directory.mkdir()
    monkeypatch.chdir(directory)
    monkeypatch.setattr(sys, "path", list(sys.path))
    before = set(sys.modules)
    yield directory
    for name in set(sys.modules) - before:
        if name.startswith("cliapp_"):
            del sys.modules[name]


def write_app(directory: Path, name: str, body: str) -> str:
    (directory / f"{name}.py").write_text(textwrap.dedent(body), encoding="utf-8")
    return name


DEFAULT_KIT_APP = """
    from agentkit import AgentKit
    from tests.cli.conftest import register

    kit = AgentKit()
    functions = register(kit)
"""


def test_worker_executes_runs_and_follows_database_url(
    kit: AgentKit, functions: Functions, cli: CLI, app_dir: Path
) -> None:
    module = write_app(app_dir, "cliapp_default", DEFAULT_KIT_APP)
    handle = kit.get_run(_start(kit, functions))

    result = cli("worker", f"{module}:kit", "--stop-when-idle", "--poll-interval", "0.01")

    assert result.exit_code == 0, result.output
    assert result.stderr == (
        f"worker for {module}:kit on {cli.db_url}: functions {FUNCTION_NAMES}; Ctrl-C to stop\n"
    )
    assert handle.status() == "waiting"
    [token] = kit.list_tokens(run_id=handle.id)
    assert cli("tokens", "complete", token.token, "--data", '{"approved": true}').exit_code == 0

    again = cli("worker", f"{module}:kit", "--stop-when-idle", "--poll-interval", "0.01")

    assert again.exit_code == 0, again.output
    assert handle.status() == "completed"
    assert json.loads(handle.record().output or "null") == "DRAFT:True"


def _start(kit: AgentKit, functions: Functions) -> str:
    import asyncio

    return asyncio.run(kit.start(functions.review, "draft")).id


def test_kit_with_its_own_database_wins(cli: CLI, app_dir: Path, tmp_path: Path) -> None:
    own_url = f"sqlite:///{tmp_path}/own.db"
    module = write_app(
        app_dir,
        "cliapp_own",
        f"""
        from agentkit import AgentKit
        from tests.cli.conftest import register

        kit = AgentKit({own_url!r})
        functions = register(kit)
        """,
    )
    own = AgentKit(own_url)
    try:
        run_id = _start(own, register(own))

        result = cli("worker", f"{module}:kit", "--stop-when-idle", "--poll-interval", "0.01")

        assert result.exit_code == 0, result.output
        assert result.stderr.splitlines() == [
            f"note: {module}:kit has its own database {own_url}; "
            f"--database-url {cli.db_url} is ignored",
            f"worker for {module}:kit on {own_url}: functions {FUNCTION_NAMES}; Ctrl-C to stop",
        ]
        assert own.get_run(run_id).status() == "waiting"
    finally:
        own.close()


def test_database_url_from_the_environment_reaches_the_kit(
    kit: AgentKit, functions: Functions, db_url: str, runner: CliRunner, app_dir: Path
) -> None:
    module = write_app(app_dir, "cliapp_env", DEFAULT_KIT_APP)
    run_id = _start(kit, functions)

    result = runner.invoke(
        app,
        ["worker", f"{module}:kit", "--stop-when-idle", "--poll-interval", "0.01"],
        env={"AGENTKIT_DATABASE_URL": db_url},
    )

    assert result.exit_code == 0, result.output
    assert "note:" not in result.stderr
    assert kit.get_run(run_id).status() == "waiting"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("cliapp_good", "APP must look like 'module:attribute', got 'cliapp_good'"),
        ("cliapp_good:", "APP must look like 'module:attribute', got 'cliapp_good:'"),
        (":kit", "APP must look like 'module:attribute', got ':kit'"),
        ("cliapp_absent:kit", "cannot import 'cliapp_absent': no module named 'cliapp_absent'"),
        ("cliapp_good:nokit", "module 'cliapp_good' has no attribute 'nokit'"),
        ("cliapp_good:functions", "'cliapp_good:functions' is Functions, not an AgentKit instance"),
        (
            "cliapp_good:AgentKit",
            "'cliapp_good:AgentKit' is the class AgentKit, not an AgentKit instance",
        ),
        ("cliapp_boom:kit", "importing 'cliapp_boom' failed: RuntimeError: no API key"),
        (
            "cliapp_needs:kit",
            "importing 'cliapp_needs' failed: ModuleNotFoundError: "
            "No module named 'cliapp_missing_dependency'",
        ),
    ],
)
def test_bad_app_is_one_error_line(cli: CLI, app_dir: Path, spec: str, message: str) -> None:
    write_app(app_dir, "cliapp_good", DEFAULT_KIT_APP)
    write_app(app_dir, "cliapp_boom", "raise RuntimeError('no API key')\n")
    write_app(app_dir, "cliapp_needs", "import cliapp_missing_dependency\n")

    assert_one_error_line(cli("worker", spec), message)


def test_dotted_attribute(kit: AgentKit, cli: CLI, app_dir: Path) -> None:
    module = write_app(
        app_dir,
        "cliapp_dotted",
        """
        from types import SimpleNamespace

        from agentkit import AgentKit

        settings = SimpleNamespace(kit=AgentKit())
        """,
    )

    result = cli("worker", f"{module}:settings.kit", "--stop-when-idle")

    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        f"worker for {module}:settings.kit on {cli.db_url}: functions none; Ctrl-C to stop",
        f"note: {module}:settings.kit registers no durable functions; this worker will run nothing",
    ]


def test_ctrl_c_stops_the_worker_cleanly(tmp_path: Path) -> None:
    (tmp_path / "cliapp_sigint.py").write_text(
        textwrap.dedent(
            """
            from agentkit import AgentKit

            kit = AgentKit()

            @kit.function()
            async def noop(ctx) -> None:
                return None
            """
        ),
        encoding="utf-8",
    )
    env = {"AGENTKIT_DATABASE_URL": f"sqlite:///{tmp_path}/a.db", "PATH": "/usr/bin:/bin"}
    with spawn(
        [
            sys.executable,
            "-c",
            "from agentkit.cli import main; main()",
            "worker",
            "cliapp_sigint:kit",
            "--poll-interval",
            "0.05",
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as worker:  # killed and reaped on the way out, whatever happens
        assert worker.stderr is not None
        first = worker.stderr.readline()
        assert first.startswith("worker for cliapp_sigint:kit on "), first
        worker.send_signal(signal.SIGINT)
        stdout, rest = worker.communicate(timeout=deadline(120))
    assert worker.returncode == 0
    assert (stdout, rest) == ("", "worker stopped\n")


_LOG_LINE = re.compile(r"^\d\d:\d\d:\d\d (?P<level>[A-Z]+) (?P<logger>[\w.]+): (?P<message>.*)$")


def _log_records(stderr: str) -> list[tuple[str, str, str]]:
    """(level, logger, message) of each log line; other lines (the banner) are left out."""
    found = []
    for line in stderr.splitlines():
        match = _LOG_LINE.match(line)
        if match:
            found.append((match["level"], match["logger"], match["message"]))
    return found


def _worker(cli: CLI, module: str, *flags: str) -> Result:
    return cli("worker", f"{module}:kit", "--stop-when-idle", "--poll-interval", "0.01", *flags)


def test_verbose_worker_logs_claims_and_the_command_that_answers_a_wait(
    kit: AgentKit, functions: Functions, cli: CLI, app_dir: Path
) -> None:
    module = write_app(app_dir, "cliapp_verbose", DEFAULT_KIT_APP)
    run_id = _start(kit, functions)

    result = _worker(cli, module, "-v")

    assert result.exit_code == 0, result.output
    [token] = kit.list_tokens(run_id=run_id)
    assert _log_records(result.stderr) == [
        ("INFO", "agentkit.worker", f"claimed run {run_id} (review), execution 1"),
        (
            "INFO",
            "agentkit.durable",
            f"run {run_id} waits for a token on step 'approve' (approve the draft); "
            f"answer it with: agentkit --database-url '{cli.db_url}' tokens complete "
            f"{token.token} --data '<json>'",
        ),
    ]


def test_very_verbose_worker_logs_every_step(
    kit: AgentKit, functions: Functions, cli: CLI, app_dir: Path
) -> None:
    module = write_app(app_dir, "cliapp_very_verbose", DEFAULT_KIT_APP)
    run_id = _start(kit, functions)

    result = _worker(cli, module, "-vv")

    assert result.exit_code == 0, result.output
    debug = [message for level, _, message in _log_records(result.stderr) if level == "DEBUG"]
    assert f"run {run_id}: step 'fetch' started" in debug
    assert f"run {run_id}: step 'fetch' completed" in debug
    assert [level for level, _, _ in _log_records(result.stderr)].count("INFO") == 2


def test_quiet_worker_still_shows_failures(
    kit: AgentKit, functions: Functions, cli: CLI, app_dir: Path
) -> None:
    module = write_app(app_dir, "cliapp_quiet", DEFAULT_KIT_APP)
    run_id = asyncio.run(kit.start(functions.broken)).id

    result = _worker(cli, module)

    assert result.exit_code == 0, result.output
    records = _log_records(result.stderr)
    assert {level for level, _, _ in records} == {"WARNING"}
    assert (
        "WARNING",
        "agentkit.durable",
        f"run {run_id} failed: StepFailed: step 'explode' failed after 1 attempt(s): "
        "NonRetriableError: the printer is on fire",
    ) in records


def test_worker_logging_is_undone_when_the_worker_stops(
    kit: AgentKit, cli: CLI, app_dir: Path
) -> None:
    logger = logging.getLogger("agentkit")
    before = (logger.level, logger.propagate, list(logger.handlers))
    module = write_app(app_dir, "cliapp_undo", DEFAULT_KIT_APP)

    assert _worker(cli, module, "-vv").exit_code == 0

    assert (logger.level, logger.propagate, list(logger.handlers)) == before
