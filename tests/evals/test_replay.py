"""Replay: the current code against a recording, offline; every step same/changed/new/missing."""

from __future__ import annotations

from typing import Any

import pytest

from agentkit import (
    Agent,
    AgentKit,
    Context,
    FunctionNotFound,
    RunFailedError,
    RunNotFound,
    agent_function,
    tool,
)
from agentkit.evals import ReplayReport, load_recording, replay
from agentkit.models import Model, ModelRequest, RawExchange, ScriptedModel, register_parser
from agentkit.store import InMemoryStore


@tool
def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


@tool
def double(x: int) -> int:
    """Double a number."""
    return 2 * x


def script() -> ScriptedModel:
    return ScriptedModel([ScriptedModel.tool_call("add", {"a": 1, "b": 2}), "It is 3."])


async def recorded(tools: list[Any] | None = None) -> tuple[AgentKit, str, ScriptedModel]:
    """A finished agent run: one tool call, then a final answer."""
    kit = AgentKit(store=InMemoryStore())
    model = script()
    agent = Agent("calc", "You add.", model, tools or [add])
    function = agent_function(kit, agent)
    result = await kit.run(function, input="1+2?")
    assert result.output == "It is 3."
    return kit, kit.list_runs()[0].id, model


def current(kit: AgentKit, agent: Agent[Any]) -> AgentKit:
    """A kit on the same store whose code is ``agent`` (today's code)."""
    today = AgentKit(store=kit.store)
    agent_function(today, agent)
    return today


def statuses(report: ReplayReport) -> list[tuple[str, str]]:
    return [(step.key, step.status) for step in report.steps]


async def test_unchanged_code_replays_every_step_as_the_same_with_no_model_call() -> None:
    kit, run_id, model = await recorded()
    calls = len(model.requests)
    report = await replay(kit, run_id)
    assert statuses(report) == [
        ("calc/infer", "same"),
        ("calc/tool/add", "same"),
        ("calc/infer#1", "same"),
    ]
    assert report.status == "completed"
    assert not report.diverged
    assert report.output == report.recorded_output
    assert report.output["output"] == "It is 3."
    assert len(model.requests) == calls


async def test_a_replay_never_writes_to_the_original_run() -> None:
    kit, run_id, _ = await recorded()
    before = load_recording(kit.store, run_id)
    never_called = ScriptedModel([])
    changed = Agent("calc", "You add, carefully.", never_called, [add, double])
    await replay(current(kit, changed), run_id)
    after = load_recording(kit.store, run_id)
    assert after == before
    assert [r.id for r in kit.store.list_runs()] == [run_id]
    assert never_called.requests == []


async def test_a_changed_system_prompt_is_reported_at_each_model_call_with_a_diff() -> None:
    kit, run_id, _ = await recorded()
    today = current(kit, Agent("calc", "You add numbers.", ScriptedModel([]), [add]))
    report = await replay(today, run_id)
    assert statuses(report) == [
        ("calc/infer", "changed"),
        ("calc/tool/add", "same"),
        ("calc/infer#1", "changed"),
    ]
    first = report.steps[0]
    assert [c.render() for c in first.changes] == [
        'messages[0].parts[0].text: "You add." -> "You add numbers."'
    ]
    assert report.status == "completed"  # served from the recording anyway
    assert "changed  calc/infer [infer]" in report.render()


async def test_a_changed_tool_schema_is_reported_with_the_tool_and_field_that_changed() -> None:
    kit, run_id, _ = await recorded()

    @tool(name="add")
    def add_described(a: int, b: int) -> int:
        """Add two integers."""
        return a + b

    report = await replay(
        current(kit, Agent("calc", "You add.", ScriptedModel([]), [add_described])), run_id
    )
    assert report.steps[0].status == "changed"
    assert [(c.path, c.op, c.before, c.after) for c in report.steps[0].changes] == [
        ("tools[add].description", "changed", "Add two numbers.", "Add two integers.")
    ]


async def test_a_removed_tool_shows_as_removed_and_its_recorded_call_as_missing() -> None:
    kit, run_id, _ = await recorded(tools=[add, double])
    report = await replay(current(kit, Agent("calc", "You add.", ScriptedModel([]), [add])), run_id)
    first = report.steps[0]
    assert first.key == "calc/infer"
    assert first.status == "changed"
    assert [(c.path, c.op) for c in first.changes] == [("tools[double]", "removed")]
    assert statuses(report)[1:] == [("calc/tool/add", "same"), ("calc/infer#1", "changed")]


async def test_a_tool_the_code_no_longer_has_leaves_its_recorded_step_missing() -> None:
    kit, run_id, _ = await recorded()
    report = await replay(current(kit, Agent("calc", "You add.", ScriptedModel([]), [])), run_id)
    assert statuses(report) == [
        ("calc/infer", "changed"),
        ("calc/infer#1", "changed"),
        ("calc/tool/add", "missing"),
    ]
    assert report.count("missing") == 1


