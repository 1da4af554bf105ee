"""Several worker processes sharing one database; a token answered from outside wakes them.

    AGENTKIT_DATABASE_URL=postgresql+psycopg://user:pass@host/db python examples/many_workers.py

Starts two worker processes (this file, ``worker`` mode: ``kit.worker()``),
queues 40 runs that each take a step and wait for a reviewer's token, then
answers every token from this process, as a web handler would. On PostgreSQL
each answer reaches a worker at once through ``LISTEN/NOTIFY``; on SQLite (the
default, a temporary file) the workers find them at their next poll. Either way
every run completes exactly once, whichever worker held it.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile

from agentkit import AgentKit, Context

RUNS = 40
WORKERS = 2


def make_kit(url: str) -> AgentKit:
    kit = AgentKit(url)

    def draft(topic: str) -> str:
        return f"a note on {topic}"

    @kit.function(id="reviewed_note")
    async def reviewed_note(ctx: Context, topic: str) -> str:
        note = await ctx.step.run("draft", draft, topic)
        verdict = await ctx.step.wait_for_token("review", description=f"review: {note}")
        return f"{note}: {verdict}"

    return kit


async def run_all(url: str) -> list[str]:
    kit = make_kit(url)
    env = {**os.environ, "AGENTKIT_DATABASE_URL": url}
    workers = [
        await asyncio.create_subprocess_exec(sys.executable, __file__, "worker", env=env)
        for _ in range(WORKERS)
    ]
    try:
        fn = kit.functions["reviewed_note"]
        handles = await kit.start_many(fn, [{"topic": f"topic {i}"} for i in range(RUNS)])
        for handle in handles:
            while not handle.tokens():  # noqa: ASYNC110 - a worker process parks it
                await asyncio.sleep(0.02)
            kit.complete_token(handle.tokens()[0].token, "approved")
        outputs = [await handle.result(timeout=60, poll_interval=0.02) for handle in handles]
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            await worker.wait()
        kit.close()
    print(f"{len(outputs)} runs completed by {WORKERS} worker processes")
    print(f"first: {outputs[0]}")
    return outputs


async def main(url: str | None = None) -> list[str]:
    url = url or os.environ.get("AGENTKIT_DATABASE_URL")
    if url:
        return await run_all(url)
    with tempfile.TemporaryDirectory() as folder:
        return await run_all(f"sqlite:///{folder}/runs.db")


if __name__ == "__main__":
    if sys.argv[1:] == ["worker"]:
        asyncio.run(make_kit(os.environ["AGENTKIT_DATABASE_URL"]).worker())
    else:
        asyncio.run(main())
