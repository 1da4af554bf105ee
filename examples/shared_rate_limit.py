"""Two workers on one database share one provider budget with `SharedRateLimit`.

    python examples/shared_rate_limit.py

Each `AgentKit` here stands for a worker process (in production: the same
code in several processes on one SQLite file or PostgreSQL database). Their
limiters have the same name, so the store holds one window for both: 2
requests per (shortened) one-second window, whichever worker makes them. A 429
seen by one worker would pause the other too (``limit.penalize``).
"""

from __future__ import annotations

import asyncio
import tempfile
import time

from agentkit import AgentKit, Context, DurableFunction
from agentkit.models import Message, ModelRequest, ScriptedModel, SharedRateLimit

WINDOW = 1.0  # seconds; a real account's window is 60
REQUEST = ModelRequest(messages=[Message.user("Say ok.")])


def worker(url: str) -> tuple[AgentKit, DurableFunction[..., str]]:
    kit = AgentKit(url)
    limit = SharedRateLimit(kit.store, "openai-account", rpm=2, window=WINDOW)
    model = ScriptedModel(lambda _request: ScriptedModel.text("ok"), rate_limit=limit)

    @kit.function(id="ask")
    async def ask(ctx: Context) -> str:
        return (await ctx.step.infer("ask", model, REQUEST)).text

    return kit, ask


async def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/kit.db"
        workers = [worker(url), worker(url)]
        for number, (kit, ask) in enumerate(workers * 2, start=1):
            started = time.monotonic()
            await kit.run(ask)
            waited = time.monotonic() - started >= WINDOW / 2
            print(f"call {number} (worker {'ab'[(number - 1) % 2]}): ", end="")
            print("waited for the shared window" if waited else "granted at once")
        for kit, _ask in workers:
            kit.close()


if __name__ == "__main__":
    asyncio.run(main())
