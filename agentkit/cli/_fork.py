"""``agentkit runs fork`` and ``agentkit runs diff``."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from agentkit.cli._boundary import CLIError, open_kit, state
from agentkit.cli._render import dump_json, stdout_console
from agentkit.cli._replay import APP_HELP
from agentkit.cli._worker import _load_for_cli


def fork_command(
    ctx: typer.Context,
    run_id: Annotated[str, typer.Argument(help="The run to fork.")],
    from_step: Annotated[str, typer.Option(help="The first step to run again (a step key).")],
    app: Annotated[str, typer.Option("--app", metavar="APP", help=APP_HELP)],
    result: Annotated[
        list[str] | None,
        typer.Option(
            metavar="KEY=JSON", help="Use this result for a step instead of the recorded one."
        ),
    ] = None,
) -> None:
    """Queue a new run that reuses RUN_ID's journal before --from-step, then goes live.

    A worker of APP executes it (agentkit worker APP). The original run is not touched.
    """
    results = {}
    for item in result or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise CLIError(f"--result must look like KEY=JSON, got {item!r}")
        results[key] = json.loads(value)
    kit = _load_for_cli(app, state(ctx))
    try:
        handle = kit.fork(run_id, from_step=from_step, results=results)
    finally:
        kit.close()
    stdout_console().print(handle.id, markup=False, highlight=False)


def diff_command(
    ctx: typer.Context,
    a: Annotated[str, typer.Argument(metavar="A", help="A run id.")],
    b: Annotated[str, typer.Argument(metavar="B", help="Another run id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the comparison as JSON.")] = False,
) -> None:
    """Compare two runs: steps (= same, ~ differs, - only in A, + only in B), tool calls,
    output, tokens and cost."""
    from agentkit.evals import diff_runs

    kit = open_kit(ctx)
    try:
        found = diff_runs(kit.store, a, b)
    finally:
        kit.close()
    if as_json:
        sys.stdout.write(dump_json(found.to_json()) + "\n")
    else:
        stdout_console().print(found.render(), markup=False, highlight=False, soft_wrap=True)
