"""Three agent turns on one thread, for kill tests: ``python -m tests.memory.thread_kill_app``.

``start`` creates a thread, queues a run of ``chat`` on it and prints the run
id; ``resume RUN_ID`` prints ``ready``, drives the run to its end and prints
the thread's messages as JSON (roles and texts, in order). Every model request
appends ``infer <label> <pid>`` to the ledger file (``summary-<hash of its
transcript>`` for the summarizer), outside the journal. ``AGENT_SUMMARIZE=1``
gives the agent a `Summarize` processor with a small trigger.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import sys
import time

from agentkit import Agent, AgentKit, Context, tool
from agentkit.models import ModelRequest, ModelResponse, ScriptedModel

DELAY = float(os.environ.get("AGENT_DELAY", "0.02"))
QUESTIONS = ["What is a?", "What is b?", "What is c?"]


def ledger(kind: str, label: str) -> None:
    fd = os.open(os.environ["AGENT_LEDGER"], os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        os.write(fd, f"{kind} {label} {os.getpid()}\n".encode())
    finally:
        os.close(fd)


@tool
def lookup(key: str) -> str:
    """Look a key up."""
    time.sleep(DELAY)
    return f"{key} is a letter"


def respond(request: ModelRequest) -> ModelResponse:
    last = request.messages[-1]
    question = next(m.text for m in reversed(request.messages) if m.role == "user")
    key = question.split()[-1].rstrip("?")
    ledger("infer", f"{key}-{last.role}")
    time.sleep(DELAY)
    if last.role == "user":
        return ScriptedModel.tool_call("lookup", {"key": key}, id=f"call_{key}")
    return ScriptedModel.text(f"{key} is a letter, I looked it up.")


def summarize(request: ModelRequest) -> ModelResponse:
    transcript = request.messages[-1].text
    ledger("infer", "summary-" + hashlib.sha256(transcript.encode()).hexdigest()[:8])
    time.sleep(DELAY)
    return ScriptedModel.text(f"Summary of {len(request.messages)} messages.")


def history() -> list[object]:
    if os.environ.get("AGENT_SUMMARIZE") != "1":
        return []
    from agentkit.memory import Summarize

    return [Summarize(ScriptedModel(summarize), trigger_tokens=60, keep_last=3)]


kit = AgentKit(os.environ["AGENT_DATABASE_URL"], lease_ttl=0.3)
agent = Agent("helper", "Answer briefly.", ScriptedModel(respond), [lookup], history=history())


@kit.function(id="chat")
async def chat(ctx: Context, thread_id: str) -> int:
    for question in QUESTIONS:
        await agent.run(question, ctx=ctx, thread=thread_id)
    return len(QUESTIONS)


def thread_json(thread_id: str) -> str:
    messages = kit.threads.messages(thread_id)
    return json.dumps([[m.message.role, m.message.text] for m in messages])


async def _main(argv: list[str]) -> None:
    if argv[0] == "start":
        thread = kit.threads.create()
        handle = await kit.start(chat, thread_id=thread.id)
        print(handle.id, thread.id)
        return
    print("ready", flush=True)
    await kit.drive(kit.get_run(argv[1]), poll_interval=0.02)
    print(thread_json(argv[2]))


if __name__ == "__main__":
    asyncio.run(_main(sys.argv[1:]))
