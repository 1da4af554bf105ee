"""Failures at the edge: bad database URLs, usage errors, the one-line error contract."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError
from typer.testing import CliRunner

from agentkit.cli import app
from agentkit.cli._boundary import error_message
from agentkit.errors import RunNotFound, TokenExpired
from tests.cli.conftest import assert_one_error_line

DEMO_STARTS_ONE = "agentkit demo starts one (its runs go to sqlite:///.agentkit/demo.db)"


def test_invalid_url(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--database-url", "nonsense", "runs", "list"])
    assert_one_error_line(result, "database URL 'nonsense' is not a valid SQLAlchemy URL")


def test_file_that_is_not_a_database(runner: CliRunner, tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not SQLite" * 512)

    result = runner.invoke(app, ["--database-url", f"sqlite:///{junk}", "tokens", "list"])

    assert_one_error_line(result, f"cannot open database sqlite:///{junk}: file is not a database")


def test_database_in_a_folder_that_is_a_file(runner: CliRunner, tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("", encoding="utf-8")
    url = f"sqlite:///{blocker}/a.db"

    result = runner.invoke(app, ["--database-url", url, "runs", "show", "run_x"])

    assert_one_error_line(
        result,
        f"no database at {blocker}/a.db (given by --database-url): nothing has run here yet; "
        f"{DEMO_STARTS_ONE}; or pass --database-url",
    )


def test_unknown_driver_hides_the_password(runner: CliRunner) -> None:
    url = "postgresql+nosuchdriver://agent:hunter2@localhost/runs"

    result = runner.invoke(app, ["--database-url", url, "runs", "list"])

    assert_one_error_line(result, "database URL 'postgresql+nosuchdriver': unknown dialect")
    assert "hunter2" not in result.output


def test_url_from_the_environment(runner: CliRunner, empty_db: str) -> None:
    result = runner.invoke(app, ["runs", "list"], env={"AGENTKIT_DATABASE_URL": empty_db})
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[:2] == [
        f"database: {empty_db} (from AGENTKIT_DATABASE_URL)",
        "no runs",
    ]

    bad = runner.invoke(app, ["runs", "list"], env={"AGENTKIT_DATABASE_URL": "nonsense"})
    assert_one_error_line(bad, "database URL 'nonsense' is not a valid SQLAlchemy URL")


def test_option_beats_the_environment(runner: CliRunner, empty_db: str) -> None:
    result = runner.invoke(
        app,
        ["--database-url", empty_db, "runs", "list"],
        env={"AGENTKIT_DATABASE_URL": "nonsense"},
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == f"database: {empty_db} (from --database-url)"


@pytest.mark.parametrize(
    "args",
    [
        ["runs", "show"],
        ["runs", "list", "--limit", "0"],
        ["tokens", "list", "--status", "late"],
        ["worker", "app:kit", "--concurrency", "0"],
        ["nope"],
    ],
)
def test_usage_errors_exit_2_without_traceback(
    runner: CliRunner, tmp_path: Path, args: list[str]
) -> None:
    result = runner.invoke(app, ["--database-url", f"sqlite:///{tmp_path}/a.db", *args])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "Traceback" not in result.output


@pytest.mark.parametrize("args", [[], ["runs"], ["tokens"]])
def test_groups_without_a_command_show_help(runner: CliRunner, args: list[str]) -> None:
    result = runner.invoke(app, args)
    assert "Usage:" in result.output
    assert "Traceback" not in result.output


def test_database_error_after_opening(runner: CliRunner, tmp_path: Path) -> None:
    # A table from an incompatible schema: the database opens, the query fails.
    path = tmp_path / "old.db"
    with closing(sqlite3.connect(path)) as db:
        db.execute("CREATE TABLE agentkit_runs (id TEXT PRIMARY KEY)")
        # Stamped as this agentkit's revision, so that opening it succeeds.
        db.execute("CREATE TABLE agentkit_schema_version (version_num VARCHAR(32) PRIMARY KEY)")
        db.execute("INSERT INTO agentkit_schema_version VALUES ('0005')")
        db.commit()

    result = runner.invoke(app, ["--database-url", f"sqlite:///{path}", "runs", "list"])

    assert_one_error_line(result, "database error: no such column: agentkit_runs.function_id")


def test_error_messages_are_one_line() -> None:
    assert error_message(RunNotFound("run_x")) == "no run with id 'run_x'"
    assert error_message(TokenExpired("token\nfor step 'a'   expired")) == (
        "token for step 'a' expired"
    )
    assert error_message(json.JSONDecodeError("Expecting value", "\n  x", 3)) == (
        "invalid JSON: Expecting value at line 2, column 3"
    )
    locked = OperationalError("SELECT 1", {}, sqlite3.OperationalError("database is locked"))
    assert error_message(locked) == "database error: database is locked"
    assert error_message(ValueError("a bug")) is None
