"""``agentkit runs``: list, inspect and cancel runs."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer
from rich.console import Group
from rich.table import Table
from rich.text import Text

from agentkit.cli._boundary import open_kit
from agentkit.cli._render import (
    NOTHING,
    cells,
    dump_json,
    error_summary,
    local_time,
    record_dict,
    run_duration,
    status_text,
    stdout_console,
    step_duration_ms,
    table,
)
from agentkit.store import RunRecord, RunStatus, StepRecord

runs_app = typer.Typer(name="runs", help="List, inspect and cancel runs.", no_args_is_help=True)


class RunStatusChoice(StrEnum):
    """The statuses ``--status`` accepts (those of `RunStatus`)."""

    queued = "queued"
    running = "running"
    waiting = "waiting"
    completed = "completed"
    failed = "failed"
    cancelled = "cancelled"


JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


@runs_app.command("list")
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
    if not runs:
        stdout_console().print("no runs")
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
    stdout_console().print(grid)


def _waits_for(step: StepRecord) -> str:
    """What a wait step waits (or waited) for; empty for ``run`` steps."""
    deadline = local_time(step.wake_at)
    if step.kind == "sleep":
        return f"until {deadline}"
    if step.kind == "token":
        expiry = f" (expires {deadline})" if step.wake_at is not None else ""
        return f"token {step.wait_ref}{expiry}"
    if step.kind == "event":
        match = "" if step.wait_match in (None, "{}") else f" matching {step.wait_match}"
        timeout = f" (times out {deadline})" if step.wake_at is not None else ""
        return f"event {step.wait_ref!r}{match}{timeout}"
    if step.kind == "invoke":
        return f"child run {step.wait_ref}"
    return ""


def _step_detail(step: StepRecord) -> str:
    parts = [_waits_for(step)]
    if step.status == "failed":
        parts.append(error_summary(step.error))
    return "; ".join(part for part in parts if part)


def _header(run: RunRecord) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    rows: list[tuple[str, str | Text]] = [
        ("id", run.id),
        ("function", run.function_id),
        ("status", status_text(run.status)),
        ("input", run.input),
    ]
    if run.status == "failed":
        rows.append(("error", error_summary(run.error)))
    elif run.output is not None:
        rows.append(("output", run.output))
    if run.parent_run_id is not None:
        rows.append(("parent", f"{run.parent_run_id} (step {run.parent_step_key})"))
    rows += [
        ("created", local_time(run.created_at)),
        ("ended", local_time(run.ended_at)),
        ("duration", run_duration(run)),
        ("executions", str(run.executions)),
    ]
    for name, value in rows:
        grid.add_row(*cells(name, value))
    return grid


def _timeline(steps: list[StepRecord]) -> Table:
    grid = table(
        "seq", "key", "kind", "status", "attempts", "ms", "detail", wrap={"detail"}, title="steps"
    )
    for step in steps:
        grid.add_row(
            *cells(
                str(step.seq),
                step.key,
                step.kind,
                status_text(step.status),
                str(step.attempts),
                step_duration_ms(step),
                _step_detail(step) or NOTHING,
            )
        )
    return grid


def _children(children: list[RunRecord]) -> Table:
    grid = table("id", "function", "status", "step", "created", title="children")
    for child in children:
        grid.add_row(
            *cells(
                child.id,
                child.function_id,
                status_text(child.status),
                child.parent_step_key or NOTHING,
                local_time(child.created_at),
            )
        )
    return grid


@runs_app.command("show")
def show_run(
    ctx: typer.Context,
    run_id: Annotated[str, typer.Argument(metavar="RUN_ID", help="The run's id.")],
    as_json: JsonFlag = False,
) -> None:
    """Show a run: its input and outcome, its step timeline and its child runs."""
    kit = open_kit(ctx)
    run = kit.get_run(run_id).record()
    steps = kit.journal(run_id)
    children = kit.store.list_runs(parent_run_id=run_id, limit=1000)
    if as_json:
        document = {
            "run": record_dict(run),
            "steps": [record_dict(step) for step in steps],
            "children": [record_dict(child) for child in children],
        }
        typer.echo(dump_json(document))
        return
    parts: list[Table | Text] = [_header(run), Text()]
    parts.append(_timeline(steps) if steps else Text("no steps yet"))
    if children:
        parts += [Text(), _children(children)]
    stdout_console().print(Group(*parts))


@runs_app.command("cancel")
def cancel_run(
    ctx: typer.Context,
    run_id: Annotated[str, typer.Argument(metavar="RUN_ID", help="The run's id.")],
) -> None:
    """Cancel a run that has not ended, with its child runs and open tokens."""
    kit = open_kit(ctx)
    if kit.cancel(run_id):
        typer.echo(f"cancelled run {run_id}")
        return
    status = kit.get_run(run_id).status()
    typer.echo(f"run {run_id} had already ended ({status}); nothing to cancel")
