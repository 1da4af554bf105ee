"""Thousands of agent runs in one process: `kit.start_many`, then one worker.

    python examples/many_runs.py

Queues 2,000 runs in one transaction and executes them concurrently on a
SQLite file: each makes two model calls (a scripted model with 50 ms of
simulated latency), and the worker runs them all at once, so the whole batch
takes about as long as one run's calls plus the store's work.
"""

from __future__ import annotations

import asyncio
import tempfile
from typing import Any

from agentkit import AgentKit, Context
from agentkit.models import Message, ModelRequest, RawExchange, ScriptedModel

RUNS = 2_000


class SlowScripted(ScriptedModel):
    """A scripted model that answers after a provider's latency."""

    async def call(self, request: ModelRequest, *, on_event: Any = None) -> RawExchange:
        await asyncio.sleep(0.05)  # the runs wait on their models together
        return await super().call(request, on_event=on_event)


async def main() -> list[str]:
    with tempfile.TemporaryDirectory() as folder:
        kit = AgentKit(f"sqlite:///{folder}/runs.db")
        model = SlowScripted(lambda request: ScriptedModel.text(f"{len(request.messages)} seen"))

        @kit.function(id="two_calls")
        async def two_calls(ctx: Context, question: str) -> str:
            messages = [Message.user(question)]
            first = await ctx.step.infer("draft", model, ModelRequest(messages=messages))
            messages += [first.message, Message.user("shorter, please")]
            second = await ctx.step.infer("revise", model, ModelRequest(messages=messages))
            return second.text

        handles = await kit.start_many(two_calls, [{"question": f"q{i}"} for i in range(RUNS)])
        await kit.worker(stop_when_idle=True)  # default concurrency: 1000 runs at once
        outputs = [await handle.result() for handle in handles]
        completed = sum(1 for run in kit.list_runs(status="completed", limit=RUNS))
        print(f"{completed} runs completed, each made {len(kit.journal(handles[0].id))} steps")
        print(f"first answer: {outputs[0]}")
        kit.close()
        return outputs


if __name__ == "__main__":
    asyncio.run(main())
