"""The agent loop: final answers, structured output, max_iter, hooks, usage and cost, replay."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from pydantic import BaseModel

from agentkit import (
    Agent,
    AgentHooks,
    AgentKit,
    AgentResult,
    Context,
    ManualClock,
    MaxIterationsExceeded,
    OutputValidationError,
    RunFailedError,
    agent_function,
    run_agent,
    start_agent,
    tool,
)
from agentkit.models import (
    Message,
    ModelResponse,
    RateLimited,
    RetryPolicy,
    ScriptedModel,
    Usage,
)
from agentkit.store import CompletionRecord
from tests.agents.conftest import drain

GPT4O_IN, GPT4O_OUT = 2.5e-06, 1e-05  # LiteLLM's price map for gpt-4o


class Report(BaseModel):
    title: str
    score: int


@tool
def search(query: str) -> list[str]:
    """Search."""
    return [f"{query}: result"]


def priced(text: str, tokens_in: int, tokens_out: int) -> ModelResponse:
    return ScriptedModel.text(
        text, usage=Usage(input_tokens=tokens_in, output_tokens=tokens_out), model="gpt-4o"
    )


def priced_call(name: str, args: dict[str, Any], tokens_in: int, tokens_out: int) -> ModelResponse:
    usage = Usage(input_tokens=tokens_in, output_tokens=tokens_out)
    return ScriptedModel.tool_call(name, args, usage=usage, model="gpt-4o")


async def test_final_text_answer_and_result_fields(kit: AgentKit) -> None:
    model = ScriptedModel(
        [priced_call("search", {"query": "ducks"}, 100, 10), priced("Ducks quack.", 200, 20)]
    )
    agent = Agent("researcher", "Be brief.", model, [search], temperature=0.2, max_tokens=50)
    result = await run_agent(kit, agent, "Tell me about ducks")
    assert isinstance(result, AgentResult)
    assert result.output == "Ducks quack."
    assert result.model_calls == 2
    assert [m.role for m in result.messages] == ["system", "user", "assistant", "tool", "assistant"]
    assert result.messages[0] == Message.system("Be brief.")
    assert [c.name for c in result.tool_calls] == ["search"]
    assert [r.content for r in result.tool_results] == ['["ducks: result"]']
    assert result.usage == Usage(input_tokens=300, output_tokens=30)
    assert result.cost_usd == pytest.approx(300 * GPT4O_IN + 30 * GPT4O_OUT, rel=1e-12)
    first = model.requests[0]
    assert (first.temperature, first.max_tokens, first.tool_choice) == (0.2, 50, None)
    assert [t.name for t in first.tools] == ["search"]
    assert first.output_schema is None


async def test_structured_output_invalid_then_valid(kit: AgentKit) -> None:
    model = ScriptedModel(['{"title": "Ducks", "score": "high"}', '{"title": "Ducks", "score": 9}'])
    agent = Agent("rater", "Rate it.", model, output_type=Report)
    result = await run_agent(kit, agent, "Rate ducks")
    assert result.output == Report(title="Ducks", score=9)
    assert isinstance(result.output, Report)  # typed after the run's JSON round-trip too
    first = model.requests[0]
    assert first.output_schema == {
        "type": "object",
        "properties": {"title": {"type": "string"}, "score": {"type": "integer"}},
        "required": ["title", "score"],
        "additionalProperties": False,
    }
    assert first.output_schema_name == "Report"
    assert model.requests[1].messages[-1] == Message.user(
        "Your reply does not match the required JSON schema: score: Input should be a valid "
        "integer, unable to parse string as an integer. Reply again with only the JSON, "
        "matching the schema."
    )
    assert result.model_calls == 2


async def test_non_object_output_types_are_wrapped_and_fences_are_allowed(kit: AgentKit) -> None:
    model = ScriptedModel(['```json\n{"result": ["a", "b"]}\n```'])
    agent: Agent[list[str]] = Agent("lister", "", model, output_type=list[str])
    result = await run_agent(kit, agent, "list")
    assert result.output == ["a", "b"]
    assert model.requests[0].output_schema == {
        "type": "object",
        "properties": {"result": {"type": "array", "items": {"type": "string"}}},
        "required": ["result"],
        "additionalProperties": False,
    }


async def test_structured_output_gives_up_after_output_retries(kit: AgentKit) -> None:
    model = ScriptedModel(["not json", "still not", "nope"])
    agent = Agent("rater", "", model, output_type=Report, output_retries=1)

    @kit.function(id="rate")
    async def rate(ctx: Context) -> str:
        try:
            await agent.run("rate", ctx=ctx)
        except OutputValidationError as error:
            return f"{error.text} | {error.problems}"
        return "unexpected"

    assert await kit.run(rate) == (
        "still not | reply: Invalid JSON: expected value at line 1 column 1"
    )
    assert len(model.requests) == 2


async def test_max_iter_raises_with_the_conversation_so_far(kit: AgentKit) -> None:
    model = ScriptedModel([priced_call("search", {"query": str(i)}, 10, 1) for i in range(5)])
    agent = Agent("looper", "", model, [search], max_iter=3)

    @kit.function(id="loop")
    async def loop(ctx: Context) -> dict[str, Any]:
        try:
            await agent.run("go", ctx=ctx)
        except MaxIterationsExceeded as error:
            return {
                "message": str(error),
                "messages": len(error.messages),
                "usage": error.usage.model_dump(),
                "cost": error.cost_usd,
            }
        return {}

    outcome = await kit.run(loop)
    assert outcome == {
        "message": "agent 'looper' made 3 model call(s) (max_iter) without a final answer",
        "messages": 7,  # user + 3 x (assistant, tool)
        "usage": {"input_tokens": 30, "output_tokens": 3, "cached_tokens": 0},
        "cost": pytest.approx(30 * GPT4O_IN + 3 * GPT4O_OUT, rel=1e-12),
    }
    assert len(model.requests) == 3
    once = ScriptedModel([priced_call("search", {"query": "x"}, 1, 1)])
    with pytest.raises(RunFailedError, match="MaxIterationsExceeded: agent 'looper2' made 1"):
        await run_agent(kit, Agent("looper2", "", once, [search], max_iter=1), "go")


async def test_tool_choice_applies_until_the_first_tool_call(kit: AgentKit) -> None:
    model = ScriptedModel([ScriptedModel.tool_call("search", {"query": "q"}), "done"])
    agent = Agent("chooser", "", model, [search], tool_choice="search")
    await run_agent(kit, agent, "go")
    assert [r.tool_choice for r in model.requests] == ["search", "auto"]


async def test_hooks_are_called_sync_and_async(kit: AgentKit) -> None:
    events: list[str] = []

    def on_start(ctx: Context, agent: Agent[Any], messages: list[Message]) -> None:
        events.append(f"start {agent.name} {[m.role for m in messages]}")

    async def on_response(ctx: Context, agent: Agent[Any], response: ModelResponse) -> None:
        events.append(f"response {response.finish_reason}")

    def on_finish(ctx: Context, agent: Agent[Any], result: AgentResult[Any]) -> None:
        events.append(f"finish {result.output}")

    hooks = AgentHooks(on_start=on_start, on_response=on_response, on_finish=on_finish)
    model = ScriptedModel([ScriptedModel.tool_call("search", {"query": "q"}), "done"])
    await run_agent(kit, Agent("hooked", "sys", model, [search], hooks=hooks), "go")
    assert events == [
        "start hooked ['system', 'user']",
        "response tool_calls",
        "response stop",
        "finish done",
    ]


async def test_usage_and_cost_come_from_stored_completions_and_survive_replay(
    kit: AgentKit, clock: ManualClock
) -> None:
    too_many = RateLimited("429", provider="scripted", model="gpt-4o", status_code=429)
    model = ScriptedModel(
        [
            too_many,
            priced_call("search", {"query": "q"}, 1000, 100),
            priced("done", 2000, 200),
        ],
        model="gpt-4o",
        retry=RetryPolicy(max_attempts=2, initial_backoff=0.5, jitter=0),
    )
    agent = Agent("acct", "", model, [search])
    seen: list[AgentResult[Any]] = []

    @kit.function(id="acct")
    async def acct(ctx: Context) -> AgentResult[str]:
        result = await agent.run("go", ctx=ctx)
        seen.append(result)
        await ctx.step.sleep("later", 5)
        return result

    handle = await kit.start(acct)
    await drain(kit)
    # A billed attempt that the journal does not reference (as if a provider had
    # charged for a failed call): it counts in the cost, not in the usage.
    kit.store.append_completion(
        CompletionRecord(
            id="cmp_billed_attempt",
            run_id=handle.id,
            step_key="acct/infer#1",
            fingerprint="x",
            attempt=9,
            model_index=0,
            provider="scripted",
            model="gpt-4o",
            created_at=clock.now(),
            error='{"type": "BillingTest"}',
            input_tokens=7,
            output_tokens=7,
            cost_usd=0.5,
        )
    )
    clock.advance(6)
    await drain(kit)
    final = await handle.result()
    assert len(model.requests) == 3  # the 429, then one success per step; none on replay
    assert sorted((c.step_key, c.attempt, c.succeeded) for c in kit.completions(handle.id)) == [
        ("acct/infer", 1, False),
        ("acct/infer", 2, True),
        ("acct/infer#1", 1, True),
        ("acct/infer#1", 9, False),
    ]
    expected_cost = 3000 * GPT4O_IN + 300 * GPT4O_OUT
    assert seen[0].usage == Usage(input_tokens=3000, output_tokens=300)
    assert seen[0].cost_usd == pytest.approx(expected_cost, rel=1e-12)
    assert seen[1].usage == seen[0].usage  # recomputed by the replay, from the store
    assert seen[1].cost_usd == pytest.approx(expected_cost + 0.5, rel=1e-12)
    assert final.usage == Usage(input_tokens=3000, output_tokens=300)
    assert final.model_calls == 2
    assert final.messages == seen[0].messages


async def test_unknown_prices_give_no_cost(kit: AgentKit) -> None:
    model = ScriptedModel([ScriptedModel.text("hi", usage=Usage(input_tokens=3, output_tokens=1))])
    result = await run_agent(kit, Agent("free", "", model), "hi")
    assert result.cost_usd is None
    assert result.usage == Usage(input_tokens=3, output_tokens=1)


async def test_replaying_a_finished_run_calls_no_model_and_no_tool(kit: AgentKit) -> None:
    executed: list[str] = []

    @tool
    def record(note: str) -> str:
        """Record a note."""
        executed.append(note)
        return "recorded"

    model = ScriptedModel(
        [
            priced_call("record", {"note": "a"}, 10, 1),
            ScriptedModel.tool_call("record", {"note": "b"}),
            priced("finished", 20, 2),
        ]
    )
    agent = Agent("scribe", "Take notes.", model, [record])
    original = await start_agent(kit, agent, "notes")
    await drain(kit)
    first = await original.result()
    requests = list(model.requests)

    # Copy the recording (journal and raw completions) into a fresh run, and run it.
    replay = await start_agent(kit, agent, "notes")
    ids: dict[str, str] = {}
    for completion in kit.completions(original.id):
        ids[completion.id] = f"{completion.id}_replayed"
        kit.store.append_completion(replace(completion, id=ids[completion.id], run_id=replay.id))
    for step in kit.journal(original.id):
        output = step.output
        if step.kind == "infer" and output:
            reference = json.loads(output)
            output = json.dumps({**reference, "completion_id": ids[reference["completion_id"]]})
        kit.store.append_step(replace(step, run_id=replay.id, output=output))
    await drain(kit)
    second = await replay.result()

    assert model.requests == requests  # not one new model request
    assert executed == ["a", "b"]  # and no tool ran again
    assert second == first
    assert second.usage == Usage(input_tokens=30, output_tokens=3)


async def test_agent_function_is_registered_once_for_workers(kit: AgentKit) -> None:
    agent = Agent("solo", "", ScriptedModel(["a"]))
    function = agent_function(kit, agent)
    assert function.id == "agent:solo"
    assert agent_function(kit, agent) is function
    assert kit.get_function("agent:solo") is function
