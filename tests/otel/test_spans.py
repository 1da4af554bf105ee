"""Live OpenTelemetry spans of runs, steps and model calls, read from the SDK's in-memory exporter.

The model is OpenAI's wire faked at the HTTP layer with a recorded real
response (tests/fixtures/providers/pydantic-ai), so the GenAI attributes come
from a real payload.
"""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from agentkit import Agent, AgentKit, Context, agent_function, tool
from agentkit.models import OpenAIModel
from agentkit.otel import OTelObserver, trace_id
from agentkit.store import Store
from tests.conftest import STORE_KINDS, make_store
from tests.killing import run_process
from tests.models.cassettes import load_cassette

RECORDED = load_cassette("pydantic-ai/openai__test_openai_tool_output.yaml")[0].json()
SECRET = "sk-test-SECRET-do-not-store-7e2a"


def answer_body() -> dict[str, Any]:
    """The recorded response turned into a final text answer."""
    body = copy.deepcopy(RECORDED)
    body["id"] = "chatcmpl-final"
    message = body["choices"][0]["message"]
    message["content"], message["tool_calls"] = "You are in Mexico.", None
    body["choices"][0]["finish_reason"] = "stop"
    return body


def reply(request: httpx.Request) -> httpx.Response:
    messages = json.loads(request.content)["messages"]
    answered = any(m["role"] == "tool" for m in messages)
    return httpx.Response(200, json=answer_body() if answered else RECORDED)


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def provider(exporter: InMemorySpanExporter) -> TracerProvider:
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    return tracer_provider


@pytest.fixture(params=STORE_KINDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    made = make_store(request.param, tmp_path)
    yield made
    made.close()


@pytest.fixture
def openai() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url="https://api.openai.com/v1") as router:
        router.post("/chat/completions").mock(side_effect=reply)
        yield router


def geo_kit(store: Store, provider: TracerProvider) -> tuple[AgentKit, Any]:
    kit = AgentKit(store=store, observers=[OTelObserver(provider)])
    tracer = provider.get_tracer("tests")

    @tool(needs_approval=True)
    def get_user_country() -> str:
        """The user's country."""
        with tracer.start_as_current_span("lookup in the user database"):
            return "Mexico"

    agent = Agent(
        "geo", "You locate users.", OpenAIModel("gpt-4o", api_key=SECRET), [get_user_country]
    )
    return kit, agent_function(kit, agent)


async def drain(kit: AgentKit) -> None:
    await kit.worker(stop_when_idle=True, poll_interval=0.01)


def by_name(spans: tuple[ReadableSpan, ...]) -> dict[str, list[ReadableSpan]]:
    found: dict[str, list[ReadableSpan]] = {}
    for span in spans:
        found.setdefault(span.name, []).append(span)
    return found


def parent_id(span: ReadableSpan) -> int | None:
    return None if span.parent is None else span.parent.span_id


def attrs(span: ReadableSpan) -> dict[str, Any]:
    return dict(span.attributes or {})


