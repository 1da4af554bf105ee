"""The ``agentkit`` command: global options and the command tree."""

from __future__ import annotations

from typing import Annotated

import typer

import agentkit
from agentkit.cli._boundary import BoundaryGroup, CLIState, Command
from agentkit.cli._db import db_app
from agentkit.cli._demo import demo
from agentkit.cli._dev import dev, serve
from agentkit.cli._eval import eval_app
from agentkit.cli._flow import events_app, functions_app
from agentkit.cli._fork import diff_command, fork_command
from agentkit.cli._replay import replay_command
from agentkit.cli._runs import runs_app
from agentkit.cli._tokens import tokens_app
from agentkit.cli._worker import worker

app = typer.Typer(
    name="agentkit",
    cls=BoundaryGroup,
    help="Inspect and operate durable agent runs.",
    no_args_is_help=True,
    # Locals may hold database URLs with passwords; never print them.
    pretty_exceptions_show_locals=False,
)
runs_app.command("fork", cls=Command)(fork_command)
runs_app.command("diff", cls=Command)(diff_command)
app.add_typer(runs_app)
app.add_typer(tokens_app)
app.add_typer(db_app)
app.add_typer(events_app)
app.add_typer(functions_app)
app.command("worker", cls=Command)(worker)
app.command("demo", cls=Command)(demo)
app.command("dev", cls=Command)(dev)
app.command("serve", cls=Command)(serve)
app.command("replay", cls=Command)(replay_command)
app.add_typer(eval_app)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"agentkit {agentkit.__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    database_url: Annotated[
        str | None,
        typer.Option(
            envvar="AGENTKIT_DATABASE_URL",
            help="SQLAlchemy URL of the database (default: sqlite:///.agentkit/agentkit.db).",
            show_envvar=True,
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            expose_value=False,
            help="Print agentkit's version and exit.",
        ),
    ] = False,
) -> None:
    """Inspect and operate durable agent runs."""
    source = ctx.get_parameter_source("database_url")
    ctx.obj = CLIState(
        database_url=database_url,
        url_from_command_line=source is not None and source.name == "COMMANDLINE",
    )


def main() -> None:
    """Entry point of the ``agentkit`` console script."""
    app()
