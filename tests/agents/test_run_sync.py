"""``kit.run_agent_sync``: an agent run from a script, without an event loop."""

from __future__ import annotations

import asyncio

import pytest

from agentkit import Agent, AgentKit, UsageError
from agentkit.models import ScriptedModel
from agentkit.store import InMemoryStore


def test_run_agent_sync_runs_an_agent_without_an_event_loop() -> None:
    kit = AgentKit(store=InMemoryStore())
    agent = Agent("echo", "You echo.", ScriptedModel([ScriptedModel.text("hello")]))
    result = kit.run_agent_sync(agent, "say hello")
    assert result.output == "hello"


async def test_run_agent_sync_refuses_a_running_loop_and_says_what_to_await() -> None:
    kit = AgentKit(store=InMemoryStore())
    agent = Agent("echo", "You echo.", ScriptedModel([ScriptedModel.text("hello")]))
    with pytest.raises(UsageError) as agent_sync:
        kit.run_agent_sync(agent, "hi")
    assert str(agent_sync.value) == (
        "kit.run_agent_sync(...) cannot run inside a running event loop (Jupyter, async "
        "code): use `await kit.run_agent(...)` there instead"
    )
    assert kit.list_runs() == []
    assert asyncio.get_running_loop().is_running()