async def test_spans_of_a_run_that_waits_for_a_human_and_resumes(
    store: Store,
    provider: TracerProvider,
    exporter: InMemorySpanExporter,
    openai: respx.MockRouter,
) -> None:
    kit, geo = geo_kit(store, provider)
    handle = await kit.start(geo, input="Where am I?")
    await drain(kit)
    assert handle.status() == "waiting"
    first = by_name(exporter.get_finished_spans())
    assert sorted(first) == [
        "chat gpt-4o",
        "run agent:geo",
        "step geo/approve/get_user_country",
        "step geo/infer",
    ]
    # The trace id is stored on the run at its first execution.
    run = handle.record()
    assert run.traceparent is not None
    trace = trace_id(run)
    [run_1] = first["run agent:geo"]
    assert format(run_1.context.trace_id, "032x") == trace
    assert run_1.parent is None  # the trace's root
    assert attrs(run_1)["agentkit.run.id"] == handle.id
    assert attrs(run_1)["agentkit.run.execution"] == 1
    assert attrs(run_1)["agentkit.run.outcome"] == "waiting"
    assert attrs(run_1)["agentkit.wait.key"] == "geo/approve/get_user_country"
    assert run.traceparent.startswith(f"00-{trace}-{run_1.context.span_id:016x}-")

    [token] = handle.tokens()
    kit.complete_token(token.token, {"approved": True})
    exporter.clear()
    await drain(kit)
    assert (await handle.result()).output == "You are in Mexico."
    second = by_name(exporter.get_finished_spans())
    # Replayed steps are not spans again: only what ran live in this execution.
    assert sorted(second) == [
        "chat gpt-4o",
        "lookup in the user database",
        "run agent:geo",
        "step geo/infer#1",
        "step geo/tool/get_user_country",
    ]
    [run_2] = second["run agent:geo"]
    assert attrs(run_2)["agentkit.run.execution"] == 2
    assert attrs(run_2)["agentkit.run.outcome"] == "completed"
    # One trace across the two executions; the second is a child of the first.
    everything = [*[s for v in first.values() for s in v], *[s for v in second.values() for s in v]]
    assert {format(s.context.trace_id, "032x") for s in everything} == {trace}
    assert parent_id(run_2) == run_1.context.span_id

    # Steps are children of their execution's span; the model call of its infer step.
    for spans, run_span in ((first, run_1), (second, run_2)):
        for name, [span] in ((n, s) for n, s in spans.items() if n.startswith("step ")):
            assert parent_id(span) == run_span.context.span_id, name
            assert attrs(span)["agentkit.run.id"] == handle.id
    [tool_span] = second["step geo/tool/get_user_country"]
    assert attrs(tool_span)["agentkit.step.kind"] == "run"
    assert attrs(tool_span)["agentkit.step.status"] == "completed"
    assert attrs(tool_span)["agentkit.step.attempts"] == 1
    # An agent's tool call is an execute_tool operation of the GenAI conventions.
    assert attrs(tool_span)["gen_ai.operation.name"] == "execute_tool"
    assert attrs(tool_span)["gen_ai.tool.name"] == "get_user_country"
    assert attrs(tool_span)["gen_ai.agent.name"] == "geo"
    assert attrs(second["step geo/infer#1"][0])["gen_ai.agent.name"] == "geo"
    assert "gen_ai.operation.name" not in attrs(second["step geo/infer#1"][0])
    [wait_span] = first["step geo/approve/get_user_country"]
    assert attrs(wait_span)["agentkit.step.kind"] == "token"
    assert attrs(wait_span)["agentkit.step.status"] == "waiting"
    assert attrs(wait_span)["gen_ai.tool.name"] == "get_user_country"
    assert "gen_ai.operation.name" not in attrs(wait_span)  # a wait, not the tool
    # A span the tool's body makes nests under the step (the step span is current).
    [inside] = second["lookup in the user database"]
    assert parent_id(inside) == tool_span.context.span_id

    completions = {c.step_key: c for c in kit.completions(handle.id)}
    for spans, key, body in ((first, "geo/infer", RECORDED), (second, "geo/infer#1", None)):
        [chat] = spans["chat gpt-4o"]
        [step] = spans[f"step {key}"]
        assert parent_id(chat) == step.context.span_id
        assert chat.kind == SpanKind.CLIENT
        attributes = attrs(chat)
        body = body or answer_body()
        assert attributes["gen_ai.operation.name"] == "chat"
        assert attributes["gen_ai.provider.name"] == "openai"
        assert attributes["gen_ai.request.model"] == "gpt-4o"
        assert attributes["gen_ai.response.model"] == body["model"] == "gpt-4o-2024-08-06"
        assert attributes["gen_ai.response.id"] == body["id"]
        assert attributes["gen_ai.usage.input_tokens"] == body["usage"]["prompt_tokens"]
        assert attributes["gen_ai.usage.output_tokens"] == body["usage"]["completion_tokens"]
        assert list(attributes["gen_ai.response.finish_reasons"]) == [
            body["choices"][0]["finish_reason"]
        ]
        # Back to the stored exchange and the journal.
        assert attributes["agentkit.completion.id"] == completions[key].id
        assert attributes["agentkit.step.key"] == key
        assert attributes["agentkit.run.id"] == handle.id
    assert all(SECRET not in json.dumps(attrs(s)) for s in everything)


async def test_a_run_started_inside_a_span_joins_its_trace(
    provider: TracerProvider, exporter: InMemorySpanExporter, openai: respx.MockRouter
) -> None:
    from agentkit.store import InMemoryStore

    kit, geo = geo_kit(InMemoryStore(), provider)
    with provider.get_tracer("tests").start_as_current_span("POST /orders") as caller:
        handle = await kit.start(geo, input="Where am I?")
    await drain(kit)  # outside the caller's span: the stored traceparent carries it
    [run_span] = [s for s in exporter.get_finished_spans() if s.name == "run agent:geo"]
    assert run_span.context.trace_id == caller.get_span_context().trace_id
    assert parent_id(run_span) == caller.get_span_context().span_id
    assert trace_id(handle.record()) == format(caller.get_span_context().trace_id, "032x")


async def test_a_failed_step_and_run_are_error_spans(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    from agentkit.store import InMemoryStore

    kit = AgentKit(store=InMemoryStore(), observers=[OTelObserver(provider)])

    def charge() -> str:
        raise ValueError("card declined")

    @kit.function(id="checkout", retries=1)
    async def checkout(ctx: Context) -> str:
        return await ctx.step.run("charge", charge)

    await kit.start(checkout)
    await drain(kit)
    spans = {s.name: s for s in exporter.get_finished_spans()}
    step, run = spans["step charge"], spans["run checkout"]
    assert "gen_ai.agent.name" not in attrs(step)  # not an agent's step
    assert step.status.status_code == StatusCode.ERROR
    assert step.status.description == "ValueError: card declined"
    assert attrs(step)["agentkit.step.attempts"] == 2
    assert attrs(step)["error.type"] == "ValueError"
    assert run.status.status_code == StatusCode.ERROR
    assert attrs(run)["agentkit.run.outcome"] == "failed"


def test_without_an_observer_no_opentelemetry_is_imported() -> None:
    code = """
import asyncio, json, sys
from agentkit import Agent, AgentKit, agent_function, tool
from agentkit.models import ScriptedModel
from agentkit.store import InMemoryStore

@tool(needs_approval=True)
def ping() -> str:
    '''Ping.'''
    return "pong"

async def main():
    kit = AgentKit(store=InMemoryStore())
    model = ScriptedModel([ScriptedModel.tool_call("ping", {}), "done"])
    handle = await kit.start(agent_function(kit, Agent("a", "", model, [ping])), input="go")
    await kit.worker(stop_when_idle=True, poll_interval=0.01)
    [token] = handle.tokens()
    kit.complete_token(token.token, {"approved": True})
    await kit.worker(stop_when_idle=True, poll_interval=0.01)
    return (await handle.result()).output

print(json.dumps([asyncio.run(main()), sorted(m for m in sys.modules if "opentelemetry" in m)]))
"""
    result = run_process([sys.executable, "-c", code], check=True)
    assert json.loads(result.stdout.splitlines()[-1]) == ["done", []]
