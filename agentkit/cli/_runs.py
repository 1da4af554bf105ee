"""``agentkit runs``: list, inspect, cancel and resume runs."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer
from rich.console import Group as RenderGroup
from rich.console import RenderableType
from rich.text import Text

from agentkit.cli._boundary import (
    CLIState,
    Command,
    Group,
    demo_hint,
    open_kit,
    safe_url,
    sqlite_path,
    state,
)
from agentkit.cli._completions import show_completions
from agentkit.cli._render import (
    cells,
    decode,
    dump_json,
    local_time,
    record_dict,
    run_duration,
    status_text,
    stdout_console,
    table,
)
from agentkit.cli._run_view import (
    calls_of,
    children_table,
    header,
    model_calls_table,
    timeline,
    tool_calls_table,
)
from agentkit.store import RunStatus

runs_app = typer.Typer(
    name="runs",
    cls=Group,
    help="List, inspect, cancel and resume runs; show their model calls.",
    no_args_is_help=True,
)
runs_app.command("completions", cls=Command)(show_completions)


class RunStatusChoice(StrEnum):
    """The statuses ``--status`` accepts (those of `RunStatus`)."""

    queued = "queued"
    running = "running"
    waiting = "waiting"
    completed = "completed"
    failed = "failed"
    cancelled = "cancelled"


JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _database_line(settings: CLIState) -> str:
    source = {
        "--database-url": "from --database-url",
        "AGENTKIT_DATABASE_URL": "from AGENTKIT_DATABASE_URL",
        "default": "the default",
    }[settings.url_source]
    return f"database: {safe_url(settings.url)} ({source})"


def _empty_hints(settings: CLIState) -> list[str]:
    """Where runs may be instead, and how to start one."""
    return [
        demo_hint(sqlite_path(settings.url)),
        "your own: await kit.start(fn, ...) in your code, then agentkit worker myapp.module:kit",
    ]


@runs_app.command("list", cls=Command)
def list_runs(
    ctx: typer.Context,
    status: Annotated[
        RunStatusChoice | None, typer.Option(help="Only runs with this status.")
    ] = None,
    function: Annotated[str | None, typer.Option(help="Only runs of this function id.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many runs.")] = 50,
    as_json: JsonFlag = False,
) -> None:
    """List runs, newest first."""
    status_filter: RunStatus | None = status.value if status else None
    runs = open_kit(ctx).list_runs(status=status_filter, function_id=function, limit=limit)
    if as_json:
        typer.echo(dump_json([record_dict(run) for run in runs]))
        return
    console = stdout_console()
    settings = state(ctx)
    console.print(_database_line(settings), markup=False, soft_wrap=True)
    if not runs:
        console.print("no runs", markup=False)
        if status is None and function is None:
            for hint in _empty_hints(settings):
                console.print(hint, markup=False, soft_wrap=True)
        return
    grid = table("id", "function", "status", "created", "duration", "executions")
    for run in runs:
        grid.add_row(
            *cells(
                run.id,
                run.function_id,
                status_text(run.status),
                local_time(run.created_at),
                run_duration(run),
                str(run.executions),
            )
        )
    console.print(grid)


@runs_app.command("show", cls=Command)
def show_run(
    ctx: typer.Context,
    run_id: Annotated[str, typer.Argument(metavar="RUN_ID", help="The run's id.")],
    as_json: JsonFlag = False,
) -> None:
    """Show a run: input and outcome, step timeline, model calls, tool calls, child runs.

    Each model call shows the model that answered, tokens, cost (n/a when the
    price is unknown), latency and attempts; each tool call its arguments, cut
    short. agentkit runs completions RUN_ID prints the requests and responses.
    """
    kit = open_kit(ctx)
    run = kit.get_run(run_id).record()
    steps = kit.journal(run_id)
    children = kit.store.list_runs(parent_run_id=run_id, limit=1000)
    calls = calls_of(kit, run, steps)
    if as_json:
        document = {
            "run": record_dict(run),
            "steps": [record_dict(step) for step in steps],
            "model_calls": [call.as_json() for call in calls.model_calls],
            "tool_calls": [call.as_json() for call in calls.tool_calls],
            "children": [record_dict(child) for child in children],
        }
        typer.echo(dump_json(document))
        return
    parts: list[RenderableType] = [header(run, calls), Text()]
    parts.append(timeline(steps) if steps else Text("no steps yet"))
    if calls.model_calls:
        parts += [Text(), model_calls_table(calls)]
    if calls.tool_calls:
        parts += [Text(), tool_calls_table(calls)]
    if children:
        parts += [Text(), children_table(children)]
    stdout_console().print(RenderGroup(*parts))


@runs_app.command("cancel", cls=Command)
def cancel_run(
    ctx: typer.Context,
    run_id: Annotated[str, typer.Argument(metavar="RUN_ID", help="The run's id.")],
) -> None:
    """Cancel a run that has not ended, with its child runs and open tokens."""
    kit = open_kit(ctx, read_only=False)
    if kit.cancel(run_id):
        typer.echo(f"cancelled run {run_id}")
        return
    status = kit.get_run(run_id).status()
    typer.echo(f"run {run_id} had already ended ({status}); nothing to cancel")


@runs_app.command("resume", cls=Command)
def resume_run(
    ctx: typer.Context,
    run_id: Annotated[str, typer.Argument(metavar="RUN_ID", help="The run's id.")],
) -> None:
    """Queue a failed run again, from its failed step, once you fixed the cause.

    Every completed step is kept (no model call is paid again); a worker of
    the run's application continues it (agentkit worker APP).
    """
    kit = open_kit(ctx, read_only=False)
    error = decode(kit.get_run(run_id).record().error)
    step = error.get("step") if isinstance(error, dict) else None
    handle = kit.resume(run_id)
    where = f" from step {step!r}" if isinstance(step, str) else ""
    typer.echo(
        f"run {handle.id} is {handle.status()} again{where}; "
        "a worker of its application continues it (agentkit worker APP)"
    )
