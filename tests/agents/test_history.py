"""History processors: what the model sees, not what the run keeps."""

from __future__ import annotations

import pytest

from agentkit import Agent, AgentKit, AgentTurn, ConfigError, run_agent, tool
from agentkit.models import Message, ScriptedModel


@tool
def lookup(key: str) -> str:
    """Look a key up."""
    return f"value of {key}"


def last_two(messages: list[Message]) -> list[Message]:
    """Keep the system prompt and the newest user message."""
    return [messages[0], messages[-1]]


async def test_processor_shapes_the_request_not_the_result(kit: AgentKit) -> None:
    model = ScriptedModel([ScriptedModel.text("ok")])
    agent = Agent("a", "System.", model, history=[last_two])
    conversation = [Message.user("one"), Message.assistant("two"), Message.user("three")]
    result = await run_agent(kit, agent, conversation)
    assert model.requests[0].messages == [Message.system("System."), Message.user("three")]
    assert [m.role for m in result.messages] == ["system", "user", "assistant", "user", "assistant"]


async def test_async_processor_with_turn_runs_in_order_before_every_call(kit: AgentKit) -> None:
    seen: list[tuple[str, int, int]] = []

    async def record(turn: AgentTurn, messages: list[Message]) -> list[Message]:
        seen.append((turn.agent.name, turn.call, len(messages)))
        return messages

    def tag(messages: list[Message]) -> list[Message]:
        return [messages[0], Message.user(messages[1].text + " (tagged)"), *messages[2:]]

    model = ScriptedModel(
        [ScriptedModel.tool_call("lookup", {"key": "k"}), ScriptedModel.text("done")]
    )
    agent = Agent("a", "System.", model, [lookup], history=[record, tag])
    await run_agent(kit, agent, "go")
    assert seen == [("a", 0, 2), ("a", 1, 4)]
    assert model.requests[0].messages[-1] == Message.user("go (tagged)")
    assert [m.role for m in model.requests[1].messages] == ["system", "user", "assistant", "tool"]
    assert model.requests[1].messages[1] == Message.user("go (tagged)")


async def test_processor_that_drops_a_tool_call_is_named(kit: AgentKit) -> None:
    def drop_assistant(messages: list[Message]) -> list[Message]:
        return [m for m in messages if m.role != "assistant"]

    model = ScriptedModel(
        [ScriptedModel.tool_call("lookup", {"key": "k"}), ScriptedModel.text("done")]
    )
    agent = Agent("a", "System.", model, [lookup], history=drop_assistant)
    with pytest.raises(Exception) as failed:
        await run_agent(kit, agent, "go")
    message = str(failed.value)
    assert "history processor" in message
    assert "drop_assistant" in message
    assert "without its call right before it" in message


def test_bad_history_argument_is_a_config_error() -> None:
    model = ScriptedModel([])
    with pytest.raises(ConfigError, match=r"history entries must be callables"):
        Agent("a", "s", model, history=[42])  # type: ignore[list-item]
    with pytest.raises(ConfigError, match=r"history 'last' is not one of 'full', 'own'"):
        Agent("a", "s", model, history=["last"])  # type: ignore[list-item]
    # The network scopes are accepted; outside a network they change nothing.
    assert Agent("a", "s", model, history=["own"]).history == ("own",)
    with pytest.raises(ConfigError, match=r"must take \(messages\) or \(turn, messages\)"):
        Agent("a", "s", model, history=[lambda a, b, c: a])  # type: ignore[list-item]
