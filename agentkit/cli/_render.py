"""Turning records into text: times, durations, schema summaries, tables and JSON.

Everything here is pure except the two console factories. Consoles are made per
call, not at import, so that they see the streams and ``COLUMNS`` of the moment
(test runners swap ``sys.stdout``; a terminal may be resized).
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from agentkit.store import RunRecord, StepRecord, TokenRecord

# Record fields that hold JSON text; `--json` output embeds them decoded.
_JSON_FIELDS = frozenset({"input", "output", "error", "wait_match", "schema", "payload"})

_STATUS_STYLES = {
    "queued": "blue",
    "running": "cyan",
    "waiting": "yellow",
    "pending": "yellow",
    "completed": "green",
    "failed": "red",
    "expired": "red",
    "cancelled": "magenta",
}

NOTHING = "-"

# Wide enough that no table is cut; a table only takes the width it needs.
_PIPE_WIDTH = 1000


def stdout_console() -> Console:
    """A console on the current stdout.

    Piped into a file or ``grep``, tables keep their natural width instead of
    being cut to 80 columns, so that ids stay whole.
    """
    fits_terminal = sys.stdout.isatty() or "COLUMNS" in os.environ
    return Console(highlight=False, width=None if fits_terminal else _PIPE_WIDTH)


def stderr_console() -> Console:
    """A console on the current stderr."""
    return Console(stderr=True, highlight=False)


# -- times --------------------------------------------------------------------


def local_time(epoch: float | None) -> str:
    """``2024-05-01 14:03:07`` in the local time zone, or ``-``."""
    if epoch is None:
        return NOTHING
    return datetime.fromtimestamp(epoch, tz=UTC).astimezone().strftime("%Y-%m-%d %H:%M:%S")


def span(seconds: float) -> str:
    """A coarse length of time: ``42s``, ``5m 03s``, ``2h 07m``, ``6d 23h``."""
    whole = int(max(seconds, 0.0))
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m {whole % 60:02d}s"
    if whole < 86400:
        return f"{whole // 3600}h {whole % 3600 // 60:02d}m"
    return f"{whole // 86400}d {whole % 86400 // 3600:02d}h"


def duration(seconds: float) -> str:
    """A precise length of time: ``250ms``, ``3.2s``, then as `span`."""
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    if seconds < 60:
        return f"{seconds:.1f}s"
    return span(seconds)


def relative(epoch: float | None, now: float) -> str:
    """``in 5m 03s`` or ``2h 07m ago`` from ``now``; ``never`` for no time."""
    if epoch is None:
        return "never"
    if epoch > now:
        return f"in {span(epoch - now)}"
    return f"{span(now - epoch)} ago"


def run_duration(run: RunRecord) -> str:
    """How long an ended run took from its first start (``-`` while it has not ended)."""
    if run.ended_at is None:
        return NOTHING
    return duration(run.ended_at - (run.started_at or run.created_at))


def step_duration_ms(step: StepRecord) -> str:
    """Milliseconds from a step's start to its end (``-`` for an open wait)."""
    if step.ended_at is None:
        return NOTHING
    return f"{(step.ended_at - step.started_at) * 1000:.0f}"


# -- JSON text ----------------------------------------------------------------


def decode(text: str | None) -> Any:
    """The value of a JSON text field; text that is not JSON stays as it is."""
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def error_summary(error_json: str | None) -> str:
    """``Type: message`` from a journaled error."""
    error = decode(error_json)
    if not isinstance(error, dict):
        return str(error)
    return f"{error.get('type', 'Error')}: {error.get('message', '')}"


def record_dict(record: RunRecord | StepRecord | TokenRecord) -> dict[str, Any]:
    """A record as a plain dict, with its JSON text fields decoded."""
    values = dataclasses.asdict(record)
    for field in _JSON_FIELDS & values.keys():
        values[field] = decode(values[field])
    return values


def dump_json(value: Any) -> str:
    """Indented JSON for ``--json`` output."""
    return json.dumps(value, indent=2)


# -- schemas ------------------------------------------------------------------


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _type_of(schema: Any) -> str:
    """A short type expression for a JSON schema: ``string | null``, ``list[int]``."""
    if not isinstance(schema, dict):
        return "any"
    if "$ref" in schema:
        return _ref_name(str(schema["$ref"]))
    for combinator in ("anyOf", "oneOf"):
        if combinator in schema:
            return " | ".join(_type_of(option) for option in schema[combinator])
    if "const" in schema:
        return json.dumps(schema["const"])
    if "enum" in schema:
        return " | ".join(json.dumps(value) for value in schema["enum"])
    kind = schema.get("type")
    if kind == "array":
        return f"list[{_type_of(schema.get('items'))}]"
    if kind == "object":
        return str(schema.get("title", "object"))
    if isinstance(kind, list):
        return " | ".join(str(k) for k in kind)
    return str(kind) if kind else "any"


def schema_summary(schema_json: str | None) -> str:
    """One line for a token's payload schema: ``Approval {approved: boolean, note?: ...}``."""
    if schema_json is None:
        return "any"
    schema = decode(schema_json)
    if not isinstance(schema, dict):
        return "any"
    properties = schema.get("properties")
    if schema.get("type") != "object" or not isinstance(properties, dict):
        return _type_of(schema)
    required = set(schema.get("required", []))
    fields = ", ".join(
        f"{name}{'' if name in required else '?'}: {_type_of(spec)}"
        for name, spec in properties.items()
    )
    title = schema.get("title")
    return f"{title} {{{fields}}}" if title else f"{{{fields}}}"


# -- rich pieces --------------------------------------------------------------


def status_text(status: str) -> Text:
    """A status word in its colour."""
    return Text(status, style=_STATUS_STYLES.get(status, ""))


def table(*columns: str, wrap: Collection[str] = (), title: str | None = None) -> Table:
    """A table; only the ``wrap`` columns (free text) may wrap, ids and times never do."""
    grid = Table(
        title=title, title_justify="left", header_style="bold", box=box.SIMPLE_HEAD, show_edge=False
    )
    for name in columns:
        grid.add_column(name, no_wrap=name not in wrap)
    return grid


def cells(*values: str | Text) -> list[Text]:
    """Row cells as `Text`, so that user data is never read as Rich markup."""
    return [value if isinstance(value, Text) else Text(value) for value in values]
