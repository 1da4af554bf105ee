"""``ctx.step.infer``: model calls as durable steps with stored raw completions."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
import respx

from agentkit import AgentKit, Context, ManualClock, RunFailedError
from agentkit.models import (
    AuthenticationFailed,
    FallbackModel,
    Message,
    ModelRequest,
    ModelResponse,
    OpenAIModel,
    RateLimited,
    RetryPolicy,
    ScriptedModel,
    TextDelta,
    ToolSpec,
    Usage,
)
from agentkit.store import CompletionRecord, SQLStore
from tests.durable.conftest import drain
from tests.models.cassettes import load_cassette

SECRET = "sk-test-SECRET-do-not-store-4f1c"
TOOL_OUTPUT = "pydantic-ai/openai__test_openai_tool_output.yaml"
STREAM = "pydantic-ai/openai__test_run_stream_sync_streams_real_model.yaml"
COUNTRY = ToolSpec(
    name="get_user_country",
    description="",
    parameters={"additionalProperties": False, "properties": {}, "type": "object"},
)


def ask(text: str) -> ModelRequest:
    return ModelRequest(messages=[Message.user(text)])


async def test_three_infers_are_journaled_and_never_repaid(
    kit: AgentKit, clock: ManualClock
) -> None:
    model = ScriptedModel(
        [ScriptedModel.text(t, usage=Usage(input_tokens=10, output_tokens=2)) for t in "abc"]
    )

    @kit.function()
    async def chat(ctx: Context) -> str:
        out = ""
        for i in range(3):
            reply = await ctx.step.infer("think", model, ask(f"q{i}"))
            out += reply.text
            await ctx.step.sleep("pause", 1)
        return out

    handle = await kit.start(chat)
    for _ in range(4):
        await drain(kit)
        clock.advance(2)
    assert await handle.result() == "abc"
    assert [r.messages[0].text for r in model.requests] == ["q0", "q1", "q2"]
    assert handle.record().executions == 4  # three replays, no model call repaid
    journal = [s for s in kit.journal(handle.id) if s.kind == "infer"]
    assert [s.key for s in journal] == ["think", "think#1", "think#2"]
    completions = kit.completions(handle.id)
    assert [(c.step_key, c.attempt, c.input_tokens, c.output_tokens) for c in completions] == [
        ("think", 1, 10, 2),
        ("think#1", 1, 10, 2),
        ("think#2", 1, 10, 2),
    ]
    refs = [json.loads(s.output or "")["completion_id"] for s in journal]
    assert refs == [c.id for c in completions]


async def test_changed_prompt_is_a_divergence(kit: AgentKit, clock: ManualClock) -> None:
    prompt = {"text": "v1"}
    model = ScriptedModel(["one", "two"])

    @kit.function()
    async def chat(ctx: Context) -> str:
        reply = await ctx.step.infer("think", model, ask(prompt["text"]))
        await ctx.step.sleep("pause", 1)
        return reply.text

    handle = await kit.start(chat)
    await drain(kit)
    prompt["text"] = "v2"
    clock.advance(2)
    await drain(kit)
    with pytest.raises(RunFailedError) as info:
        await handle.result()
    assert len(model.requests) == 1
    # The fingerprints: the one journaled for v1, and the one a fresh run of v2 journals.
    journaled = {s.key: s for s in kit.journal(handle.id)}["think"].fingerprint
    fresh = await kit.start(chat)
    await drain(kit)
    changed = {s.key: s for s in kit.journal(fresh.id)}["think"].fingerprint
    assert journaled != changed
    assert str(info.value) == (
        f"run {handle.id!r} failed: NonDeterminismError: run {handle.id!r} is not "
        f"deterministic: the journal has step 'think' (infer) with input fingerprint "
        f"{journaled}, but the code asked for the same step with input fingerprint {changed} "
        "(its arguments changed)"
    )


async def test_failover_stores_every_attempt_and_replay_never_redecides(
    kit: AgentKit, clock: ManualClock
) -> None:
    limited = RateLimited("slow down", provider="scripted", model="primary", status_code=429)
    primary = ScriptedModel(
        [limited, limited],
        model="primary",
        retry=RetryPolicy(max_attempts=2, initial_backoff=0.5, jitter=0),
    )
    backup = ScriptedModel(["from backup"], model="backup")

    @kit.function()
    async def chat(ctx: Context) -> str:
        reply = await ctx.step.infer("think", FallbackModel(primary, backup), ask("hi"))
        await ctx.step.sleep("pause", 1)
        return reply.text

    handle = await kit.start(chat)
    await drain(kit)
    clock.advance(2)
    await drain(kit)
    assert await handle.result() == "from backup"
    attempts = kit.completions(handle.id)
    assert [(c.model, c.model_index, c.succeeded) for c in attempts] == [
        ("primary", 0, False),
        ("primary", 0, False),
        ("backup", 1, True),
    ]
    assert json.loads(attempts[0].error or "")["type"] == "RateLimited"
    [step, _] = kit.journal(handle.id)
    assert json.loads(step.output or "")["model"] == "backup"
    assert (len(primary.requests), len(backup.requests)) == (2, 1)


async def test_exhausted_model_fails_the_step_identically(kit: AgentKit) -> None:
    denied = AuthenticationFailed("bad key", provider="scripted", model="m", status_code=401)
    model = ScriptedModel([denied], model="m")

    @kit.function()
    async def chat(ctx: Context) -> str:
        await ctx.step.infer("think", model, ask("hi"))
        return "unreachable"

    with pytest.raises(
        RunFailedError,
        match="step 'think' failed after 1 attempt\\(s\\): AuthenticationFailed: bad key",
    ):
        await kit.run(chat)
    [completion] = kit.completions(kit.list_runs()[0].id)
    assert json.loads(completion.error or "")["status_code"] == 401


async def test_stream_callback_gets_deltas_live_only(kit: AgentKit, clock: ManualClock) -> None:
    model = ScriptedModel(["hello world"])
    seen: list[str] = []

    @kit.function()
    async def chat(ctx: Context) -> str:
        reply = await ctx.step.infer(
            "think",
            model,
            ask("hi"),
            stream=lambda e: seen.append(e.text) if isinstance(e, TextDelta) else None,
        )
        await ctx.step.sleep("pause", 1)
        return reply.text

    handle = await kit.start(chat)
    await drain(kit)
    clock.advance(2)
    await drain(kit)
    assert await handle.result() == "hello world"
    assert "".join(seen) == "hello world"
    [completion] = kit.completions(handle.id)
    assert json.loads(completion.response or "")["message"]["parts"][0]["text"] == "hello world"


async def test_streamed_openai_call_stores_raw_events_and_replays_them(
    tmp_path: Path,
) -> None:
    clock = ManualClock()
    kit = AgentKit(f"sqlite:///{tmp_path}/s.db", clock=clock)
    recorded = load_cassette(STREAM)[1]
    deltas: list[str] = []
    with respx.mock(base_url="https://api.openai.com/v1") as router:
        route = router.post("/chat/completions").mock(
            return_value=httpx.Response(
                200, content=recorded.body, headers={"content-type": "text/event-stream"}
            )
        )
        model = OpenAIModel("gpt-4o", api_key=SECRET)

        @kit.function()
        async def chat(ctx: Context) -> str:
            reply = await ctx.step.infer(
                "ask",
                model,
                ask("stream please"),
                stream=lambda e: deltas.append(e.text) if isinstance(e, TextDelta) else None,
            )
            await ctx.step.sleep("pause", 1)
            return reply.text

        handle = await kit.start(chat)
        await drain(kit)
        clock.advance(2)
        await drain(kit)
        text = await handle.result()
        assert route.call_count == 1
    assert text == "".join(deltas) != ""
    [completion] = kit.completions(handle.id)
    assert json.loads(completion.stream_events or "[]") == recorded.sse_data()
    kit.close()


async def test_completion_stored_before_a_crash_is_not_paid_again(
    kit: AgentKit, clock: ManualClock
) -> None:
    """A process died after the model answered and before the step was journaled."""
    model = ScriptedModel(["fresh call"])
    request = ask("hi")

    @kit.function()
    async def chat(ctx: Context) -> str:
        return (await ctx.step.infer("think", model, request)).text

    # The request's fingerprint, as a run that makes the same call records it.
    probe_model = ScriptedModel(["probe"])

    @kit.function()
    async def probe(ctx: Context) -> str:
        return (await ctx.step.infer("think", probe_model, request)).text

    probed = await kit.start(probe)
    await drain(kit)
    [probe_completion] = kit.completions(probed.id)

    handle = await kit.start(chat)
    # The worker that died had claimed the run (a run's first execution never
    # looks for completions: none can exist yet); its lease has since expired.
    now = clock.now()
    assert kit.store.claim_run(handle.id, "dead-worker", now, now + 1) is not None
    clock.advance(2)
    paid = ScriptedModel.text("answer already paid for")
    kit.store.append_completion(
        CompletionRecord(
            id="cmp_paid_before_the_crash",
            run_id=handle.id,
            step_key="think",
            fingerprint=probe_completion.fingerprint,
            attempt=1,
            model_index=0,
            provider="scripted",
            model="scripted",
            created_at=0.0,
            request="{}",
            response=paid.model_dump_json(),
        )
    )
    await drain(kit)
    assert await handle.result() == "answer already paid for"
    assert model.requests == []


def _database_bytes(folder: Path, name: str) -> bytes:
    """The database file with its WAL and shared-memory files, as bytes."""
    return b"".join(p.read_bytes() for p in sorted(folder.iterdir()) if p.name.startswith(name))


def _openai(router: respx.MockRouter) -> tuple[OpenAIModel, respx.Route]:
    recorded = load_cassette(TOOL_OUTPUT)
    route = router.post("/chat/completions").mock(
        return_value=httpx.Response(
            200, json=recorded[0].json(), headers={"x-request-id": "req_123"}
        )
    )
    return OpenAIModel("gpt-4o", api_key=SECRET), route


async def test_replay_reparses_stored_openai_completions_without_http(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "infer.db"
    clock = ManualClock()
    kit = AgentKit(f"sqlite:///{db}", clock=clock)
    request = ModelRequest(
        messages=[Message.user("What is the largest city in the user country?")],
        tools=[COUNTRY],
        tool_choice="required",
    )
    with respx.mock(base_url="https://api.openai.com/v1") as router:
        model, route = _openai(router)
        seen: list[ModelResponse] = []

        @kit.function()
        async def three(ctx: Context) -> list[str]:
            names = []
            for _ in range(3):
                reply = await ctx.step.infer("ask", model, request)
                seen.append(reply)
                names.append(reply.tool_calls[0].name)
            await ctx.step.sleep("pause", 1)
            return names

        handle = await kit.start(three)
        await drain(kit)
        assert route.call_count == 3
        assert [r.tool_calls[0].id for r in seen] == ["call_iXFttys57ap0o16JSlC8yhYo"] * 3

        # A "parser fix" ships: replay must apply it to the stored raw completions.
        import agentkit.models._openai_wire as wire

        original = wire.parse_openai_exchange

        def fixed(raw):  # type: ignore[no-untyped-def]
            response = original(raw)
            call = response.tool_calls[0]
            return response.model_copy(
                update={
                    "message": Message(
                        role="assistant",
                        parts=[call.model_copy(update={"name": call.name.upper()})],
                    )
                }
            )

        monkeypatch.setattr(wire, "parse_openai_exchange", fixed)
        clock.advance(2)
        await drain(kit)
        assert await handle.result() == ["GET_USER_COUNTRY"] * 3
        assert route.call_count == 3  # zero HTTP calls on replay
    kit.close()

    # Secrets never reach the database.
    raw = _database_bytes(tmp_path, "infer.db")
    assert SECRET.encode() not in raw
    assert b"Bearer" not in raw and b"authorization" not in raw.lower()
    store = SQLStore(f"sqlite:///{db}")
    completions = store.list_completions(handle.id)
    store.close()
    assert len(completions) == 3
    assert json.loads(completions[0].headers or "{}") == {"x-request-id": "req_123"}
    assert completions[0].cost_usd is not None and completions[0].cost_usd > 0
