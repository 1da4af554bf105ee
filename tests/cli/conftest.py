"""Fixtures for the CLI tests: a kit on a temporary SQLite file and a CLI runner on it."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import BaseModel
from typer.testing import CliRunner, Result

from agentkit import AgentKit, Context, DurableFunction, NonRetriableError
from agentkit.cli import app

# Rich reads these; a CI job or a developer's shell must not change what tests see.
_ISOLATED_ENV: dict[str, str | None] = {
    "AGENTKIT_DATABASE_URL": None,
    "COLUMNS": None,
    "LINES": None,
    "FORCE_COLOR": None,
    "NO_COLOR": "1",
    "TTY_COMPATIBLE": None,
    "TTY_INTERACTIVE": None,
}


class Approval(BaseModel):
    """The payload the ``approve`` token of `review` expects."""

    approved: bool
    note: str | None = None


def fetch(doc: str) -> str:
    return doc.upper()


def publish(text: str) -> int:
    return len(text)


def explode() -> None:
    raise NonRetriableError("the printer is on fire")


@dataclass
class Functions:
    """The durable functions registered on the test kit."""

    review: DurableFunction[..., str]
    parent: DurableFunction[..., int]
    child: DurableFunction[..., int]
    broken: DurableFunction[..., None]


def register(kit: AgentKit) -> Functions:
    """Register the test functions on ``kit``."""

    @kit.function()
    async def review(ctx: Context, doc: str) -> str:
        text = await ctx.step.run("fetch", fetch, doc)
        approval = await ctx.step.wait_for_token(
            "approve", schema=Approval, timeout=timedelta(days=7), description="approve the draft"
        )
        await ctx.step.run("publish", publish, text)
        return f"{text}:{approval.approved}"

    @kit.function()
    async def child(ctx: Context, n: int) -> int:
        return await ctx.step.run("double", lambda: n * 2)

    @kit.function()
    async def parent(ctx: Context, n: int) -> int:
        return await ctx.step.invoke("sub", child, n=n)

    @kit.function(retries=0)
    async def broken(ctx: Context) -> None:
        await ctx.step.run("explode", explode)

    return Functions(review=review, parent=parent, child=child, broken=broken)


@pytest.fixture(autouse=True)
def _fresh_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run in an empty folder, as a new user would: no ``.agentkit/`` beside the test."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/a.db"


@pytest.fixture
def empty_db(db_url: str) -> str:
    """The URL of an agentkit database that exists and holds no runs."""
    AgentKit(db_url).close()
    return db_url


@pytest.fixture
def kit(db_url: str) -> Iterator[AgentKit]:
    kit = AgentKit(db_url)
    yield kit
    kit.close()


@pytest.fixture
def functions(kit: AgentKit) -> Functions:
    return register(kit)


def drain(kit: AgentKit) -> None:
    """Execute every due run of ``kit`` until none is left (from sync code)."""
    asyncio.run(kit.worker(stop_when_idle=True, poll_interval=0.01))


async def adrain(kit: AgentKit) -> None:
    """Execute every due run of ``kit`` until none is left (from async code)."""
    await kit.worker(stop_when_idle=True, poll_interval=0.01)


@dataclass
class CLI:
    """Runs ``agentkit --database-url URL ...`` in-process."""

    db_url: str
    runner: CliRunner

    def __call__(self, *args: str, stdin: str | None = None) -> Result:
        return self.runner.invoke(app, ["--database-url", self.db_url, *args], input=stdin)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner(env=_ISOLATED_ENV)


@pytest.fixture
def cli(empty_db: str, runner: CliRunner) -> CLI:
    """The CLI on ``db_url``, which exists (commands never create a database)."""
    return CLI(empty_db, runner)


@dataclass
class Table:
    """A table parsed back from CLI output."""

    title: str | None
    header: list[str]
    rows: list[list[str]]

    def column(self, name: str) -> list[str]:
        index = self.header.index(name)
        return [row[index] for row in self.rows]

    def row(self, first_cell: str) -> dict[str, str]:
        for row in self.rows:
            if row[0] == first_cell:
                return dict(zip(self.header, row, strict=True))
        raise AssertionError(f"no row {first_cell!r} in {self.rows}")


def _cells(line: str) -> list[str]:
    return re.split(r"\s{2,}", line.strip())


def tables(output: str) -> list[Table]:
    """Every table in ``output``: a header line, a rule of ``─``, rows up to a blank line."""
    lines = output.splitlines()
    found = []
    for index, line in enumerate(lines):
        if not line.strip() or set(line.strip()) != {"─"}:
            continue
        title = lines[index - 2].strip() if index >= 2 and lines[index - 2].strip() else None
        rows = []
        for body in lines[index + 1 :]:
            if not body.strip():
                break
            rows.append(_cells(body))
        found.append(Table(title, _cells(lines[index - 1]), rows))
    return found


def fields(output: str) -> dict[str, str]:
    """The ``name  value`` lines at the top of ``runs show``, up to the first blank line."""
    header = output.split("\n\n", 1)[0]
    pairs = (line.strip().split(None, 1) for line in header.splitlines())
    return {name: value.strip() for name, value in pairs}


def assert_one_error_line(result: Result, message: str) -> None:
    """Exit 1, nothing on stdout, exactly ``error: message`` on stderr, no traceback."""
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert result.stderr == f"error: {message}\n"
    assert "Traceback" not in result.output
