"""MCP toolsets against a real MCP server (the SDK's server API) over stdio and streamable HTTP."""

from __future__ import annotations

import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agentkit import Agent, AgentKit, ConfigError, Context, ManualClock, run_agent, start_agent
from agentkit.models import ScriptedModel
from agentkit.tools import MCPToolset
from tests.killing import REPO, deadline, spawn
from tests.tools.conftest import drain

SERVER = [sys.executable, "-m", "tests.tools.mcp_server"]
ENV = {"PYTHONPATH": str(REPO)}


def stdio_server(**options: Any) -> MCPToolset:
    return MCPToolset([*SERVER, "stdio"], env=ENV, cwd=REPO, **options)


async def test_an_agent_lists_and_calls_mcp_tools_each_as_a_step(kit: AgentKit) -> None:
    model = ScriptedModel([ScriptedModel.tool_call("add", {"a": 2, "b": 3}), "2 + 3 = 5"])
    agent = Agent("calc", "You add.", model, [stdio_server()])
    result = await run_agent(kit, agent, "2 + 3?")

    assert result.output == "2 + 3 = 5"
    assert [(r.name, r.content, r.is_error) for r in result.tool_results] == [("add", "5", False)]
    # The model saw the server's tools, schemas as the server listed them.
    [tools] = [request.tools for request in model.requests[:1]]
    assert [t.name for t in tools] == ["add", "record", "delete_everything", "divide"]
    assert tools[0].parameters == {
        "type": "object",
        "properties": {
            "a": {"title": "A", "type": "integer"},
            "b": {"title": "B", "type": "integer"},
        },
        "required": ["a", "b"],
        "title": "addArguments",
    }
    [run] = kit.list_runs()
    assert [(s.key, s.kind) for s in kit.journal(run.id)] == [
        ("calc/mcp/mcp/list", "run"),
        ("calc/infer", "infer"),
        ("calc/tool/add", "run"),
        ("calc/infer#1", "infer"),
    ]


async def test_a_server_error_result_goes_back_to_the_model(kit: AgentKit) -> None:
    model = ScriptedModel(
        [ScriptedModel.tool_call("divide", {"a": 1, "b": 0}), "cannot divide by zero"]
    )
    result = await run_agent(kit, Agent("calc", "", model, [stdio_server()]), "1/0?")
    assert [(r.content, r.is_error) for r in result.tool_results] == [
        ("Error: divide failed: MCPToolError: Error executing tool divide: division by zero", True)
    ]


async def test_tools_the_server_marks_destructive_need_approval(kit: AgentKit) -> None:
    model = ScriptedModel(
        [ScriptedModel.tool_call("delete_everything", {"confirm": "yes"}), "done"]
    )
    handle = await start_agent(kit, Agent("admin", "", model, [stdio_server()]), "wipe")
    await drain(kit)
    assert handle.status() == "waiting"
    [token] = handle.tokens()
    assert token.step_key == "admin/approve/delete_everything"
    kit.complete_token(token.token, {"approved": False, "reason": "no"})
    await drain(kit)
    result = await handle.result()
    assert [(r.content, r.is_error) for r in result.tool_results] == [
        ("rejected by a human: no", True)
    ]


async def test_prefix_and_whole_server_approval_settings() -> None:
    from agentkit import AgentKit
    from agentkit.store import InMemoryStore

    kit = AgentKit(store=InMemoryStore(), clock=ManualClock())
    seen: list[dict[str, Any]] = []

    toolset = stdio_server(prefix="calc_", approve_destructive=False)

    @kit.function(id="list")
    async def list_them(ctx: Context) -> None:
        for each in await toolset.list_tools(ctx, "a"):
            seen.append({"name": each.name, "gated": each.needs_approval})

    await kit.run(list_them)
    kit.close()
    assert seen == [
        {"name": "calc_add", "gated": False},
        {"name": "calc_record", "gated": False},
        {"name": "calc_delete_everything", "gated": False},
        {"name": "calc_divide", "gated": False},
    ]
    with pytest.raises(ConfigError, match="exactly one of command"):
        MCPToolset()
    with pytest.raises(ConfigError, match="non-empty argv list"):
        MCPToolset("python server.py")


async def test_a_replay_sees_the_same_tools_and_results_with_the_server_stopped(
    kit: AgentKit,
) -> None:
    clock = kit.clock
    assert isinstance(clock, ManualClock)
    toolset = stdio_server()
    model = ScriptedModel([ScriptedModel.tool_call("add", {"a": 40, "b": 2}), "42"])
    agent = Agent("calc", "", model, [toolset])
    outputs: list[tuple[str, list[str]]] = []

    @kit.function(id="calc_then_wait")
    async def calc_then_wait(ctx: Context) -> str:
        result = await agent.run("40 + 2?", ctx=ctx)
        outputs.append((result.output, [r.content for r in result.tool_results]))
        await ctx.step.sleep("later", 60)
        return result.output

    handle = await kit.start(calc_then_wait)
    await drain(kit)
    assert handle.status() == "waiting"
    # The server is gone: its command no longer exists. The resumed execution
    # replays the list step and the call from the journal.
    toolset.connection.command = ["/nonexistent/mcp-server"]
    clock.advance(61)
    await drain(kit)
    assert await handle.result() == "42"
    assert outputs == [("42", ["42"]), ("42", ["42"])]
    assert len(model.requests) == 2  # no model call was made again


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def http_server() -> Iterator[str]:
    port = _free_port()
    with spawn(
        [*SERVER, "http", str(port)],
        cwd=REPO,
        env={**ENV, "PATH": "/usr/bin:/bin"},
        stdout=None,
        stderr=None,
    ):
        stop = time.monotonic() + deadline(30)
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > stop:
                    raise
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/mcp"


async def test_streamable_http_on_loopback(kit: AgentKit, http_server: str) -> None:
    model = ScriptedModel(
        [
            ScriptedModel.tool_call("add", {"a": 20, "b": 22}),
            ScriptedModel.tool_call("record", {"turn": 1, "note": "over http"}),
            "done",
        ]
    )
    agent = Agent("web", "", model, [MCPToolset(url=http_server, name="notes")])
    result = await run_agent(kit, agent, "go")
    assert [r.content for r in result.tool_results] == [
        "42",
        "recorded 'over http' for turn 1",
    ]
    [run] = kit.list_runs()
    assert [s.key for s in kit.journal(run.id)][:1] == ["web/mcp/notes/list"]


async def test_connected_shares_one_server_process_across_steps(
    kit: AgentKit, tmp_path: Path
) -> None:
    ledger = tmp_path / "ledger"
    toolset = MCPToolset(
        [*SERVER, "stdio"], env={**ENV, "MCP_LEDGER": str(ledger)}, cwd=REPO, name="notes"
    )
    model = ScriptedModel(
        [
            ScriptedModel.tool_call("record", {"turn": 0, "note": "a"}),
            ScriptedModel.tool_call("record", {"turn": 1, "note": "b"}),
            "done",
        ]
    )
    agent = Agent("scribe", "", model, [toolset])
    async with toolset.connected():
        with pytest.raises(ConfigError, match="is already connected"):
            async with toolset.connected():
                pass
        result = await run_agent(kit, agent, "two notes")
    assert [r.content for r in result.tool_results] == [
        "recorded 'a' for turn 0",
        "recorded 'b' for turn 1",
    ]
    server_pids = {line.split()[2] for line in ledger.read_text().splitlines()}
    assert len(server_pids) == 1  # one server process for both calls
    assert toolset.connection.shared is None
