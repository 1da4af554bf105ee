"""Threads: the kit API and agent runs that load and append them."""

from __future__ import annotations

import pytest

from agentkit import Agent, AgentKit, ConfigError, Context, RunFailedError, tool
from agentkit.errors import ThreadNotFound
from agentkit.memory import SQLMemoryStore, Thread
from agentkit.models import HashEmbedder, Message, OpenAIModel, ScriptedModel


@tool
def lookup(key: str) -> str:
    """Look a key up."""
    return f"value of {key}"


def roles_and_texts(kit: AgentKit, thread_id: str) -> list[tuple[str, str]]:
    return [(m.message.role, m.message.text) for m in kit.threads.messages(thread_id)]


async def test_thread_over_three_runs(any_kit: AgentKit) -> None:
    kit = any_kit
    thread = kit.threads.create(metadata={"user": "ada"})
    model = ScriptedModel(
        [
            ScriptedModel.text("Hi Ada."),
            ScriptedModel.tool_call("lookup", {"key": "k"}),
            ScriptedModel.text("It is value of k."),
            ScriptedModel.text("You asked about k."),
        ]
    )
    agent = Agent("a", "System.", model, [lookup])
    await kit.run_agent(agent, "I am Ada.", thread=thread.id)
    await kit.run_agent(agent, "What is k?", thread=thread.id)
    result = await kit.run_agent(agent, "What did I ask?", thread=thread.id)
    # The third model call saw the whole thread after the system prompt.
    assert [m.role for m in model.requests[3].messages] == [
        "system",
        "user",
        "assistant",
        "user",
        "assistant",
        "tool",
        "assistant",
        "user",
    ]
    assert result.messages == [*model.requests[3].messages, Message.assistant("You asked about k.")]
    assert roles_and_texts(kit, thread.id) == [
        ("user", "I am Ada."),
        ("assistant", "Hi Ada."),
        ("user", "What is k?"),
        ("assistant", ""),
        ("tool", ""),
        ("assistant", "It is value of k."),
        ("user", "What did I ask?"),
        ("assistant", "You asked about k."),
    ]
    got = kit.threads.get(thread.id)
    assert (got.message_count, got.metadata) == (8, {"user": "ada"})


async def test_run_inside_a_function_and_replay_appends_once(kit: AgentKit) -> None:
    thread = kit.threads.create()
    model = ScriptedModel([ScriptedModel.text("one"), ScriptedModel.text("two")])
    agent = Agent("a", "S.", model)

    @kit.function()
    async def chat(ctx: Context, text: str, thread_id: str) -> str:
        first = await agent.run(text, ctx=ctx, thread=thread_id)
        second = await agent.run("again", ctx=ctx, thread=thread_id)
        return f"{first.output}/{second.output}"

    assert await kit.run(chat, text="hello", thread_id=thread.id) == "one/two"
    assert roles_and_texts(kit, thread.id) == [
        ("user", "hello"),
        ("assistant", "one"),
        ("user", "again"),
        ("assistant", "two"),
    ]
    steps = [s.key for s in kit.journal(kit.list_runs()[0].id)]
    assert steps == [
        "a/thread/load",
        "a/infer",
        "a/thread/save",
        "a/thread/load#1",
        "a/infer#1",
        "a/thread/save#1",
    ]


async def test_api_list_page_fork_delete(kit: AgentKit) -> None:
    older = kit.threads.create(thread_id="older")
    thread = kit.threads.create()
    written = kit.threads.append(thread.id, [Message.user(str(i)) for i in range(5)])
    assert [t.id for t in kit.threads.list()] == [thread.id, older.id]
    page = kit.threads.messages(thread.id, limit=2, before=written[3].id)
    assert [m.message.text for m in page] == ["1", "2"]
    assert [m.seq for m in page] == [1, 2]
    fork = kit.threads.fork(thread.id, at_message=written[1].id, metadata={"branch": 1})
    assert isinstance(fork, Thread)
    assert (fork.forked_from, fork.forked_at, fork.metadata) == (
        thread.id,
        written[1].id,
        {"branch": 1},
    )
    assert [m.message.text for m in kit.threads.messages(fork.id)] == ["0", "1"]
    assert kit.threads.delete(thread.id) is True
    with pytest.raises(ThreadNotFound, match=repr(thread.id)):
        kit.threads.get(thread.id)
    assert [m.message.text for m in kit.threads.messages(fork.id)] == ["0", "1"]


async def test_bad_input_is_named(kit: AgentKit) -> None:
    thread = kit.threads.create()
    with pytest.raises(ConfigError, match="JSON-serializable"):
        kit.threads.create(metadata={"x": object()})
    with pytest.raises(ConfigError, match="non-empty string"):
        kit.threads.get("")
    with pytest.raises(ThreadNotFound, match="has no message with id 'nope'"):
        kit.threads.fork(thread.id, at_message="nope")
    agent = Agent("a", "S.", ScriptedModel([ScriptedModel.text("x")]))
    with pytest.raises(RunFailedError, match="no thread with id 'missing'"):
        await kit.run_agent(agent, "hi", thread="missing")


async def test_failed_turn_appends_nothing(kit: AgentKit) -> None:
    thread = kit.threads.create()
    agent = Agent(
        "a",
        "S.",
        ScriptedModel([ScriptedModel.tool_call("lookup", {"key": "k"})] * 3),
        [lookup],
        max_iter=2,
    )
    with pytest.raises(RunFailedError):
        await kit.run_agent(agent, "hi", thread=thread.id)
    assert kit.threads.messages(thread.id) == []


async def test_secrets_never_reach_thread_or_memory_rows(any_kit: AgentKit) -> None:
    key = "sk-test-thread-SECRET-0123456789abcdef"
    OpenAIModel("gpt-4o", api_key=key)  # a model registers its key as a secret to scrub
    thread = any_kit.threads.create(metadata={"note": f"key {key}"})
    any_kit.threads.append(thread.id, [Message.user(f"my key is {key}")])
    memories = SQLMemoryStore(any_kit.store, HashEmbedder())
    await memories.put("u", "k", f"the key is {key}", {"key": key})
    stored = [m.message.text for m in any_kit.threads.messages(thread.id)]
    assert stored == ["my key is [REDACTED]"]
    assert any_kit.threads.get(thread.id).metadata == {"note": "key [REDACTED]"}
    memory = await memories.get("u", "k")
    assert memory is not None
    assert (memory.text, memory.metadata) == ("the key is [REDACTED]", {"key": "[REDACTED]"})
