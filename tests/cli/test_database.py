"""Which database the CLI reads, and that looking never creates one."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agentkit import AgentKit
from agentkit.cli import app
from tests.cli.conftest import assert_one_error_line

DEMO_STARTS_ONE = "agentkit demo starts one (its runs go to sqlite:///.agentkit/demo.db)"

READ_ONLY = [
    ["runs", "list"],
    ["runs", "list", "--json"],
    ["runs", "show", "run_x"],
    ["runs", "completions", "run_x"],
    ["runs", "completions", "run_x", "--raw"],
    ["tokens", "list"],
    ["tokens", "list", "--json"],
]
CHANGING = [
    ["runs", "cancel", "run_x"],
    ["runs", "resume", "run_x"],
    ["tokens", "complete", "tok_x", "--data", "{}"],
]


@pytest.mark.parametrize("args", READ_ONLY + CHANGING, ids=" ".join)
def test_missing_sqlite_file_is_one_error_and_stays_missing(
    runner: CliRunner, tmp_path: Path, args: list[str]
) -> None:
    path = tmp_path / "nothing-here" / "a.db"

    result = runner.invoke(app, ["--database-url", f"sqlite:///{path}", *args])

    assert_one_error_line(
        result,
        f"no database at {path} (given by --database-url): nothing has run here yet; "
        f"{DEMO_STARTS_ONE}; or pass --database-url",
    )
    assert not path.exists()
    assert not path.parent.exists()


@pytest.mark.parametrize("args", READ_ONLY, ids=" ".join)
def test_default_database_is_not_created_by_a_look(
    runner: CliRunner, tmp_path: Path, args: list[str]
) -> None:
    result = runner.invoke(app, args)

    assert_one_error_line(
        result,
        "no database at .agentkit/agentkit.db (the default, sqlite:///.agentkit/agentkit.db): "
        f"nothing has run here yet; {DEMO_STARTS_ONE}; or pass --database-url",
    )
    assert list(tmp_path.iterdir()) == []


def test_missing_default_database_points_at_the_demo_runs(
    runner: CliRunner, tmp_path: Path
) -> None:
    # The first hour: `agentkit demo`, then `agentkit runs list` reads the default database.
    AgentKit("sqlite:///.agentkit/demo.db").close()

    result = runner.invoke(app, ["runs", "list"])

    assert_one_error_line(
        result,
        "no database at .agentkit/agentkit.db (the default, sqlite:///.agentkit/agentkit.db): "
        "nothing has run here yet; the demo's runs are in sqlite:///.agentkit/demo.db: "
        "agentkit --database-url sqlite:///.agentkit/demo.db runs list; or pass --database-url",
    )
    assert not (tmp_path / ".agentkit" / "agentkit.db").exists()


def test_missing_demo_database_says_the_demo_makes_it(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["runs", "list"], env={"AGENTKIT_DATABASE_URL": "sqlite:///.agentkit/demo.db"}
    )

    assert_one_error_line(
        result,
        "no database at .agentkit/demo.db (from AGENTKIT_DATABASE_URL): nothing has run here "
        "yet; agentkit demo starts a run in it; or pass --database-url",
    )
    assert list(tmp_path.iterdir()) == []


def test_read_only_commands_add_no_tables(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with closing(sqlite3.connect(path)) as db:
        db.execute("CREATE TABLE notes (text TEXT)")
        db.commit()

    result = runner.invoke(app, ["--database-url", f"sqlite:///{path}", "runs", "list"])

    assert_one_error_line(result, "database error: no such table: agentkit_runs")
    with closing(sqlite3.connect(path)) as db:
        tables = db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    assert tables == [("notes",)]