async def test_a_new_step_stops_a_hermetic_replay_there() -> None:
    kit = AgentKit(store=InMemoryStore())

    @kit.function(id="pipeline")
    async def old(ctx: Context) -> int:
        return await ctx.step.run("one", lambda: 1)

    run = await kit.start(old)
    await kit.drive(run)

    today = AgentKit(store=kit.store)

    @today.function(id="pipeline")
    async def new(ctx: Context) -> int:
        one = await ctx.step.run("one", lambda: 1)
        return one + await ctx.step.run("two", lambda: 2)

    report = await replay(today, run.id)
    assert statuses(report) == [("one", "same"), ("two", "new")]
    assert report.status == "stopped"
    assert report.error is not None and report.error["type"] == "ReplayDiverged"
    assert report.live_steps == 0


async def test_live_from_divergence_calls_the_model_and_sandbox_tools_after_the_first_change() -> (
    None
):
    kit, run_id, _ = await recorded()
    live = ScriptedModel([ScriptedModel.tool_call("double", {"x": 3}), "It is 6."])
    sandbox_calls: list[int] = []

    def fake_double(x: int) -> int:
        sandbox_calls.append(x)
        return 2 * x

    today = current(kit, Agent("calc", "You add, then double.", ScriptedModel([]), [add, double]))
    report = await replay(today, run_id, live_from_divergence=live, tools={"double": fake_double})
    assert statuses(report) == [
        ("calc/infer", "changed"),
        ("calc/tool/double", "new"),
        ("calc/infer#1", "changed"),
        ("calc/tool/add", "missing"),
    ]
    assert [step.live for step in report.steps] == [True, True, True, False]
    assert len(live.requests) == 2
    assert sandbox_calls == [3]
    assert report.output["output"] == "It is 6."
    assert kit.store.load_journal(run_id)[0].key == "calc/infer"  # original untouched
    assert len(kit.store.load_journal(run_id)) == 3


class EchoModel(Model):
    """A provider whose replies come in chunks (parsed by tests/evals/parsers.py)."""

    provider = "fixture-echo"

    def __init__(self) -> None:
        super().__init__("echo")
        self.calls = 0

    async def call(self, request: ModelRequest, *, on_event: Any = None) -> RawExchange:
        self.calls += 1
        return RawExchange(
            provider=self.provider,
            model=self.model_name,
            request_body=request.model_dump(mode="json"),
            response_body={"chunks": ["Hello", ", world"]},
            status_code=200,
        )


async def test_a_parser_fix_applies_on_replay_with_no_model_call() -> None:
    register_parser("fixture-echo", "tests.evals.parsers", "parse_v1")
    kit = AgentKit(store=InMemoryStore())
    model = EchoModel()
    result = await kit.run(agent_function(kit, Agent("echo", "Echo.", model)), input="hi")
    assert result.output == "Hello"
    run_id = kit.list_runs()[0].id
    register_parser("fixture-echo", "tests.evals.parsers", "parse_v2")
    try:
        report = await replay(kit, run_id)
    finally:
        register_parser("fixture-echo", "tests.evals.parsers", "parse_v1")
    assert model.calls == 1
    assert statuses(report) == [("echo/infer", "same")]
    assert report.output["output"] == "Hello, world"
    assert report.recorded_output["output"] == "Hello"
    assert report.output_changed


async def test_replay_names_what_it_cannot_find() -> None:
    kit, run_id, _ = await recorded()
    with pytest.raises(RunNotFound):
        await replay(kit, "run_missing")
    with pytest.raises(FunctionNotFound, match="agent:calc"):
        await replay(AgentKit(store=kit.store), run_id)


async def test_the_json_report_counts_and_lists_steps() -> None:
    kit, run_id, _ = await recorded()
    data = (await replay(kit, run_id)).to_json()
    assert data["counts"] == {"same": 3, "changed": 0, "new": 0, "missing": 0}
    assert data["status"] == "completed"
    assert data["diverged"] is False
    assert [s["key"] for s in data["steps"]] == ["calc/infer", "calc/tool/add", "calc/infer#1"]


async def test_a_failed_run_replays_its_failure_as_the_same() -> None:
    kit = AgentKit(store=InMemoryStore())

    def boom() -> int:
        raise ValueError("no stock")

    @kit.function(id="order", retries=0)
    async def order(ctx: Context) -> int:
        await ctx.step.run("reserve", lambda: 1)
        return await ctx.step.run("pay", boom)

    handle = await kit.start(order)
    with pytest.raises(RunFailedError):
        await kit.drive(handle)
    report = await replay(kit, handle.id)
    assert statuses(report) == [("reserve", "same"), ("pay", "same")]
    assert (report.status, report.recorded_status) == ("failed", "failed")
    assert report.error is not None and report.error["type"] == "StepFailed"
    assert not report.diverged


async def test_a_run_waiting_for_a_token_replays_up_to_its_wait() -> None:
    kit = AgentKit(store=InMemoryStore())

    @kit.function(id="review")
    async def review(ctx: Context) -> str:
        draft = await ctx.step.run("draft", lambda: "text")
        await ctx.step.wait_for_token("approve")
        return draft

    handle = await kit.start(review)
    await kit.worker(stop_when_idle=True, poll_interval=0.01)
    assert handle.status() == "waiting"
    report = await replay(kit, handle.id)
    assert statuses(report) == [("draft", "same"), ("approve", "same")]
    assert report.status == "waiting"
    assert handle.status() == "waiting"  # the original still waits for its token
