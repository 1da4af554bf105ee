"""``agentkit replay``: a finished run against today's code, offline, with a report."""

from __future__ import annotations

import asyncio
import sys
from typing import Annotated, Any

import typer

from agentkit.cli._boundary import CLIError, state
from agentkit.cli._render import dump_json, stdout_console
from agentkit.cli._worker import _import_module, _load_for_cli

APP_HELP = "module:attribute naming your AgentKit (its functions are the code replayed)."


def load_object(spec: str, what: str) -> Any:
    """The object ``module:attribute`` names (a model, a tool map, a dataset...)."""
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise CLIError(f"{what} must look like 'module:attribute', got {spec!r}")
    target = _import_module(module_name)
    for part in attribute.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise CLIError(f"module {module_name!r} has no attribute {attribute!r}") from None
    return target


def load_model(spec: str) -> Any:
    """``openai:gpt-4o``, ``anthropic:claude-...``, ``litellm:...`` or ``module:attribute``."""
    provider, _, name = spec.partition(":")
    if provider in ("openai", "anthropic", "litellm") and name:
        from agentkit import models

        classes = {
            "openai": models.OpenAIModel,
            "anthropic": models.AnthropicModel,
            "litellm": models.LiteLLMModel,
        }
        return classes[provider](name)
    model = load_object(spec, "MODEL")
    from agentkit.models import Model

    if not isinstance(model, Model):
        raise CLIError(f"{spec!r} is {type(model).__name__}, not a Model")
    return model


def replay_command(
    ctx: typer.Context,
    run_id: Annotated[str, typer.Argument(help="The recorded run to replay.")],
    app: Annotated[str, typer.Option("--app", metavar="APP", help=APP_HELP)],
    live_from_divergence: Annotated[
        str | None,
        typer.Option(
            metavar="MODEL",
            help="From the first divergence on, call this model live (openai:gpt-4o, or "
            "module:attribute naming a Model); default: stop at the first new step.",
        ),
    ] = None,
    tools: Annotated[
        str | None,
        typer.Option(
            metavar="MODULE:ATTR",
            help="A dict of fake tools (by tool name) that live steps run instead.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Replay RUN_ID with the current code of its function: no model, tool or network call.

    Each step is reported as same, changed (with a diff of a changed model
    request), new or missing. The original run is never written to. Exits 1
    when the replay diverged from the recording.
    """
    from agentkit.evals import replay

    kit = _load_for_cli(app, state(ctx))
    try:
        model = None if live_from_divergence is None else load_model(live_from_divergence)
        sandbox = None if tools is None else load_object(tools, "--tools")
        if sandbox is not None and not isinstance(sandbox, dict):
            raise CLIError(f"--tools {tools!r} is {type(sandbox).__name__}, not a dict")
        report = asyncio.run(replay(kit, run_id, live_from_divergence=model, tools=sandbox))
    finally:
        kit.close()
    if as_json:
        sys.stdout.write(dump_json(report.to_json()) + "\n")
    else:
        stdout_console().print(report.render(), markup=False, highlight=False, soft_wrap=True)
    if report.diverged:
        raise typer.Exit(1)
