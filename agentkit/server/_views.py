"""Records as the HTTP API shows them: JSON-ready dicts, secrets scrubbed.

Stored JSON text (inputs, outputs, errors, raw bodies) is decoded so that a
client gets structures, not strings inside strings.
"""

from __future__ import annotations

import json
from typing import Any

from agentkit._redact import scrub_any
from agentkit.durable import AgentKit
from agentkit.store import CompletionRecord, RunRecord, StepRecord, TokenRecord

__all__ = [
    "completion_detail",
    "completion_summary",
    "decode",
    "run_cost",
    "run_row",
    "run_summary",
    "step_view",
    "token_view",
    "trace_id_of",
]


def decode(text: str | None) -> Any:
    """Stored JSON text as a value (None stays None; text that is not JSON stays text)."""
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def trace_id_of(run: RunRecord) -> str | None:
    """The run's OpenTelemetry trace id (32 hex digits), from its stored traceparent.

    Set when the run was started inside a span, or at its first execution by
    `agentkit.otel.OTelObserver`; None for a run executed without one.
    """
    return None if run.traceparent is None else run.traceparent[3:35]


def run_cost(kit: AgentKit, run_id: str) -> float:
    """The run's model cost in USD: every stored attempt, failed ones included."""
    return sum(c.cost_usd or 0.0 for c in kit.store.list_completions(run_id))


def run_summary(kit: AgentKit, run: RunRecord) -> dict[str, Any]:
    """A run as the list shows it: status, function, times, cost (of every stored attempt)."""
    summary: dict[str, Any] = {
        "id": run.id,
        "function_id": run.function_id,
        "status": run.status,
        "created_at": run.created_at,
        "updated_at": run.updated_at,
        "started_at": run.started_at,
        "ended_at": run.ended_at,
        "parent_run_id": run.parent_run_id,
        "executions": run.executions,
        "cost_usd": run_cost(kit, run.id),
        "trace_id": trace_id_of(run),
    }
    return scrub_any(summary)  # type: ignore[no-any-return]  # scrub_any keeps the shape


def run_row(run: RunRecord, cost: float | None) -> dict[str, Any]:
    """A run as a row of the live run list: only what the row shows (the stream
    sends one per change to every subscriber, so it is kept small)."""
    return {
        "id": run.id,
        "function_id": scrub_any(run.function_id),
        "status": run.status,
        "created_at": run.created_at,
        "updated_at": run.updated_at,
        "cost_usd": cost,
    }


def run_detail(kit: AgentKit, run: RunRecord) -> dict[str, Any]:
    """A run with its input, output and error."""
    detail = run_summary(kit, run)
    detail.update(
        input=scrub_any(decode(run.input)),
        output=scrub_any(decode(run.output)),
        error=scrub_any(decode(run.error)),
        idempotency_key=run.idempotency_key,
        wake_at=run.wake_at,
    )
    return detail


def step_view(step: StepRecord) -> dict[str, Any]:
    """One journal entry, its output decoded."""
    view = {
        "run_id": step.run_id,
        "key": step.key,
        "kind": step.kind,
        "status": step.status,
        "seq": step.seq,
        "started_at": step.started_at,
        "ended_at": step.ended_at,
        "attempts": step.attempts,
        "output": decode(step.output),
        "error": decode(step.error),
        "wake_at": step.wake_at,
        "wait_ref": step.wait_ref if step.kind != "token" else None,
        "wait_match": decode(step.wait_match),
    }
    return scrub_any(view)  # type: ignore[no-any-return]  # scrub_any keeps the shape


def completion_summary(completion: CompletionRecord) -> dict[str, Any]:
    """One model-call attempt without its bodies: who, how long, how much."""
    return {
        "id": completion.id,
        "step_key": completion.step_key,
        "attempt": completion.attempt,
        "model_index": completion.model_index,
        "provider": completion.provider,
        "model": completion.model,
        "created_at": completion.created_at,
        "status_code": completion.status_code,
        "succeeded": completion.succeeded,
        "latency_ms": completion.latency_ms,
        "waited_s": completion.waited_s,
        "input_tokens": completion.input_tokens,
        "output_tokens": completion.output_tokens,
        "cached_tokens": completion.cached_tokens,
        "cost_usd": completion.cost_usd,
    }


def completion_detail(completion: CompletionRecord) -> dict[str, Any]:
    """One model-call attempt with the raw request, response, events and kept headers."""
    detail = completion_summary(completion)
    detail.update(
        fingerprint=completion.fingerprint,
        request=decode(completion.request),
        response=decode(completion.response),
        stream_events=decode(completion.stream_events),
        headers=decode(completion.headers) or {},
        error=decode(completion.error),
    )
    return scrub_any(detail)  # type: ignore[no-any-return]  # scrub_any keeps the shape


def token_view(token: TokenRecord) -> dict[str, Any]:
    """A human-in-the-loop token; the value is included: it is what an approver uses."""
    view = {
        "token": token.token,
        "run_id": token.run_id,
        "step_key": token.step_key,
        "status": token.status,
        "created_at": token.created_at,
        "expires_at": token.expires_at,
        "description": token.description,
        "schema": decode(token.schema),
        "payload": decode(token.payload),
        "completed_at": token.completed_at,
    }
    return scrub_any(view)  # type: ignore[no-any-return]  # scrub_any keeps the shape
