"""Schema migrations: a database made before them is refused, upgraded intact, and resumed."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect
from typer.testing import CliRunner

from agentkit import AgentKit, ConfigError, Context
from agentkit.cli import app
from agentkit.store import SQLStore

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "schema" / "agentkit-0.db"
HEAD = "0005"


@pytest.fixture
def old_db(tmp_path: Path) -> Path:
    path = tmp_path / "old.db"
    shutil.copy(FIXTURE, path)
    return path


def _register(kit: AgentKit) -> None:
    @kit.function(id="approval")
    async def approval(ctx: Context, item: str) -> str:
        prepared = await ctx.step.run("prepare", lambda: f"prepared {item}")
        token = await ctx.step.create_token("approve")
        answer = await ctx.step.wait_for_token(token)
        return f"{prepared}: {answer}"


def test_an_older_database_is_refused_with_what_to_do(old_db: Path) -> None:
    with pytest.raises(
        ConfigError,
        match=rf"schema revision 0001, older than this agentkit's {HEAD}: run `agentkit db upgr",
    ):
        AgentKit(f"sqlite:///{old_db}")


async def test_an_upgraded_database_keeps_its_runs_and_resumes_them(old_db: Path) -> None:
    kit = AgentKit(f"sqlite:///{old_db}", auto_migrate=True)
    try:
        _register(kit)
        [run] = kit.list_runs()
        assert (run.status, run.function_id) == ("waiting", "approval")
        journal = kit.journal(run.id)
        assert [(s.key, s.status) for s in journal] == [
            ("prepare", "completed"),
            ("approve", "waiting"),
        ]
        [token] = kit.list_tokens(status="pending")
        kit.complete_token(token.token, "yes")
        await kit.worker(stop_when_idle=True, poll_interval=0.01)
        assert await kit.get_run(run.id).result() == "prepared lamp: yes"
        assert [(s.key, s.status) for s in kit.journal(run.id)] == [
            ("prepare", "completed"),
            ("approve", "completed"),
        ]
    finally:
        kit.close()
    store = SQLStore(f"sqlite:///{old_db}")
    assert store.schema_revision() == HEAD
    store.close()


def test_a_newer_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    SQLStore(f"sqlite:///{path}").close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE agentkit_schema_version SET version_num = '9999'")
    with pytest.raises(ConfigError, match=r"revision '9999'.*newer agentkit; upgrade agentkit"):
        SQLStore(f"sqlite:///{path}")
    with pytest.raises(ConfigError, match=r"newer agentkit"):
        SQLStore(f"sqlite:///{path}", auto_migrate=True)


def _shape(path: Path) -> dict[str, object]:
    engine = create_engine(f"sqlite:///{path}")
    found = inspect(engine)
    shape: dict[str, object] = {}
    for table in found.get_table_names():
        columns = [(c["name"], str(c["type"]), c["nullable"]) for c in found.get_columns(table)]
        indexes = sorted((i["name"], tuple(i["column_names"])) for i in found.get_indexes(table))
        shape[table] = (columns, indexes, found.get_pk_constraint(table)["constrained_columns"])
    engine.dispose()
    return shape


def test_migrations_build_exactly_the_tables_a_new_database_gets(tmp_path: Path) -> None:
    created = tmp_path / "created.db"
    SQLStore(f"sqlite:///{created}").close()
    migrated = tmp_path / "migrated.db"
    store = SQLStore(f"sqlite:///{migrated}", create_tables=False)
    assert store.schema_revision() is None
    assert store.upgrade_schema() == (None, HEAD)
    store.close()
    assert _shape(migrated) == _shape(created)
    assert "agentkit_memories" in _shape(created) and "agentkit_threads" in _shape(created)


def test_db_current_and_upgrade_commands(old_db: Path) -> None:
    runner = CliRunner()
    url = ["--database-url", f"sqlite:///{old_db}"]
    current = runner.invoke(app, [*url, "db", "current"])
    assert (current.exit_code, current.output) == (0, f"0001 (this agentkit is at {HEAD})\n")
    refused = runner.invoke(app, [*url, "runs", "list"])
    assert refused.exit_code == 1 and "agentkit db upgrade" in refused.output
    upgraded = runner.invoke(app, [*url, "db", "upgrade"])
    assert (upgraded.exit_code, upgraded.output) == (0, f"upgraded from 0001 to {HEAD}\n")
    again = runner.invoke(app, [*url, "db", "upgrade"])
    assert (again.exit_code, again.output) == (0, f"already at {HEAD}\n")
    assert runner.invoke(app, [*url, "db", "current"]).output == f"{HEAD} (up to date)\n"
    assert runner.invoke(app, [*url, "runs", "list"]).exit_code == 0
