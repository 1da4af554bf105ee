"""``agentkit tokens``: list human-in-the-loop tokens and complete them."""

from __future__ import annotations

import json
import sys
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from agentkit.cli._boundary import CLIError, Command, Group, open_kit
from agentkit.cli._render import (
    NOTHING,
    cells,
    dump_json,
    record_dict,
    relative,
    schema_summary,
    status_text,
    stdout_console,
    table,
)
from agentkit.store import TokenStatus

tokens_app = typer.Typer(
    name="tokens",
    cls=Group,
    help="List and complete human-in-the-loop tokens.",
    no_args_is_help=True,
)


class TokenStatusChoice(StrEnum):
    """The statuses ``--status`` accepts: those of `TokenStatus`, and ``all``."""

    pending = "pending"
    completed = "completed"
    expired = "expired"
    cancelled = "cancelled"
    all = "all"


_STATUS_FILTERS: dict[TokenStatusChoice, TokenStatus | None] = {
    TokenStatusChoice.pending: "pending",
    TokenStatusChoice.completed: "completed",
    TokenStatusChoice.expired: "expired",
    TokenStatusChoice.cancelled: "cancelled",
    TokenStatusChoice.all: None,
}


@tokens_app.command("list", cls=Command)
def list_tokens(
    ctx: typer.Context,
    status: Annotated[
        TokenStatusChoice, typer.Option(help="Only tokens with this status.")
    ] = TokenStatusChoice.pending,
    run: Annotated[str | None, typer.Option("--run", help="Only tokens of this run.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many tokens.")] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List tokens, newest first (by default the ones still waiting for an answer)."""
    status_filter = _STATUS_FILTERS[status]
    tokens = open_kit(ctx).list_tokens(status=status_filter, run_id=run, limit=limit)
    if as_json:
        typer.echo(dump_json([record_dict(token) for token in tokens]))
        return
    if not tokens:
        stdout_console().print(f"no {'' if status_filter is None else status_filter + ' '}tokens")
        return
    now = time.time()
    grid = table(
        "token",
        "run",
        "step",
        "status",
        "description",
        "expires",
        "schema",
        wrap={"description", "schema"},
    )
    for token in tokens:
        expires = relative(token.expires_at, now) if token.status == "pending" else NOTHING
        grid.add_row(
            *cells(
                token.token,
                token.run_id,
                token.step_key,
                status_text(token.status),
                token.description or NOTHING,
                expires,
                schema_summary(token.schema),
            )
        )
    stdout_console().print(grid)


def parse_payload(text: str, source: str) -> Any:
    """Parse a token payload, naming its source and the place where it is not JSON."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CLIError(
            f"{source} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None


def read_payload(data: str | None, data_file: Path | None) -> Any:
    """The payload from ``--data JSON``, ``--data -`` (stdin) or ``--data-file PATH``."""
    if data is not None and data_file is not None:
        raise typer.BadParameter("give either --data or --data-file, not both")
    if data_file is not None:
        try:
            text = data_file.read_text(encoding="utf-8")
        except OSError as exc:
            raise CLIError(f"cannot read --data-file {str(data_file)!r}: {exc.strerror}") from None
        return parse_payload(text, f"--data-file {str(data_file)!r}")
    if data == "-":
        return parse_payload(sys.stdin.read(), "--data - (stdin)")
    if data is None:
        return None
    return parse_payload(data, "--data")


@tokens_app.command("complete", cls=Command)
def complete_token(
    ctx: typer.Context,
    token: Annotated[str, typer.Argument(metavar="TOKEN", help="The token value (tok_...).")],
    data: Annotated[
        str | None,
        typer.Option(help="The payload as JSON, or - to read it from stdin. Default: null."),
    ] = None,
    data_file: Annotated[
        Path | None, typer.Option(help="Read the JSON payload from this file.", dir_okay=False)
    ] = None,
) -> None:
    """Complete a token with a JSON payload; its run resumes on the next worker pass.

    The payload is checked against the token's schema first; if it does not
    match, every mismatch is named and nothing changes.
    """
    payload = read_payload(data, data_file)
    record = open_kit(ctx, read_only=False).complete_token(token, payload)
    typer.echo(f"completed token for step {record.step_key!r} of run {record.run_id}")
