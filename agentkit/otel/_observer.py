"""`OTelObserver`: a span per execution of a run, its live steps, and each model call.

Spans are made as the work happens (the engine tells its `RunObserver`s), not
rebuilt from the store afterwards:

- ``run <function id>``: one span per execution of a run. A run that waits for
  days has several, all in one trace: the run's W3C traceparent is stored on
  the run (``RunRecord.traceparent``). A run started inside a span (``kit.start``
  while a span is current) keeps that span as its parent; otherwise its first
  execution's span is the trace's root and later executions are its children.
- ``step <key>``: each step that runs live, a child of its execution's span,
  current while the step's body runs (so spans the body makes nest under it);
  a wait is a short span when it is journaled.
- ``chat <model>`` (kind CLIENT): each stored model-call attempt of an ``infer``
  step, with the GenAI semantic-convention attributes (`completion_attributes`).

Every span carries ``agentkit.run.id`` (and steps ``agentkit.step.key``), which
lead back to the run's journal and stored exchanges.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from agentkit.durable import ExecutionOutcome, RunExecution, RunObserver
from agentkit.otel._attributes import (
    completion_attributes,
    error_message,
    run_attributes,
    step_attributes,
    step_start_attributes,
)
from agentkit.store import CompletionRecord, StepKind, StepRecord

if TYPE_CHECKING:
    from opentelemetry.trace import Span, TracerProvider

__all__ = ["OTelObserver"]

_PROPAGATOR = TraceContextTextMapPropagator()


def _traceparent(context: otel_context.Context | None = None) -> str | None:
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier, context=context)
    return carrier.get("traceparent")


class OTelObserver(RunObserver):
    """Makes OpenTelemetry spans of runs, steps and model calls as they happen.

    Args:
        tracer_provider: Where the spans go (default: the global provider,
            e.g. one set up by ``opentelemetry-instrument``).
    """

    def __init__(self, tracer_provider: TracerProvider | None = None) -> None:
        provider = tracer_provider or trace.get_tracer_provider()
        self._tracer = provider.get_tracer("agentkit")
        self._runs: dict[str, Span] = {}
        self._steps: dict[tuple[str, str], tuple[Span, object]] = {}

    # -- runs -----------------------------------------------------------------

    def start_traceparent(self) -> str | None:
        """The caller's current span, when ``kit.start`` is called inside one."""
        if not trace.get_current_span().get_span_context().is_valid:
            return None
        return _traceparent()

    def execution_started(self, execution: RunExecution) -> None:
        run = execution.run
        stored = execution.traceparent
        # No stored trace: this span starts one (an empty context, not the
        # worker's current span, which belongs to whatever runs the worker).
        parent = (
            _PROPAGATOR.extract({"traceparent": stored})
            if stored is not None
            else otel_context.Context()
        )
        span = self._tracer.start_span(
            f"run {run.function_id}",
            context=parent,
            attributes=run_attributes(run, execution.number),
        )
        if stored is None:
            mine = _traceparent(trace.set_span_in_context(span))
            if mine is not None:
                kept = execution.set_traceparent(mine)
                if kept != mine:  # another worker stored its trace first
                    span.set_attribute("agentkit.run.traceparent", kept)
        self._runs[run.id] = span

    def execution_suspended(self, execution: RunExecution, wait: StepRecord) -> None:
        span = self._end_steps_of(execution.run_id)
        if span is not None:
            span.set_attributes(
                {
                    "agentkit.run.outcome": "waiting",
                    "agentkit.wait.key": wait.key,
                    "agentkit.wait.kind": wait.kind,
                }
            )
            span.end()

    def execution_ended(
        self, execution: RunExecution, outcome: ExecutionOutcome, detail: str | None
    ) -> None:
        span = self._end_steps_of(execution.run_id)
        if span is None:
            return
        span.set_attribute("agentkit.run.outcome", outcome)
        if outcome == "failed":
            span.set_status(Status(StatusCode.ERROR, error_message(detail)))
        elif outcome == "stopped" and detail is not None:
            span.set_attribute("agentkit.run.stop_reason", detail)
        span.end()

    def _end_steps_of(self, run_id: str) -> Span | None:
        """Pop the run's span, ending any step span left open (a branch stopped)."""
        for key in [k for k in self._steps if k[0] == run_id]:
            step, _ = self._steps.pop(key)
            step.set_attribute("agentkit.step.status", "abandoned")
            step.end()
        return self._runs.pop(run_id, None)

    # -- steps ----------------------------------------------------------------

    def step_started(self, run_id: str, key: str, kind: StepKind) -> None:
        run_span = self._runs.get(run_id)
        parent = trace.set_span_in_context(run_span) if run_span is not None else None
        span = self._tracer.start_span(
            f"step {key}",
            context=parent,
            attributes=step_start_attributes(run_id, key, kind),
        )
        # Current while the body runs: spans it makes (HTTP clients...) nest here.
        token = otel_context.attach(trace.set_span_in_context(span))
        self._steps[(run_id, key)] = (span, token)

    def step_ended(self, run_id: str, key: str, record: StepRecord | None) -> None:
        found = self._steps.pop((run_id, key), None)
        if found is None:
            return
        span, token = found
        try:
            otel_context.detach(token)  # type: ignore[arg-type]  # the token attach returned
        finally:
            if record is None:
                span.set_attribute("agentkit.step.status", "abandoned")
            else:
                span.set_attributes(step_attributes(record))
                if record.status == "failed":
                    span.set_status(Status(StatusCode.ERROR, error_message(record.error)))
            span.end()

    def completion_stored(self, completion: CompletionRecord) -> None:
        step = self._steps.get((completion.run_id, completion.step_key))
        parent_span = step[0] if step is not None else self._runs.get(completion.run_id)
        parent = trace.set_span_in_context(parent_span) if parent_span is not None else None
        ended = time.time_ns()
        span = self._tracer.start_span(
            f"chat {completion.model}",
            context=parent,
            kind=SpanKind.CLIENT,
            start_time=ended - int(completion.latency_ms * 1_000_000),
            attributes=completion_attributes(completion),
        )
        if completion.error is not None:
            span.set_status(Status(StatusCode.ERROR, error_message(completion.error)))
        span.end(end_time=ended)

    def __repr__(self) -> str:
        return f"<OTelObserver runs={len(self._runs)} steps={len(self._steps)}>"
