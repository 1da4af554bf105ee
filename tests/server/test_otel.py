"""OpenTelemetry spans of a recorded run, read back from the SDK's in-memory exporter."""

from __future__ import annotations

import httpx
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agentkit import AgentKit
from agentkit.server import RunTracer, trace_run
from tests.server.conftest import AUTH
from tests.server.test_api import start_waiting


def provider() -> tuple[TracerProvider, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    return tracer_provider, exporter


async def finished_run(api: httpx.AsyncClient, kit: AgentKit) -> str:
    run_id, detail = await start_waiting(api, kit)
    await api.post("/api/tokens/approve", json={"token": detail["tokens"][0]["token"]})
    await kit.worker(stop_when_idle=True)
    return run_id


async def test_run_step_and_model_call_spans(api: httpx.AsyncClient, kit: AgentKit) -> None:
    run_id = await finished_run(api, kit)
    tracer_provider, exporter = provider()
    trace_id = trace_run(kit, run_id, tracer_provider)
    spans = {span.name: span for span in exporter.get_finished_spans()}
    assert set(spans) == {
        "run agent:support",
        "step support/infer",
        "step support/approve/refund",
        "step support/tool/refund",
        "step support/infer#1",
        "chat scripted",
    }
    run_span = spans["run agent:support"]
    # The trace the run's API names, and every span of it.
    detail = (await api.get(f"/api/runs/{run_id}", headers=AUTH)).json()
    assert detail["run"]["trace_id"] == trace_id
    assert {format(s.context.trace_id, "032x") for s in spans.values()} == {trace_id}
    assert run_span.attributes is not None
    assert run_span.attributes["agentkit.run.id"] == run_id
    assert run_span.attributes["agentkit.run.status"] == "completed"
    step = spans["step support/tool/refund"]
    assert step.parent is not None and step.parent.span_id == run_span.context.span_id
    assert step.attributes is not None and step.attributes["agentkit.step.kind"] == "run"


async def test_model_calls_follow_the_genai_conventions(
    api: httpx.AsyncClient, kit: AgentKit
) -> None:
    run_id = await finished_run(api, kit)
    tracer_provider, exporter = provider()
    trace_run(kit, run_id, tracer_provider)
    spans = exporter.get_finished_spans()
    calls = [span for span in spans if span.name == "chat scripted"]
    assert len(calls) == 2
    infer = {span.name: span for span in spans}["step support/infer"]
    first = min(calls, key=lambda span: span.start_time or 0)
    assert first.parent is not None and first.parent.span_id == infer.context.span_id
    assert first.attributes is not None
    attributes = dict(first.attributes)
    assert attributes["gen_ai.operation.name"] == "chat"
    assert attributes["gen_ai.request.model"] == "scripted"
    assert attributes["gen_ai.usage.input_tokens"] == 100
    assert attributes["gen_ai.usage.output_tokens"] == 10
    assert attributes["agentkit.step.key"] == "support/infer"
    assert first.kind.name == "CLIENT"
    assert first.start_time is not None and first.end_time is not None
    assert first.start_time <= first.end_time


async def test_the_tracer_traces_runs_that_end_after_it_starts(
    api: httpx.AsyncClient, kit: AgentKit
) -> None:
    earlier = await api.post(
        "/api/runs", json={"function": "add", "input": {"a": 1, "b": 1}}, headers=AUTH
    )
    await kit.worker(stop_when_idle=True)
    tracer_provider, exporter = provider()
    tracer = RunTracer(kit, tracer_provider)
    assert tracer.poll() == []  # runs that had ended are history
    later = await api.post(
        "/api/runs", json={"function": "add", "input": {"a": 2, "b": 2}}, headers=AUTH
    )
    await kit.worker(stop_when_idle=True)
    assert tracer.poll() == [later.json()["id"]]
    assert tracer.poll() == []
    traced = {
        span.attributes["agentkit.run.id"]
        for span in exporter.get_finished_spans()
        if span.attributes
    }
    assert traced == {later.json()["id"]}
    assert earlier.json()["id"] not in traced
