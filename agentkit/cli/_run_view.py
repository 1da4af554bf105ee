"""What ``agentkit runs show`` prints: a run's header, timeline, model calls and tool calls."""

from __future__ import annotations

import json
from typing import Any

from rich.table import Table
from rich.text import Text

from agentkit.cli._calls import (
    RESULT_LIMIT,
    AgentCalls,
    agent_calls,
    clip,
    cost_text,
    summarise_arguments,
)
from agentkit.cli._render import (
    NOTHING,
    cells,
    decode,
    duration,
    error_summary,
    local_time,
    run_duration,
    status_text,
    step_duration_ms,
    table,
)
from agentkit.durable import AgentKit
from agentkit.store import RunRecord, StepRecord

#: How much of a run's input or output ``runs show`` prints (``--json`` has it all).
VALUE_LIMIT = 300


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


def _value_text(json_text: str) -> str:
    """A stored JSON value, cut after `VALUE_LIMIT` characters."""
    if len(json_text) <= VALUE_LIMIT:
        return json_text
    return f"{clip(json_text, VALUE_LIMIT)} ({len(json_text)} characters; --json shows all)"


def _agent_result(run: RunRecord) -> dict[str, Any] | None:
    """The output of a finished agent run (an `AgentResult`), else None."""
    value = decode(run.output)
    if isinstance(value, dict) and {"output", "messages", "model_calls"} <= value.keys():
        return value
    return None


def _usage_line(calls: AgentCalls) -> str:
    tokens_in = sum(call.input_tokens or 0 for call in calls.model_calls)
    tokens_out = sum(call.output_tokens or 0 for call in calls.model_calls)
    costs = [cost for call in calls.model_calls for cost in call.costs]
    return (
        f"{len(calls.model_calls)} model calls ({tokens_in} in / {tokens_out} out tokens, "
        f"cost {cost_text(costs)}), {len(calls.tool_calls)} tool calls"
    )


def header(run: RunRecord, calls: AgentCalls) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    rows: list[tuple[str, str | Text]] = [
        ("id", run.id),
        ("function", run.function_id),
        ("status", status_text(run.status)),
        ("input", _value_text(run.input)),
    ]
    agent_result = _agent_result(run)
    if run.status == "failed":
        rows.append(("error", error_summary(run.error)))
    elif agent_result is not None:
        rows.append(("output", _value_text(json.dumps(agent_result["output"], ensure_ascii=False))))
    elif run.output is not None:
        rows.append(("output", _value_text(run.output)))
    if calls.model_calls or calls.tool_calls:
        rows.append(("usage", _usage_line(calls)))
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


def model_calls_table(calls: AgentCalls) -> Table:
    grid = table(
        "step",
        "model",
        "in",
        "out",
        "cost",
        "latency",
        "status",
        "attempts",
        wrap={"model"},
        title="model calls",
    )
    for call in calls.model_calls:
        grid.add_row(
            *cells(
                call.step_key,
                call.model,
                NOTHING if call.input_tokens is None else str(call.input_tokens),
                NOTHING if call.output_tokens is None else str(call.output_tokens),
                call.cost,
                duration(call.latency_ms / 1000),
                status_text(call.status),
                str(call.attempts),
            )
        )
    return grid


def tool_calls_table(calls: AgentCalls) -> Table:
    gated = any(call.approval_key is not None for call in calls.tool_calls)
    columns = ["step", "arguments", *(["approval"] if gated else []), "status", "result"]
    grid = table(*columns, wrap={"arguments", "result"}, title="tool calls")
    for call in calls.tool_calls:
        key = call.step_key or call.approval_key or f"({call.tool})"
        approval = [call.approval or NOTHING] if gated else []
        grid.add_row(
            *cells(
                key,
                summarise_arguments(call.arguments) or NOTHING,
                *approval,
                status_text(call.status),
                clip(call.result, RESULT_LIMIT) or NOTHING,
            )
        )
    return grid


def timeline(steps: list[StepRecord]) -> Table:
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


def children_table(children: list[RunRecord]) -> Table:
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


def calls_of(kit: AgentKit, run: RunRecord, steps: list[StepRecord]) -> AgentCalls:
    agent_result = _agent_result(run)
    results: dict[str, str] = {}
    if agent_result is not None:
        for part in agent_result.get("tool_results") or []:
            if isinstance(part, dict) and isinstance(part.get("content"), str):
                results[str(part.get("tool_call_id"))] = part["content"]
    return agent_calls(steps, kit.completions(run.id), ended=run.is_terminal, tool_results=results)
