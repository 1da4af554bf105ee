"""OpenTelemetry spans of runs, steps and model calls (GenAI semantic conventions).

Opt-in (the ``otel`` extra) and outside the engine: the spans are built from
what the store recorded when a run ends — its journal for the step spans, its
stored completions for the model-call spans — with the recorded start and end
times. The engine never imports OpenTelemetry, and a process without a
tracer provider pays nothing.

The trace id of a run is derived from its id (`trace_id_of`), so the run's page
and API name the trace, and every span carries ``agentkit.run.id`` back to the
journal. The run span's parent is that derived trace's root context (a remote
parent, as for a trace continued from another service).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from agentkit.durable import AgentKit
from agentkit.server._views import trace_id_of
from agentkit.store import CompletionRecord, RunRecord, RunStatus, StepRecord

if TYPE_CHECKING:
    from opentelemetry.trace import Span, Tracer, TracerProvider

__all__ = ["RunTracer", "completion_attributes", "trace_run"]

_NS = 1_000_000_000


def _ns(seconds: float) -> int:
    return int(seconds * _NS)


def completion_attributes(completion: CompletionRecord) -> dict[str, Any]:
    """The GenAI semantic-convention attributes of one model-call attempt."""
    attributes: dict[str, Any] = {
        "gen_ai.operation.name": "chat",
        "gen_ai.system": completion.provider,
        "gen_ai.provider.name": completion.provider,
        "gen_ai.request.model": completion.model,
        "agentkit.run.id": completion.run_id,
        "agentkit.step.key": completion.step_key,
        "agentkit.completion.id": completion.id,
        "agentkit.completion.attempt": completion.attempt,
        "agentkit.completion.latency_ms": completion.latency_ms,
    }
    response = _json(completion.response)
    if isinstance(response, dict):
        if isinstance(response.get("model"), str):
            attributes["gen_ai.response.model"] = response["model"]
        if isinstance(response.get("id"), str):
            attributes["gen_ai.response.id"] = response["id"]
    if completion.input_tokens is not None:
        attributes["gen_ai.usage.input_tokens"] = completion.input_tokens
    if completion.output_tokens is not None:
        attributes["gen_ai.usage.output_tokens"] = completion.output_tokens
    if completion.cost_usd is not None:
        attributes["agentkit.cost_usd"] = completion.cost_usd
    if completion.status_code is not None:
        attributes["http.response.status_code"] = completion.status_code
    if completion.error is not None:
        attributes["error.type"] = str((_json(completion.error) or {}).get("type", "error"))
    return attributes


def _json(text: str | None) -> Any:
    try:
        return None if text is None else json.loads(text)
    except ValueError:
        return None


def trace_run(kit: AgentKit, run_id: str, tracer_provider: TracerProvider | None = None) -> str:
    """Emit the spans of an ended run; returns its trace id (32 hex digits).

    One span for the run, one per journaled step under it, and one per model-call
    attempt under its ``infer`` step, named and attributed by the OpenTelemetry
    GenAI conventions (``chat gpt-4o``, ``gen_ai.request.model``,
    ``gen_ai.usage.input_tokens``...).

    Args:
        kit: The kit whose store holds the run.
        run_id: The run.
        tracer_provider: Where the spans go (default: the global provider).
    """
    from opentelemetry import trace

    provider = tracer_provider or trace.get_tracer_provider()
    tracer = provider.get_tracer("agentkit")
    run = kit.get_run(run_id).record()
    steps = kit.journal(run_id)
    completions = kit.completions(run_id)
    _emit(tracer, run, steps, completions)
    return trace_id_of(run_id)


def _emit(
    tracer: Tracer, run: RunRecord, steps: list[StepRecord], completions: list[CompletionRecord]
) -> None:
    from opentelemetry import trace
    from opentelemetry.trace import SpanContext, SpanKind, TraceFlags

    root = SpanContext(
        trace_id=int(trace_id_of(run.id), 16),
        span_id=int(trace_id_of(run.id)[:16], 16) or 1,
        is_remote=True,
        trace_flags=TraceFlags(TraceFlags.SAMPLED),
    )
    parent = trace.set_span_in_context(trace.NonRecordingSpan(root))
    start = run.started_at or run.created_at
    end = run.ended_at or run.updated_at
    span = tracer.start_span(
        f"run {run.function_id}",
        context=parent,
        start_time=_ns(start),
        attributes={
            "agentkit.run.id": run.id,
            "agentkit.function.id": run.function_id,
            "agentkit.run.status": run.status,
            "agentkit.run.executions": run.executions,
        },
    )
    _set_error(span, run.status == "failed", run.error)
    run_context = trace.set_span_in_context(span)
    by_step: dict[str, list[CompletionRecord]] = {}
    for completion in completions:
        by_step.setdefault(completion.step_key, []).append(completion)
    for step in steps:
        step_span = tracer.start_span(
            f"step {step.key}",
            context=run_context,
            start_time=_ns(step.started_at),
            attributes={
                "agentkit.run.id": run.id,
                "agentkit.step.key": step.key,
                "agentkit.step.kind": step.kind,
                "agentkit.step.status": step.status,
                "agentkit.step.attempts": step.attempts,
            },
        )
        _set_error(step_span, step.status == "failed", step.error)
        step_context = trace.set_span_in_context(step_span)
        for completion in by_step.pop(step.key, []):
            _completion_span(tracer, completion, step_context, SpanKind.CLIENT)
        step_span.end(end_time=_ns(step.ended_at or end))
    for orphans in by_step.values():  # attempts of a step that was never journaled
        for completion in orphans:
            _completion_span(tracer, completion, run_context, SpanKind.CLIENT)
    span.end(end_time=_ns(end))


def _completion_span(tracer: Tracer, completion: CompletionRecord, context: Any, kind: Any) -> None:
    ended = completion.created_at
    span = tracer.start_span(
        f"chat {completion.model}",
        context=context,
        kind=kind,
        start_time=_ns(ended - completion.latency_ms / 1000.0),
        attributes=completion_attributes(completion),
    )
    _set_error(span, completion.error is not None, completion.error)
    span.end(end_time=_ns(ended))


def _set_error(span: Span, failed: bool, error: str | None) -> None:
    if not failed:
        return
    from opentelemetry.trace import Status, StatusCode

    detail = _json(error)
    message = detail.get("message", "") if isinstance(detail, dict) else str(error or "")
    span.set_status(Status(StatusCode.ERROR, str(message)))


class RunTracer:
    """Emits the spans of every run that ends from now on (an observer of the store).

    Args:
        kit: The kit whose runs are traced.
        tracer_provider: Where the spans go (default: the global provider).
        interval: Seconds between looks at the store.
        window: How many of the newest ended runs each look considers.
    """

    def __init__(
        self,
        kit: AgentKit,
        tracer_provider: TracerProvider | None = None,
        *,
        interval: float = 1.0,
        window: int = 500,
    ) -> None:
        self.kit = kit
        self.tracer_provider = tracer_provider
        self.interval = interval
        self.window = window
        self._seen: set[str] | None = None

    def _ended(self) -> Iterable[RunRecord]:
        statuses: tuple[RunStatus, ...] = ("completed", "failed", "cancelled")
        for status in statuses:
            yield from self.kit.list_runs(status=status, limit=self.window)

    def poll(self) -> list[str]:
        """Trace the runs that ended since the last call; returns their ids.

        The first call only notes the runs that had already ended.
        """
        ended = {run.id for run in self._ended()}
        if self._seen is None:
            self._seen = ended
            return []
        new = sorted(ended - self._seen)
        for run_id in new:
            trace_run(self.kit, run_id, self.tracer_provider)
        self._seen |= ended
        return new

    async def run(self) -> None:
        """Poll until cancelled."""
        while True:
            await asyncio.to_thread(self.poll)
            await asyncio.sleep(self.interval)
