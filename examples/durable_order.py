"""A durable order workflow: memoized steps, a human approval token, a timer, an event.

    python examples/durable_order.py

Uses an in-memory store and a manual clock so that it finishes at once; with
``AgentKit()`` the same code runs on SQLite and survives restarts.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from pydantic import BaseModel

from agentkit import AgentKit, Context, ManualClock
from agentkit.store import InMemoryStore

clock = ManualClock()
kit = AgentKit(store=InMemoryStore(), clock=clock)


class Approval(BaseModel):
    approved: bool
    reviewer: str


def reserve_stock(item: str, quantity: int) -> str:
    return f"reservation-{item}-{quantity}"


@kit.function(id="order", retries=3)
async def order(ctx: Context, item: str, quantity: int) -> str:
    reservation = await ctx.step.run("reserve", reserve_stock, item, quantity)
    if quantity > 10:
        decision = await ctx.step.wait_for_token(
            "approve",
            timeout=timedelta(days=2),
            schema=Approval,
            description=f"approve {quantity} x {item}?",
        )
        if not decision.approved:
            return f"rejected by {decision.reviewer}"
    paid = await ctx.step.wait_for_event(
        "order.paid", match={"item": item}, timeout=timedelta(hours=1)
    )
    await ctx.step.sleep("cool-off", timedelta(minutes=10))
    return f"{reservation} paid {paid.data['amount'] if paid else '?'}"


async def main() -> str:
    handle = await kit.start(order, item="lamp", quantity=12)
    await kit.worker(stop_when_idle=True)  # runs until the approval wait
    [token] = handle.tokens()
    print(f"waiting for a human: {token.description}")
    kit.complete_token(token.token, {"approved": True, "reviewer": "ada"})
    await kit.worker(stop_when_idle=True)  # runs until the event wait
    await kit.send_event("order.paid", {"item": "lamp", "amount": 99})
    await kit.worker(stop_when_idle=True)  # runs until the timer
    clock.advance(600)
    await kit.worker(stop_when_idle=True)
    result = await handle.result()
    print(result)
    return result


if __name__ == "__main__":
    asyncio.run(main())
