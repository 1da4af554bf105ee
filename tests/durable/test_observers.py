"""Run observers: told of executions and live steps as they happen; never able to break a run.

And `current_run_id`: the run of the calling code, in gather branches, sync
steps' threads and a nested agent's child run too.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from typing import Any

import pytest

from agentkit import (
    Agent,
    AgentKit,
    Context,
    RunFailedError,
    UsageError,
    agent_function,
    function_as_tool,
    tool,
)
from agentkit.durable import ExecutionOutcome, RunExecution, RunObserver, current_run_id
from agentkit.models import Message, ModelRequest, ScriptedModel, Usage
from agentkit.store import CompletionRecord, InMemoryStore, StepKind, StepRecord

TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def ask(text: str) -> ModelRequest:
    return ModelRequest(messages=[Message.user(text)])


def hello() -> ScriptedModel:
    return ScriptedModel(
        [ScriptedModel.text("hello", usage=Usage(input_tokens=7, output_tokens=2))]
    )


class Recorder(RunObserver):
    """Writes down every callback, in order."""

    def __init__(self, offered: str | None = None) -> None:
        self.events: list[tuple[Any, ...]] = []
        self.offered = offered

    def start_traceparent(self) -> str | None:
        return self.offered

    def execution_started(self, execution: RunExecution) -> None:
        self.events.append(("started", execution.run_id, execution.number))

    def execution_suspended(self, execution: RunExecution, wait: StepRecord) -> None:
        self.events.append(("suspended", wait.key, wait.kind, wait.status))

    def execution_ended(
        self, execution: RunExecution, outcome: ExecutionOutcome, detail: str | None
    ) -> None:
        error = None if detail is None or outcome != "failed" else json.loads(detail)["type"]
        self.events.append(("ended", outcome, error))

    def step_started(self, run_id: str, key: str, kind: StepKind) -> None:
        self.events.append(("step", key, kind))

    def step_ended(self, run_id: str, key: str, record: StepRecord | None) -> None:
        assert record is not None
        self.events.append(("step-end", key, record.status, record.attempts))

    def completion_stored(self, completion: CompletionRecord) -> None:
        self.events.append(("completion", completion.step_key, completion.input_tokens))


class Exploding(RunObserver):
    """Raises in every callback."""

    def __init__(self) -> None:
        self.calls = 0

    def _boom(self) -> None:
        self.calls += 1
        raise RuntimeError("observer bug")

    def start_traceparent(self) -> str | None:
        self._boom()
        return TRACEPARENT

    def execution_started(self, execution: RunExecution) -> None:
        self._boom()

    def execution_suspended(self, execution: RunExecution, wait: StepRecord) -> None:
        self._boom()

    def execution_ended(
        self, execution: RunExecution, outcome: ExecutionOutcome, detail: str | None
    ) -> None:
        self._boom()

    def step_started(self, run_id: str, key: str, kind: StepKind) -> None:
        self._boom()

    def step_ended(self, run_id: str, key: str, record: StepRecord | None) -> None:
        self._boom()

    def completion_stored(self, completion: CompletionRecord) -> None:
        self._boom()


async def drain(kit: AgentKit) -> None:
    await kit.worker(stop_when_idle=True, poll_interval=0.01)


def flaky() -> Any:
    calls = {"n": 0}

    def step() -> str:
        calls["n"] += 1
        if calls["n"] == 1:
            raise ConnectionError("first try fails")
        return "ok"

    return step


async def test_observers_see_executions_live_steps_and_model_calls() -> None:
    recorder = Recorder()
    kit = AgentKit(store=InMemoryStore(), observers=[recorder])
    model = hello()

    @kit.function(id="flow")
    async def flow(ctx: Context) -> str:
        first = await ctx.step.run("fetch", flaky())
        await ctx.step.infer("ask", model, ask("hi"))
        answer = await ctx.step.wait_for_token("approve")
        return f"{first} {answer}"

    handle = await kit.start(flow)
    await drain(kit)
    assert recorder.events == [
        ("started", handle.id, 1),
        ("step", "fetch", "run"),
        ("step-end", "fetch", "completed", 2),
        ("step", "ask", "infer"),
        ("completion", "ask", 7),
        ("step-end", "ask", "completed", 1),
        ("step", "approve", "token"),
        ("step-end", "approve", "waiting", 1),
        ("suspended", "approve", "token", "waiting"),
    ]
    recorder.events.clear()
    [token] = handle.tokens()
    kit.complete_token(token.token, "yes")
    await drain(kit)
    # Replayed steps did not run again, so nothing is told of them.
    assert recorder.events == [("started", handle.id, 2), ("ended", "completed", None)]
    assert await handle.result() == "ok yes"


async def test_a_suspension_is_told_after_the_steps_of_other_branches_ended() -> None:
    recorder = Recorder()
    kit = AgentKit(store=InMemoryStore(), observers=[recorder])

    async def slow_step() -> str:
        await asyncio.sleep(0.2)
        return "done"

    @kit.function(id="both")
    async def both(ctx: Context) -> list[Any]:
        async def slow() -> str:
            return await ctx.step.run("slow", slow_step)

        async def approval() -> Any:
            return await ctx.step.wait_for_token("approve")

        return list(await asyncio.gather(slow(), approval()))

    handle = await kit.start(both)
    await drain(kit)
    assert handle.status() == "waiting"
    # The slow step, still running when the other branch suspended, was let
    # finish (and journaled): its end is told before the execution's.
    assert ("step-end", "slow", "completed", 1) in recorder.events
    assert recorder.events[-1] == ("suspended", "approve", "token", "waiting")


async def test_a_failed_run_and_a_failed_step_are_told() -> None:
    recorder = Recorder()
    kit = AgentKit(store=InMemoryStore(), observers=[recorder])

    def broken() -> str:
        raise ValueError("no")

    @kit.function(id="fails", retries=0)
    async def fails(ctx: Context) -> str:
        return await ctx.step.run("broken", broken)

    handle = await kit.start(fails)
    await drain(kit)
    assert recorder.events[1:] == [
        ("step", "broken", "run"),
        ("step-end", "broken", "failed", 1),
        ("ended", "failed", "StepFailed"),
    ]
    with pytest.raises(RunFailedError):
        await handle.result()


async def test_an_observer_that_raises_never_breaks_a_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    exploding = Exploding()
    recorder = Recorder()
    kit = AgentKit(store=InMemoryStore(), observers=[exploding, recorder])
    model = hello()

    @kit.function(id="flow")
    async def flow(ctx: Context) -> str:
        first = await ctx.step.run("fetch", lambda: "ok")
        reply = await ctx.step.infer("ask", model, ask("hi"))
        await ctx.step.sleep("nap", 0)
        return f"{first} {reply.text}"

    with caplog.at_level(logging.ERROR, logger="agentkit.durable"):
        handle = await kit.start(flow)
        await drain(kit)
    assert await handle.result() == "ok hello"
    assert exploding.calls >= 8  # every callback raised...
    # ...and the observer after it was still told of everything.
    assert recorder.events[0] == ("started", handle.id, 1)
    assert recorder.events[-1] == ("ended", "completed", None)
    failures = [r for r in caplog.records if "observer" in r.getMessage()]
    assert failures and all("observer bug" in (r.exc_text or "") for r in failures)
    assert kit.get_run(handle.id).record().traceparent is None


async def test_a_traceparent_offered_at_start_is_stored_on_the_run_and_its_children() -> None:
    kit = AgentKit(store=InMemoryStore(), observers=[Recorder(offered=TRACEPARENT)])

    @kit.function(id="child")
    async def child(ctx: Context) -> str:
        return "done"

    @kit.function(id="parent")
    async def parent(ctx: Context) -> str:
        return await ctx.step.invoke("call", child)

    handle = await kit.start(parent)
    [many] = await kit.start_many(child, [{}])
    await drain(kit)
    assert await handle.result() == "done"
    assert handle.record().traceparent == TRACEPARENT
    assert many.record().traceparent == TRACEPARENT
    [called] = [r for r in kit.list_runs() if r.parent_run_id == handle.id]
    assert called.traceparent == TRACEPARENT


async def test_set_traceparent_keeps_the_first_and_refuses_garbage() -> None:
    class Tracing(RunObserver):
        def __init__(self) -> None:
            self.kept: list[str] = []

        def execution_started(self, execution: RunExecution) -> None:
            self.kept.append(execution.set_traceparent(TRACEPARENT))
            other = TRACEPARENT.replace("b7ad", "c8be")
            self.kept.append(execution.set_traceparent(other))  # the first one stays
            with pytest.raises(UsageError, match="not a W3C traceparent"):
                execution.set_traceparent("00-zz")

    tracing = Tracing()
    kit = AgentKit(store=InMemoryStore(), observers=[tracing])

    @kit.function(id="one")
    async def one(ctx: Context) -> int:
        return 1

    handle = await kit.start(one)
    await drain(kit)
    assert tracing.kept == [TRACEPARENT, TRACEPARENT]
    assert handle.record().traceparent == TRACEPARENT


def test_observers_must_be_run_observers() -> None:
    from agentkit import ConfigError

    with pytest.raises(ConfigError, match="RunObserver"):
        AgentKit(store=InMemoryStore(), observers=[object()])  # type: ignore[list-item]


# -- current_run_id -------------------------------------------------------------


async def test_current_run_id_in_the_body_its_branches_and_sync_steps() -> None:
    kit = AgentKit(store=InMemoryStore())
    seen: dict[str, Any] = {}

    def in_thread(name: str) -> str:
        seen[name] = (current_run_id(), threading.current_thread() is threading.main_thread())
        return name

    async def branch(ctx: Context, name: str) -> str:
        await asyncio.sleep(0)
        seen[f"branch-{name}"] = current_run_id()
        return await ctx.step.run(name, in_thread, name)

    @kit.function(id="fan")
    async def fan(ctx: Context) -> list[str]:
        seen["body"] = current_run_id()
        return list(await asyncio.gather(branch(ctx, "a"), branch(ctx, "b")))

    assert current_run_id() is None
    first = await kit.start(fan)
    await drain(kit)
    assert await first.result() == ["a", "b"]
    assert seen == {
        "body": first.id,
        "branch-a": first.id,
        "branch-b": first.id,
        "a": (first.id, False),  # a sync step runs in a worker thread
        "b": (first.id, False),
    }
    assert current_run_id() is None


async def test_current_run_id_of_a_nested_agent_is_its_child_run() -> None:
    from agentkit import AgentKit as FullKit

    kit = FullKit(store=InMemoryStore())
    seen: dict[str, str | None] = {}

    @tool
    def lookup(city: str) -> str:
        """Look a city up."""
        seen["inner tool"] = current_run_id()
        return f"{city}: sunny"

    inner = Agent(
        "inner",
        "",
        ScriptedModel([ScriptedModel.tool_call("lookup", {"city": "Oslo"}), "sunny"]),
        [lookup],
    )

    @kit.function(id="forecast")
    async def forecast(ctx: Context, city: str) -> str:
        """Forecast a city.

        Args:
            city: The city.
        """
        seen["child body"] = current_run_id()
        return (await inner.run(city, ctx=ctx)).output

    @tool
    def note(text: str) -> str:
        """Take a note."""
        seen["outer tool"] = current_run_id()
        return "noted"

    outer = Agent(
        "outer",
        "",
        ScriptedModel(
            [
                ScriptedModel.tool_call("forecast", {"city": "Oslo"}),
                ScriptedModel.tool_call("note", {"text": "sunny"}),
                "done",
            ]
        ),
        [function_as_tool(forecast), note],
    )
    handle = await kit.start(agent_function(kit, outer), input="weather?")
    await drain(kit)
    assert (await handle.result()).output == "done"
    [child] = [r for r in kit.list_runs() if r.parent_run_id == handle.id]
    assert seen == {
        "child body": child.id,
        "inner tool": child.id,
        "outer tool": handle.id,
    }
