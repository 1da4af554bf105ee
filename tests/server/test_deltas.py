"""Model deltas reach the run's stream from branches of a gather too (not just the run's task)."""

from __future__ import annotations

import asyncio

from agentkit import Agent, AgentKit, Context
from agentkit.models import ScriptedModel
from agentkit.server import Feed
from agentkit.store import InMemoryStore
from tests.server.conftest import until_subscribed


async def test_deltas_of_gathered_agents_name_their_run() -> None:
    kit = AgentKit(store=InMemoryStore())
    left = Agent("left", "Say left.", ScriptedModel(["left answer"]), [])
    right = Agent("right", "Say right.", ScriptedModel(["right answer"]), [])

    @kit.function()
    async def both(ctx: Context) -> list[str]:
        answers = await asyncio.gather(left.run("go", ctx=ctx), right.run("go", ctx=ctx))
        return [answer.output for answer in answers]

    feed = Feed(kit, interval=0.01)
    handle = await kit.start(both)
    events = []

    async def watch() -> None:
        async for event in feed.run(handle.id):
            events.append(event)

    watcher = asyncio.create_task(watch())
    await until_subscribed(feed, handle.id)  # subscribed before the calls stream
    await feed.run_worker(stop_when_idle=True)
    await asyncio.wait_for(watcher, 10)
    deltas = [event.data for event in events if event.event == "delta"]
    text = {
        agent: "".join(
            d["text"] for d in deltas if d["agent"] == agent and d["type"] == "TextDelta"
        )
        for agent in ("left", "right")
    }
    assert text == {"left": "left answer", "right": "right answer"}
    assert {d["run_id"] for d in deltas} == {handle.id}
    assert await handle.result() == ["left answer", "right answer"]
