"""An agent whose tool calls go to a real MCP server over stdio, for the kill test.

``python -m tests.tools.mcp_kill_app start`` queues a run and prints its id;
``resume RUN_ID`` prints ``ready``, drives the run to its end and prints the
final conversation as JSON. ``replay RUN_ID`` replays the finished run with
`agentkit.evals.replay` while the MCP server cannot start (its command names a
module that does not exist) and prints each step's status and the output as
JSON. The model (a `ScriptedModel`) appends ``infer TURN PID`` to
``$AGENT_LEDGER`` per call; the server appends
``record TURN SERVER_PID AGENT_PID`` per tool call (tests/tools/mcp_server.py).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys

from agentkit import Agent, AgentKit, agent_function, start_agent
from agentkit.models import ModelRequest, ModelResponse, ScriptedModel
from agentkit.tools import MCPToolset

TURNS = 4  # three MCP calls, then the answer
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def respond(request: ModelRequest) -> ModelResponse:
    turn = sum(1 for m in request.messages if m.role == "assistant")
    fd = os.open(os.environ["AGENT_LEDGER"], os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        os.write(fd, f"infer {turn} {os.getpid()}\n".encode())
    finally:
        os.close(fd)
    if turn < TURNS - 1:
        return ScriptedModel.tool_call(
            "record", {"turn": turn, "note": f"note {turn}"}, id=f"call_{turn}"
        )
    return ScriptedModel.text(f"recorded {turn} notes")


# In replay mode the server command points at nothing: a replay must not need it.
SERVER = "tests.tools.no_such_server" if sys.argv[1:2] == ["replay"] else "tests.tools.mcp_server"
server = MCPToolset(
    [sys.executable, "-m", SERVER, "stdio"],
    name="notes",
    env={"PYTHONPATH": REPO, "MCP_LEDGER": os.environ["AGENT_LEDGER"]},
    cwd=REPO,
)
kit = AgentKit(os.environ["AGENT_DATABASE_URL"], lease_ttl=0.3)
scribe = Agent("scribe", "You record notes.", ScriptedModel(respond), [server], max_iter=10)
agent_function(kit, scribe)


async def _main(argv: list[str]) -> None:
    if argv[0] == "start":
        handle = await start_agent(kit, scribe, "Record three notes.")
        print(handle.id)
        return
    if argv[0] == "replay":
        from agentkit.evals import replay

        report = await replay(kit, argv[1])
        steps = [[step.key, step.status] for step in report.steps]
        print(json.dumps({"status": report.status, "steps": steps, "output": report.output}))
        return
    print("ready", flush=True)
    result = await kit.drive(kit.get_run(argv[1]), poll_interval=0.02)
    print(json.dumps([m.model_dump(mode="json") for m in result.messages]))


if __name__ == "__main__":
    asyncio.run(_main(sys.argv[1:]))
