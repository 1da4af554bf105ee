"""The edge between the CLI and the engine: opening the kit, and turning errors into one line.

Every expected failure (unknown run, spent token, bad payload, bad JSON, bad
database) surfaces as exactly one red line on stderr and exit code 1. The
translation happens here, once, in `BoundaryGroup.invoke`, which wraps every
command and sub-command; commands just raise.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import typer
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError
from typer.core import TyperCommand, TyperGroup, TyperOption

from agentkit.cli._render import stderr_console
from agentkit.durable import AgentKit
from agentkit.errors import AgentkitError
from agentkit.store import DEFAULT_DATABASE_URL, SQLStore, database_url_from_env

#: Where ``agentkit demo`` keeps its runs unless told otherwise.
DEMO_DATABASE_URL = "sqlite:///.agentkit/demo.db"

UrlSource = Literal["--database-url", "AGENTKIT_DATABASE_URL", "default"]


class CLIError(Exception):
    """A failure the CLI itself detects (bad APP spec, unreadable data file, ...)."""


def _one_line(text: str) -> str:
    return " ".join(text.split())


def safe_url(url: str) -> str:
    """The URL with its password hidden, fit to print."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL has no password we could find
        return url


def _database_reason(exc: SQLAlchemyError) -> str:
    # The driver's own message says what is wrong; SQLAlchemy's adds a link.
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        return _one_line(str(exc.orig))
    return _one_line(str(exc).split("(Background on this error", 1)[0])


def _os_reason(exc: OSError) -> str:
    if isinstance(exc, FileExistsError | NotADirectoryError):
        return f"{exc.filename} is not a folder"
    reason = exc.strerror or str(exc)
    return f"{reason}: {exc.filename}" if exc.filename else reason


def error_message(exc: BaseException) -> str | None:
    """The line to print for an expected failure, or None for a bug (let it raise)."""
    if isinstance(exc, AgentkitError | CLIError):
        return _one_line(str(exc))
    if isinstance(exc, json.JSONDecodeError):
        return f"invalid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
    if isinstance(exc, SQLAlchemyError):
        return f"database error: {_database_reason(exc)}"
    return None


def report(message: str) -> None:
    """Print one red error line on stderr."""
    stderr_console().print(f"error: {message}", style="bold red", markup=False, soft_wrap=True)


def warn(message: str) -> None:
    """Print one yellow note on stderr."""
    stderr_console().print(f"note: {message}", style="yellow", markup=False, soft_wrap=True)


def _show_flags_as_flags(params: list[Any]) -> list[Any]:
    # Typer prints a type after every option, ``<bool>`` even after a flag; an
    # empty metavar leaves the flag bare, as ``--json`` reads in the README.
    for param in params:
        if isinstance(param, TyperOption) and (param.is_flag or param.count):
            if param.metavar is None:
                param.metavar = ""
    return params


class Command(TyperCommand):
    """A command whose flags show as flags in ``--help`` (no ``<bool>``)."""

    def get_params(self, ctx: Any) -> list[Any]:
        """The parameters, flags without a type label."""
        return _show_flags_as_flags(super().get_params(ctx))


class Group(TyperGroup):
    """A command group whose flags show as flags in ``--help`` (no ``<bool>``)."""

    def get_params(self, ctx: Any) -> list[Any]:
        """The parameters, flags without a type label."""
        return _show_flags_as_flags(super().get_params(ctx))


class BoundaryGroup(Group):
    """The root command group; it turns expected failures into `report` + exit 1."""

    # ``ctx`` is Click's Context, which Typer vendors from 0.2x on under a private
    # module; Any keeps this override valid across the Typer versions we accept.
    def invoke(self, ctx: Any) -> Any:
        """Run the command, translating agentkit, JSON and database errors."""
        try:
            return super().invoke(ctx)
        except (AgentkitError, CLIError, json.JSONDecodeError, SQLAlchemyError) as exc:
            report(error_message(exc) or str(exc))
            raise typer.Exit(1) from None


@dataclass
class CLIState:
    """What the root callback learned, shared by every command through ``ctx.obj``.

    Attributes:
        database_url: ``--database-url`` or ``AGENTKIT_DATABASE_URL``, if given.
        url_from_command_line: whether it came from ``--database-url`` itself.
    """

    database_url: str | None = None
    url_from_command_line: bool = False
    _kit: AgentKit | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        """The URL the commands use: ``--database-url``, the environment, or the default."""
        return database_url_from_env(self.database_url)

    @property
    def url_source(self) -> UrlSource:
        """Where `url` came from."""
        if self.url_from_command_line:
            return "--database-url"
        if self.database_url is not None:
            return "AGENTKIT_DATABASE_URL"
        return "default"

    def kit(self, ctx: typer.Context, *, read_only: bool) -> AgentKit:
        """The kit on the chosen database, opened once and closed with the command.

        The database must exist already: every command that uses this kit reads
        or changes runs that some worker made, so a missing SQLite file is
        reported, not created. ``read_only`` commands do not create tables either.
        """
        if self._kit is None:
            url = self.url
            self._check_exists(url)
            try:
                store = SQLStore(url, create_tables=not read_only)
                self._kit = AgentKit(store=store)
            except SQLAlchemyError as exc:
                reason = _database_reason(exc)
                raise CLIError(f"cannot open database {safe_url(url)}: {reason}") from exc
            except OSError as exc:  # the SQLite file's folder cannot be made
                raise CLIError(f"cannot open database {safe_url(url)}: {_os_reason(exc)}") from exc
            ctx.find_root().call_on_close(self._kit.close)
        return self._kit

    def _check_exists(self, url: str) -> None:
        path = sqlite_path(url)
        if path is None or path.is_file():
            return  # SQLStore reports bad URLs and unreachable servers
        given = {
            "--database-url": "given by --database-url",
            "AGENTKIT_DATABASE_URL": "from AGENTKIT_DATABASE_URL",
            "default": f"the default, {DEFAULT_DATABASE_URL}",
        }[self.url_source]
        raise CLIError(
            f"no database at {path} ({given}): nothing has run here yet; "
            f"{demo_hint(path)}; or pass --database-url"
        )


def demo_database() -> Path:
    """The file ``agentkit demo`` writes to, from the current folder."""
    return Path(DEMO_DATABASE_URL.removeprefix("sqlite:///"))


def demo_hint(read: Path | None) -> str:
    """Where the demo's runs are (``read`` is the database just read), or how to make some."""
    demo = demo_database()
    if read is not None and read.resolve() == demo.resolve():
        return "agentkit demo starts a run in it"
    if demo.is_file():
        return (
            f"the demo's runs are in {DEMO_DATABASE_URL}: "
            f"agentkit --database-url {DEMO_DATABASE_URL} runs list"
        )
    return f"agentkit demo starts one (its runs go to {DEMO_DATABASE_URL})"


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL; None for other databases and in-memory SQLite."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database).expanduser()


def state(ctx: typer.Context) -> CLIState:
    """The `CLIState` the root callback put on the context."""
    found = ctx.find_object(CLIState)
    if found is None:  # a command invoked without the root app (never via `agentkit`)
        found = ctx.ensure_object(CLIState)
    return found


def open_kit(ctx: typer.Context, *, read_only: bool = True) -> AgentKit:
    """The kit for this invocation, on a database that exists (see `CLIState.kit`)."""
    return state(ctx).kit(ctx, read_only=read_only)
