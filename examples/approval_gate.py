"""A tool gated on a human's approval: the run waits on a token, holding no memory.

    python examples/approval_gate.py

Approve from anywhere: ``kit.complete_token(token, {"approved": true})`` here,
or ``agentkit tokens complete TOKEN --data '{"approved": true}'`` from a shell.
"""

from __future__ import annotations

import asyncio

from agentkit import Agent, AgentKit, ManualClock, start_agent, tool
from agentkit.models import ScriptedModel
from agentkit.store import InMemoryStore

kit = AgentKit(store=InMemoryStore(), clock=ManualClock())


@tool(needs_approval=True)
def refund(order_id: str, amount: int) -> str:
    """Refund an order."""
    return f"refunded {amount} on {order_id}"


model = ScriptedModel(
    [
        ScriptedModel.tool_call("refund", {"order_id": "A-17", "amount": 40}),
        "The refund of 40 on A-17 is done.",
    ]
)
support = Agent("support", "You help customers.", model, [refund])


async def main() -> str:
    handle = await start_agent(kit, support, "Please refund order A-17.")
    await kit.worker(stop_when_idle=True)  # runs until the approval wait
    [token] = handle.tokens()
    print(f"{handle.status()}: {token.description}")
    kit.complete_token(token.token, {"approved": True, "reason": "order was damaged"})
    await kit.worker(stop_when_idle=True)
    result = await handle.result()
    print(result.tool_results[0].content)
    print(result.output)
    return result.output


if __name__ == "__main__":
    asyncio.run(main())
