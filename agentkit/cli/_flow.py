"""``agentkit events send`` and ``agentkit functions list``: triggers and flow control."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from agentkit.cli._boundary import CLIState, Command, Group, open_kit
from agentkit.cli._render import dump_json, stdout_console, table
from agentkit.cli._tokens import read_payload
from agentkit.cli._worker import _load_for_cli
from agentkit.durable import AgentKit

events_app = typer.Typer(
    name="events", cls=Group, help="Send events to runs and triggers.", no_args_is_help=True
)
functions_app = typer.Typer(
    name="functions",
    cls=Group,
    help="An application's durable functions: triggers and limits.",
    no_args_is_help=True,
)

_APP_HELP = "module:attribute naming your AgentKit, e.g. myapp.agents:kit."


@events_app.command("send", cls=Command)
def send_event(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="The event name.")],
    data: Annotated[
        str | None, typer.Option(help="The payload as JSON, or - to read it from stdin.")
    ] = None,
    event_id: Annotated[
        str | None,
        typer.Option("--id", help="The event's id: sending the same id again does nothing twice."),
    ] = None,
    app: Annotated[
        str | None,
        typer.Option(
            "--app", metavar="APP", help=f"Also start APP's functions it triggers ({_APP_HELP})"
        ),
    ] = None,
) -> None:
    """Send an event: wake the waits it matches, cancel runs with a matching cancel_on,
    and (with --app) start the functions whose on_event trigger it matches."""
    payload = read_payload(data, None)
    kit: AgentKit
    if app is not None:
        settings = ctx.find_root().obj
        assert isinstance(settings, CLIState)
        kit = _load_for_cli(app, settings)
        ctx.find_root().call_on_close(kit.close)
    else:
        kit = open_kit(ctx, read_only=False)
    runs = asyncio.run(kit.send_event(name, payload, id=event_id))
    typer.echo(f"sent event {name!r}: {len(runs)} run(s) started or woken")
    for run_id in runs:
        typer.echo(run_id)


@functions_app.command("list", cls=Command)
def list_functions(
    app: Annotated[str, typer.Argument(metavar="APP", help=_APP_HELP)],
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List APP's durable functions with their triggers and flow-control limits."""
    settings = ctx.find_root().obj
    assert isinstance(settings, CLIState)
    kit = _load_for_cli(app, settings)
    ctx.find_root().call_on_close(kit.close)
    rows = [
        {
            "id": function.id,
            "trigger": None if function.trigger is None else function.trigger.describe(),
            "limits": function.flow.describe(),
        }
        for function in kit.functions.values()
    ]
    if as_json:
        typer.echo(dump_json(rows))
        return
    grid = table("function", "trigger", "limits", wrap=("limits",))
    for row in rows:
        limits = row["limits"]
        assert isinstance(limits, list)
        grid.add_row(str(row["id"]), str(row["trigger"] or "-"), "; ".join(limits) or "-")
    stdout_console().print(grid)
