"""The edge between the CLI and the engine: opening the kit, and turning errors into one line.

Every expected failure (unknown run, spent token, bad payload, bad JSON, bad
database) surfaces as exactly one red line on stderr and exit code 1. The
translation happens here, once, in `BoundaryGroup.invoke`, which wraps every
command and sub-command; commands just raise.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import typer
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from typer.core import TyperGroup

from agentkit.cli._render import stderr_console
from agentkit.durable import AgentKit
from agentkit.errors import AgentkitError
from agentkit.store import database_url_from_env


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


class BoundaryGroup(TyperGroup):
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

    def kit(self, ctx: typer.Context) -> AgentKit:
        """The kit on the chosen database, opened once and closed with the command."""
        if self._kit is None:
            url = database_url_from_env(self.database_url)
            try:
                self._kit = AgentKit(url)
            except SQLAlchemyError as exc:
                reason = _database_reason(exc)
                raise CLIError(f"cannot open database {safe_url(url)}: {reason}") from exc
            except OSError as exc:  # the SQLite file's folder cannot be made
                raise CLIError(f"cannot open database {safe_url(url)}: {_os_reason(exc)}") from exc
            ctx.find_root().call_on_close(self._kit.close)
        return self._kit


def state(ctx: typer.Context) -> CLIState:
    """The `CLIState` the root callback put on the context."""
    found = ctx.find_object(CLIState)
    if found is None:  # a command invoked without the root app (never via `agentkit`)
        found = ctx.ensure_object(CLIState)
    return found


def open_kit(ctx: typer.Context) -> AgentKit:
    """The kit for this invocation (see `CLIState.kit`)."""
    return state(ctx).kit(ctx)
