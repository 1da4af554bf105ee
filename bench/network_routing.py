"""Routing overhead of a network, per decision, next to one agent turn.

On SQLite (WAL) in a temporary folder, with `ScriptedModel` (no network), one
durable function each, doing N times:
  - one agent turn: ``agent.run`` whose model answers at once (one infer step);
  - one code-router decision: ``network.run`` whose code router says done at
    once (one ``{network}/route`` step, no agent);
  - one LLM-router decision: the same with a `RoutingAgent` whose model calls
    ``done`` (one infer step for the routing model, one ``route`` step).
Prints ms per agent turn and per decision, and each decision's ratio to a turn
(best of 3).

    python bench/network_routing.py
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

from agentkit import Agent, AgentKit, Context, Network, RoutingAgent
from agentkit.models import ScriptedModel

N = 100
REPEATS = 3


async def measure(folder: Path) -> list[float]:
    live = [float("inf")] * 3
    agent = Agent("echo", "Echo.", ScriptedModel(lambda request: ScriptedModel.text("ok")))
    coded = Network("coded", [agent], lambda r: None)
    done = ScriptedModel(lambda request: ScriptedModel.tool_call("done", {"summary": "ok"}))
    routed = Network("routed", [agent], RoutingAgent(done))

    async def turns(ctx: Context) -> int:
        for _ in range(N):
            await agent.run("hi", ctx=ctx)
        return N

    async def by_code(ctx: Context) -> int:
        for _ in range(N):
            await coded.run("hi", ctx=ctx)
        return N

    async def by_llm(ctx: Context) -> int:
        for _ in range(N):
            await routed.run("hi", ctx=ctx)
        return N

    for attempt in range(REPEATS):
        kit = AgentKit(f"sqlite:///{folder}/bench-{attempt}.db")
        for index, body in enumerate((turns, by_code, by_llm)):
            fn: Any = kit.function(id=f"bench-{index}-{attempt}")(body)
            start = time.perf_counter()
            handle = await kit.start(fn)
            await kit.drive(handle)
            live[index] = min(live[index], time.perf_counter() - start)
        kit.close()
    return live


async def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        live = await measure(Path(folder))
    turn, code, llm = (seconds / N * 1000 for seconds in live)
    print(f"one agent turn (1 infer step):          {turn:6.2f} ms")
    print(f"code router decision (1 route step):    {code:6.2f} ms  ({code / turn:.2f} x a turn)")
    print(f"LLM router decision (infer + route):    {llm:6.2f} ms  ({llm / turn:.2f} x a turn)")


if __name__ == "__main__":
    asyncio.run(main())
