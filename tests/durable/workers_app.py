"""A small agent for many-worker kill tests: ``python -m tests.durable.workers_app``.

``start N [FIRST]`` queues N runs of ``agent`` (inputs FIRST..FIRST+N-1) and
exits; ``worker`` prints ``ready`` and executes runs until killed.

Each run plans (a step), asks a fake model (``ctx.step.infer`` on a
`ScriptedModel`), acts on the reply and delivers (steps). Every step body and
every model call appends ``kind run_id pid flag`` to the ledger file
(``WORKERS_LEDGER``), outside the journal, before it works. ``flag`` is
``rerun`` when the body finds its own step already completed in the journal (a
completed step executed again, which must never happen), else ``-``.
"""

from __future__ import annotations

import asyncio
import os
import sys

from agentkit import AgentKit, Context
from agentkit.models import Message, ModelRequest, ModelResponse, ScriptedModel

kit = AgentKit(
    os.environ["WORKERS_DATABASE_URL"],
    lease_ttl=float(os.environ.get("WORKERS_LEASE_TTL", "1.0")),
)
DELAY = float(os.environ.get("WORKERS_STEP_SECONDS", "0.005"))


def ledger(kind: str, run_id: str) -> None:
    completed = any(
        step.key == kind and step.status == "completed" for step in kit.store.load_journal(run_id)
    )
    line = f"{kind} {run_id} {os.getpid()} {'rerun' if completed else '-'}\n"
    fd = os.open(os.environ["WORKERS_LEDGER"], os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


def respond(request: ModelRequest) -> ModelResponse:
    run_id, plan = request.messages[-1].text.split()
    ledger("think", run_id)
    return ScriptedModel.text(f"do {plan}")


MODEL = ScriptedModel(respond)


async def plan(run_id: str, index: int) -> int:
    ledger("plan", run_id)
    await asyncio.sleep(DELAY)
    return index * 2


async def act(run_id: str, text: str) -> str:
    ledger("act", run_id)
    await asyncio.sleep(DELAY)
    return text.upper()


async def deliver(run_id: str, result: str) -> str:
    ledger("deliver", run_id)
    await asyncio.sleep(DELAY)
    return result


@kit.function(id="agent")
async def agent(ctx: Context, index: int) -> str:
    planned: int = await ctx.step.run("plan", plan, ctx.run_id, index)
    request = ModelRequest(messages=[Message.user(f"{ctx.run_id} {planned}")])
    reply = await ctx.step.infer("think", MODEL, request)
    result: str = await ctx.step.run("act", act, ctx.run_id, reply.text)
    return await ctx.step.run("deliver", deliver, ctx.run_id, result)


async def _main(argv: list[str]) -> None:
    if argv[0] == "start":
        first = int(argv[2]) if len(argv) > 2 else 0
        await kit.start_many(agent, [{"index": i} for i in range(first, first + int(argv[1]))])
        return
    print("ready", flush=True)
    await kit.worker(
        concurrency=int(os.environ.get("WORKERS_CONCURRENCY", "100")),
        poll_interval=float(os.environ.get("WORKERS_POLL", "0.1")),
    )


if __name__ == "__main__":
    asyncio.run(_main(sys.argv[1:]))
