"""An agent whose only tool needs approval, for crash tests.

``python -m tests.agents.approval_crash_app start`` prints a run id;
``... work RUN_ID`` prints ``ready``, runs the run until it waits or ends, and
prints ``status <status>``. The gated tool appends ``transfer <pid>`` to the
ledger file when its body runs.
"""

from __future__ import annotations

import asyncio
import os
import sys

from agentkit import Agent, AgentKit, Worker, agent_function, start_agent, tool
from agentkit.models import ModelRequest, ModelResponse, ScriptedModel


@tool(needs_approval=True)
def transfer(amount: int) -> str:
    """Move money (a human approves first)."""
    with open(os.environ["AGENT_LEDGER"], "a", encoding="utf-8") as ledger:
        ledger.write(f"transfer {os.getpid()}\n")
    return f"moved {amount}"


def respond(request: ModelRequest) -> ModelResponse:
    if any(m.role == "assistant" for m in request.messages):
        return ScriptedModel.text("done")
    return ScriptedModel.tool_call("transfer", {"amount": 100}, id="call_0")


kit = AgentKit(os.environ["AGENT_DATABASE_URL"], lease_ttl=0.3)
banker = Agent("banker", "You move money when asked.", ScriptedModel(respond), [transfer])
agent_function(kit, banker)


async def _main(argv: list[str]) -> None:
    if argv[0] == "start":
        print((await start_agent(kit, banker, "Pay the invoice.")).id)
        return
    handle = kit.get_run(argv[1])
    print("ready", flush=True)
    resting = ("waiting", "completed", "failed", "cancelled")
    await Worker(kit, poll_interval=0.02, root_run_id=handle.id).run(
        until=lambda: handle.status() in resting
    )
    print(f"status {handle.status()}", flush=True)


if __name__ == "__main__":
    asyncio.run(_main(sys.argv[1:]))
