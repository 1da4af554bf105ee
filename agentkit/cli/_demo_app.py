"""The durable functions of ``agentkit demo``.

Their steps print one machine-readable line each (``started N topic``) that
the demo's parent process shows and uses to pick its moment to SIGKILL.
"""

from __future__ import annotations

import os
import time

from pydantic import BaseModel

from agentkit.durable import AgentKit, Context

#: Seconds each simulated research step works; long enough to be killed mid-step.
STEP_SECONDS = float(os.environ.get("AGENTKIT_DEMO_STEP_SECONDS", "0.35"))
#: A killed worker's lease must expire before another process takes the run over.
LEASE_SECONDS = 2.0

TOPICS = [
    "durable execution",
    "event sourcing",
    "idempotency keys",
    "leases and heartbeats",
    "human-in-the-loop tokens",
    "deterministic replay",
]


class Approval(BaseModel):
    """What a reviewer sends to complete the demo's approval token."""

    approved: bool
    note: str = ""


def build_kit(database_url: str) -> AgentKit:
    """A kit with the demo's two functions registered on it."""
    kit = AgentKit(database_url, lease_ttl=LEASE_SECONDS)

    @kit.function(id="demo.research", retries=2)
    async def research(ctx: Context, topics: list[str]) -> list[str]:
        notes = []
        for index, topic in enumerate(topics, start=1):
            notes.append(await ctx.step.run("research", study, index, topic))
        return notes

    @kit.function(id="demo.publish")
    async def publish(ctx: Context, title: str) -> str:
        draft = await ctx.step.run("draft", write_draft, title)
        decision = await ctx.step.wait_for_token(
            "approve",
            timeout=3600,
            schema=Approval,
            description=f"Publish {title!r}? Reply with {{'approved': true|false, 'note': ...}}",
        )
        if not decision.approved:
            return f"not published: {decision.note or 'rejected'}"
        return await ctx.step.run("publish", lambda: f"published {draft!r} ({decision.note})")

    return kit


def study(index: int, topic: str) -> str:
    """One research step: slow on purpose, and counted in a ledger outside the journal."""
    print(f"started {index} {topic}", flush=True)
    ledger = os.environ.get("AGENTKIT_DEMO_LEDGER")
    if ledger:
        with open(ledger, "a", encoding="utf-8") as file:
            file.write(f"{index}\n")
    time.sleep(STEP_SECONDS)
    return f"notes on {topic}"


def write_draft(title: str) -> str:
    return f"{title}: a summary of six research notes"
