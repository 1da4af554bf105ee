"""Toolsets in an Agent: fixed ones expanded, listed ones fetched per run, names unique."""

from __future__ import annotations

import sys

import pytest

from agentkit import Agent, AgentKit, ConfigError, Context, RunFailedError, run_agent, tool
from agentkit.agents import Tool
from agentkit.models import ScriptedModel
from agentkit.tools import Toolset
from tests.killing import REPO, run_process


@tool
def ping(host: str) -> str:
    """Ping a host."""
    return f"pong from {host}"


@tool
def echo(text: str) -> str:
    """Echo a text."""
    return text


class Listed(Toolset):
    """A toolset listed per run (as an MCP server's is), counting its listings."""

    per_run = True

    def __init__(self, tools: list[Tool]) -> None:
        super().__init__((), name="listed")
        self.listed = tools
        self.listings = 0

    async def list_tools(self, ctx: Context, agent_name: str) -> list[Tool]:
        self.listings += 1
        return self.listed


def test_a_fixed_toolset_is_expanded_into_the_agent_tools() -> None:
    agent = Agent("a", "", ScriptedModel(["ok"]), [Toolset([ping], name="net"), echo])
    assert sorted(agent.bound_tools) == ["echo", "ping"]
    with pytest.raises(ConfigError, match="agent 'a' has two tools named 'ping'"):
        Agent("a", "", ScriptedModel(["ok"]), [Toolset([ping]), ping])
    with pytest.raises(ConfigError, match="has no tool named 'nope'"):
        Toolset([ping]).get("nope")


def test_a_toolset_gates_every_tool_without_changing_the_originals() -> None:
    gated = Toolset([ping, echo], needs_approval=True)
    assert [t.needs_approval for t in gated] == [True, True]
    assert ping.needs_approval is False


async def test_a_listed_toolset_is_listed_at_each_run_and_its_tools_called(
    kit: AgentKit,
) -> None:
    listed = Listed([ping])
    model = ScriptedModel([ScriptedModel.tool_call("ping", {"host": "a"}), "done", "again"])
    agent = Agent("net", "", model, [listed, echo])
    assert sorted(agent.bound_tools) == ["echo"]  # the listed tools arrive per run
    result = await run_agent(kit, agent, "ping a")
    assert [r.content for r in result.tool_results] == ["pong from a"]
    assert [t.name for t in model.requests[0].tools] == ["echo", "ping"]
    await run_agent(kit, agent, "again")
    assert listed.listings == 2


async def test_a_listed_tool_that_clashes_with_a_fixed_one_fails_the_run(kit: AgentKit) -> None:
    agent = Agent("net", "", ScriptedModel(["x"]), [Listed([echo]), echo])
    with pytest.raises(RunFailedError, match="ConfigError: agent 'net' has two tools named 'echo'"):
        await run_agent(kit, agent, "go")


def test_import_agentkit_tools_loads_no_optional_sdk() -> None:
    code = (
        "import sys, agentkit.tools\n"
        "print(sorted(m for m in ('mcp', 'httpx', 'trafilatura', 'lxml', 'openai', 'sqlalchemy')"
        " if m in sys.modules))"
    )
    done = run_process([sys.executable, "-c", code], cwd=REPO, env={"PYTHONPATH": str(REPO)})
    assert (done.returncode, done.stdout) == (0, "[]\n")
