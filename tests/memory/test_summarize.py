"""Summarize: compaction by a durable model call, kept on the thread and reused."""

from __future__ import annotations

import pytest

from agentkit import Agent, AgentKit, ConfigError, tool
from agentkit.memory import Summarize
from agentkit.models import Message, ModelRequest, ModelResponse, ScriptedModel

LONG = "word " * 40  # ~40 tokens


@tool
def lookup(key: str) -> str:
    """Look a key up."""
    return f"value of {key}"


def summarizer() -> ScriptedModel:
    def respond(request: ModelRequest) -> ModelResponse:
        lines = request.messages[-1].text.count("\n") + 1
        return ScriptedModel.text(f"summary of {lines} lines")

    return ScriptedModel(respond, model="gpt-4o-mini")


async def test_summary_replaces_older_turns_and_is_made_once_per_run(kit: AgentKit) -> None:
    small = summarizer()
    model = ScriptedModel(
        [ScriptedModel.tool_call("lookup", {"key": "k"}), ScriptedModel.text("done")],
        model="gpt-4o",
    )
    agent = Agent(
        "a", "S.", model, [lookup], history=[Summarize(small, trigger_tokens=60, keep_last=1)]
    )
    old = [Message.user(LONG), Message.assistant(LONG), Message.user("And now?")]
    result = await kit.run_agent(agent, old)
    assert len(small.requests) == 1  # the second model call reused the summary
    transcript = small.requests[0].messages[-1].text
    assert transcript == f"user: {LONG}\nassistant: {LONG}"
    summary = Message.system("Summary of the earlier conversation:\nsummary of 2 lines")
    assert model.requests[0].messages == [Message.system("S."), summary, Message.user("And now?")]
    assert model.requests[1].messages[:3] == [
        Message.system("S."),
        summary,
        Message.user("And now?"),
    ]
    assert [m.role for m in model.requests[1].messages[3:]] == ["assistant", "tool"]
    assert len(result.messages) == 7  # the run keeps every message
    run = kit.list_runs()[0]
    keys = [s.key for s in kit.journal(run.id)]
    assert keys == ["a/summarize", "a/infer", "a/tool/lookup", "a/infer#1"]


async def test_summary_is_kept_on_the_thread_and_reused(kit: AgentKit) -> None:
    small = summarizer()
    model = ScriptedModel(["one", "two", "three", "four"], model="gpt-4o")
    summarize = Summarize(small, trigger_tokens=55, keep_last=1)
    agent = Agent("a", "S.", model, history=[summarize])
    thread = kit.threads.create()
    await kit.run_agent(agent, LONG, thread=thread.id)  # 50 tokens: no summary
    assert small.requests == []
    await kit.run_agent(agent, "short", thread=thread.id)  # 60 tokens: summarized
    assert len(small.requests) == 1
    stored = kit.threads.get(thread.id)
    assert (stored.summary, stored.summary_through) == ("summary of 2 lines", 2)
    # The next run loads the summary with the thread and does not summarize again.
    await kit.run_agent(agent, "tiny", thread=thread.id)
    assert len(small.requests) == 1
    summary = Message.system("Summary of the earlier conversation:\nsummary of 2 lines")
    assert model.requests[2].messages == [
        Message.system("S."),
        summary,
        Message.user("short"),
        Message.assistant("two"),
        Message.user("tiny"),
    ]
    # The thread itself keeps every message.
    assert len(kit.threads.messages(thread.id)) == 6


def test_bad_settings_are_named() -> None:
    with pytest.raises(ConfigError, match="Summarize trigger_tokens must be an int >= 1"):
        Summarize(summarizer(), trigger_tokens=0)
    with pytest.raises(ConfigError, match="Summarize keep_last must be an int >= 1"):
        Summarize(summarizer(), trigger_tokens=10, keep_last=-2)
