"""``agentkit eval``: run a dataset (live, replay, score-only); turn runs into cases."""

from __future__ import annotations

import asyncio
import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from agentkit.cli._boundary import CLIError, Command, Group, open_kit, state
from agentkit.cli._render import dump_json, stdout_console, table
from agentkit.cli._replay import APP_HELP, load_object
from agentkit.cli._worker import _load_for_cli

if TYPE_CHECKING:
    from agentkit.evals import Dataset, EvalReport

eval_app = typer.Typer(
    name="eval",
    cls=Group,
    help="Evaluate datasets live, in replay (0 tokens) or score-only; add runs as cases.",
    no_args_is_help=True,
)


class ModeChoice(StrEnum):
    """The modes ``--mode`` accepts."""

    live = "live"
    replay = "replay"
    score_only = "score-only"


def _dataset(spec: str, scorers: str | None) -> Dataset:
    from agentkit.evals import Dataset, Scorer

    if spec.endswith((".yaml", ".yml", ".json")):
        found: list[Any] = []
        if scorers is not None:
            loaded = load_object(scorers, "--scorers")
            if not isinstance(loaded, list | tuple) or not all(
                isinstance(s, Scorer) for s in loaded
            ):
                raise CLIError(f"--scorers {scorers!r} must name a list of scorers")
            found = list(loaded)
        return Dataset.load(spec, found)
    dataset = load_object(spec, "DATASET")
    if not isinstance(dataset, Dataset):
        raise CLIError(f"{spec!r} is {type(dataset).__name__}, not a Dataset")
    return dataset


def _print_table(report: EvalReport) -> None:
    out = table("case", "status", *report.scorers, title=f"{report.dataset} ({report.mode})")
    for row in report.rows():
        out.add_row(*row)
    console = stdout_console()
    console.print(out)
    means = ", ".join(f"{name} {value:.3f}" for name, value in report.score_means.items())
    console.print(
        f"overall {report.overall:.3f}; {report.pass_rate:.1%} of {len(report.cases)} "
        f"case(s) passed; {means}",
        markup=False,
        highlight=False,
    )
    for case in report.cases:
        if case.error:
            console.print(f"{case.name}: {case.error}", markup=False, highlight=False)
        replay = case.replay
        if replay is not None and replay["first_divergence"] is not None:
            counts = ", ".join(f"{n} {s}" for s, n in replay["counts"].items() if s != "same")
            first = replay["first_divergence"]
            console.print(
                f"{case.name}: replay diverged ({counts}); first at {first['key']} "
                f"({first['status']})",
                markup=False,
                highlight=False,
            )


@eval_app.command("run", cls=Command)
def run_command(
    ctx: typer.Context,
    dataset: Annotated[
        str,
        typer.Argument(
            help="A dataset file (.yaml/.json, with --scorers) or module:attribute naming a "
            "Dataset."
        ),
    ],
    app: Annotated[str | None, typer.Option("--app", metavar="APP", help=APP_HELP)] = None,
    target: Annotated[
        str | None,
        typer.Option(metavar="MODULE:ATTR", help="Live mode: the Agent or function to run."),
    ] = None,
    mode: Annotated[ModeChoice, typer.Option(help="live, replay or score-only.")] = (
        ModeChoice.replay
    ),
    scorers: Annotated[
        str | None, typer.Option(metavar="MODULE:ATTR", help="A list of scorers (file datasets).")
    ] = None,
    concurrency: Annotated[int, typer.Option(min=1, help="Cases evaluated at once.")] = 4,
    report_path: Annotated[
        Path | None, typer.Option("--report", help="Write the JSON report here.")
    ] = None,
    html: Annotated[Path | None, typer.Option(help="Write the HTML report here.")] = None,
    baseline: Annotated[
        Path | None, typer.Option(help="A JSON report to compare with, per case and scorer.")
    ] = None,
    fail_under: Annotated[
        float | None,
        typer.Option(min=0.0, max=1.0, help="Exit 1 when the overall score is below this."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Evaluate DATASET and print a results table (or JSON)."""
    from agentkit.evals import EvalReport, evaluate

    data = _dataset(dataset, scorers)
    kit = _load_for_cli(app, state(ctx)) if app is not None else open_kit(ctx)
    try:
        what = None if target is None else load_object(target, "--target")
        report = asyncio.run(
            evaluate(
                data,
                kit,
                what,
                mode=mode.value,
                concurrency=concurrency,
                progress=not as_json and sys.stderr.isatty(),
            )
        )
    finally:
        kit.close()
    if report_path is not None:
        report.save(report_path)
    if html is not None:
        report.save(html)
    deltas = [] if baseline is None else report.compare(EvalReport.load(baseline))
    if as_json:
        payload = report.to_json()
        payload["deltas"] = [d.__dict__ for d in deltas]
        sys.stdout.write(dump_json(payload) + "\n")
    else:
        _print_table(report)
        from agentkit.evals._report import render_deltas

        for line in render_deltas(deltas):
            stdout_console().print(line, markup=False, highlight=False)
        if baseline is not None and not deltas:
            stdout_console().print("no change against the baseline", markup=False)
    if fail_under is not None and report.overall < fail_under:
        raise typer.Exit(1)


@eval_app.command("add-run", cls=Command)
def add_run_command(
    ctx: typer.Context,
    run_id: Annotated[str, typer.Argument(help="The recorded run to keep as a case.")],
    dataset: Annotated[Path, typer.Option(help="The dataset file (.yaml/.json) to add it to.")],
    name: Annotated[str | None, typer.Option(help="The case's name (default: the run id).")] = None,
) -> None:
    """Turn a recorded run into a regression case: export its recording beside the dataset.

    The case's input is the run's input (its function's arguments), its
    expected value the recorded answer, and its recording the exported file
    (recordings/RUN_ID.json).
    """
    from agentkit.evals import Case, Dataset, final_output, load_recording, recording_to_json

    kit = open_kit(ctx)
    try:
        recording = load_recording(kit.store, run_id)
    finally:
        kit.close()
    data = Dataset.load(dataset) if dataset.exists() else Dataset([], path=dataset)
    relative = Path("recordings") / f"{run_id}.json"
    target = dataset.parent / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(recording_to_json(recording), indent=1) + "\n", "utf-8")
    run = recording.run
    data.add(
        Case(
            name=name or run_id,
            input=json.loads(run.input),
            expected=None if run.output is None else final_output(json.loads(run.output)),
            metadata={"function_id": run.function_id, "recorded_status": run.status},
            recording=relative.as_posix(),
        )
    )
    data.save(dataset)
    stdout_console().print(
        f"added case {name or run_id!r} to {dataset} (recording {target})", markup=False
    )
