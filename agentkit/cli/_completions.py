"""``agentkit runs completions``: the stored requests and responses of a run's model calls.

Every attempt of every model call is stored with its raw request and response
bodies (or stream events, or error). By default each attempt is summarised in
a few lines: who answered, tokens, cost, latency, what was asked and what came
back. ``--raw`` prints the stored records as JSON, bodies decoded, for ``jq``.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Group
from rich.table import Table
from rich.text import Text

from agentkit.cli._boundary import CLIError, open_kit
from agentkit.cli._calls import clip, cost_text, parse_completion, summarise_arguments
from agentkit.cli._render import (
    NOTHING,
    cells,
    decode,
    dump_json,
    duration,
    local_time,
    stdout_console,
)
from agentkit.models import ModelResponse
from agentkit.store import CompletionRecord

TEXT_LIMIT = 160


def _text_of(content: Any) -> str:
    """The text in a message's content, whatever the provider's shape."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(_text_of(item) for item in content)
    if isinstance(content, dict):
        for name in ("text", "content", "parts"):
            if name in content:
                return _text_of(content[name])
    return ""


def request_summary(body: Any) -> str:
    """``4 messages (system, user, assistant, tool), 2 tools; last, tool: "found A-17"``."""
    if not isinstance(body, dict):
        return NOTHING
    messages = body.get("messages")
    messages = messages if isinstance(messages, list) else []
    roles = [str(m.get("role", "?")) for m in messages if isinstance(m, dict)]
    tools = body.get("tools")
    parts = [f"{len(messages)} messages ({', '.join(roles)})" if roles else "no messages"]
    if isinstance(tools, list) and tools:
        parts.append(f"{len(tools)} tools")
    summary = ", ".join(parts)
    if messages and isinstance(messages[-1], dict):
        last = messages[-1]
        text = _text_of(last.get("content", last.get("parts")))
        if text:
            summary += f"; last, {last.get('role', '?')}: {json.dumps(clip(text, TEXT_LIMIT))}"
    return summary


def response_summary(completion: CompletionRecord, reply: ModelResponse | None) -> str:
    """What came back: text, tool calls and finish reason, or the error."""
    if not completion.succeeded:
        error = decode(completion.error)
        if isinstance(error, dict):
            return f"{error.get('type', 'Error')}: {clip(str(error.get('message', '')), 300)}"
        return clip(str(error), 300)
    if reply is None:
        return f"stored, but no {completion.provider!r} parser here; --raw shows it"
    pieces = [
        f"tool call {call.name}({summarise_arguments(call.arguments)})" for call in reply.tool_calls
    ]
    if reply.text:
        pieces.insert(0, json.dumps(clip(reply.text, TEXT_LIMIT)))
    pieces.append(f"finish: {reply.finish_reason}")
    return "; ".join(pieces)


def _status(completion: CompletionRecord) -> str:
    code = NOTHING if completion.status_code is None else str(completion.status_code)
    return f"{'ok' if completion.succeeded else 'error'} {code}"


def _tokens(completion: CompletionRecord) -> str:
    if completion.input_tokens is None and completion.output_tokens is None:
        return NOTHING
    return f"{completion.input_tokens or 0} in / {completion.output_tokens or 0} out"


def _model(completion: CompletionRecord, answered: str) -> str:
    asked = "" if answered == completion.model else f", asked for {completion.model}"
    return f"{answered} ({completion.provider}{asked})"


def _block(completion: CompletionRecord) -> Table:
    reply = parse_completion(completion)
    answered = reply.model if reply is not None else completion.model
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    rows = [
        ("completion", completion.id),
        ("step", f"{completion.step_key} (attempt {completion.attempt})"),
        ("model", _model(completion, answered)),
        ("status", _status(completion)),
        ("tokens", _tokens(completion)),
        ("cost", cost_text([completion.cost_usd])),
        ("latency", duration(completion.latency_ms / 1000)),
        ("at", local_time(completion.created_at)),
        ("request", request_summary(decode(completion.request))),
        ("response", response_summary(completion, reply)),
    ]
    for name, value in rows:
        grid.add_row(*cells(name, value))
    return grid


def raw_record(completion: CompletionRecord) -> dict[str, Any]:
    """A completion as stored, with its JSON bodies decoded."""
    values: dict[str, Any] = dict(completion.__dict__)
    for name in ("request", "response", "stream_events", "headers", "error"):
        values[name] = decode(values[name])
    return values


def show_completions(
    ctx: typer.Context,
    run_id: Annotated[str, typer.Argument(metavar="RUN_ID", help="The run's id.")],
    step: Annotated[
        str | None,
        typer.Option(
            "--step", metavar="KEY", help="Only this step's model calls, e.g. agent/infer#1."
        ),
    ] = None,
    raw: Annotated[
        bool, typer.Option("--raw", help="Print the stored records as JSON, bodies included.")
    ] = False,
) -> None:
    """Print the stored requests and responses of a run's model calls, every attempt."""
    kit = open_kit(ctx)
    completions = kit.completions(run_id)
    if step is not None:
        keys = list(dict.fromkeys(c.step_key for c in completions))
        completions = [c for c in completions if c.step_key == step]
        if not completions:
            known = ", ".join(repr(key) for key in keys) or "none"
            raise CLIError(
                f"run {run_id} has no model calls in step {step!r} "
                f"(steps with model calls: {known})"
            )
    if raw:
        typer.echo(dump_json([raw_record(c) for c in completions]))
        return
    if not completions:
        stdout_console().print(f"run {run_id} made no model calls", markup=False)
        return
    parts: list[Table | Text] = []
    for completion in completions:
        parts += [_block(completion), Text()]
    stdout_console().print(Group(*parts[:-1]))
