"""A six-turn tool-using agent for kill tests: ``python -m tests.agents.kill_app``.

``start`` queues a run and prints its id; ``resume RUN_ID`` prints ``ready``,
drives the run to its end and prints the final conversation as JSON.
``AGENT_FAKE=scripted`` answers with a `ScriptedModel`; ``AGENT_FAKE=openai``
with `OpenAIModel` whose HTTP is faked by respx, replying with a recorded real
gpt-4o payload (from tests/fixtures) whose tool call or text is set per turn.
Every provider request and every tool body appends ``kind turn pid`` to the
ledger file, outside the journal.
"""

from __future__ import annotations

import asyncio
import copy
import json
import os
import sys
import time
from typing import Any

from agentkit import Agent, AgentKit, agent_function, start_agent, tool
from agentkit.models import Model, ModelRequest, ModelResponse, ScriptedModel

TURNS = 6  # five tool calls, then the answer
DELAY = float(os.environ.get("AGENT_DELAY", "0.02"))


def ledger(kind: str, turn: int) -> None:
    fd = os.open(os.environ["AGENT_LEDGER"], os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        os.write(fd, f"{kind} {turn} {os.getpid()}\n".encode())
    finally:
        os.close(fd)


def turn_of(messages: list[Any]) -> int:
    return sum(1 for m in messages if m.get("role") == "assistant")


@tool
def search(query: str) -> str:
    """Search the archive for a query."""
    turn = int(query.rsplit(" ", 1)[1])
    ledger("tool", turn)
    time.sleep(DELAY)
    return f"3 documents about {query}"


def scripted_model() -> Model:
    def respond(request: ModelRequest) -> ModelResponse:
        turn = sum(1 for m in request.messages if m.role == "assistant")
        ledger("infer", turn)
        time.sleep(DELAY)
        if turn < TURNS - 1:
            return ScriptedModel.tool_call("search", {"query": f"topic {turn}"}, id=f"call_{turn}")
        return ScriptedModel.text(f"summary of {turn} searches")

    return ScriptedModel(respond)


def openai_model() -> Model:
    import httpx
    import respx

    from agentkit.models import OpenAIModel
    from tests.models.cassettes import load_cassette

    template = load_cassette("pydantic-ai/openai__test_openai_tool_output.yaml")[0].json()

    def reply(request: httpx.Request) -> httpx.Response:
        turn = turn_of(json.loads(request.content)["messages"])
        ledger("infer", turn)
        time.sleep(DELAY)
        body = copy.deepcopy(template)
        body["id"] = f"chatcmpl-turn{turn}"
        message = body["choices"][0]["message"]
        if turn < TURNS - 1:
            message["tool_calls"] = [
                {
                    "id": f"call_{turn}",
                    "type": "function",
                    "function": {
                        "name": "search",
                        "arguments": json.dumps({"query": f"topic {turn}"}),
                    },
                }
            ]
        else:
            message["tool_calls"] = None
            message["content"] = f"summary of {turn} searches"
            body["choices"][0]["finish_reason"] = "stop"
        return httpx.Response(200, json=body)

    router = respx.mock(base_url="https://api.openai.com/v1", assert_all_called=False)
    router.start()
    router.post("/chat/completions").mock(side_effect=reply)
    return OpenAIModel("gpt-4o", api_key="sk-test-not-a-real-key")


model = openai_model() if os.environ.get("AGENT_FAKE") == "openai" else scripted_model()
kit = AgentKit(os.environ["AGENT_DATABASE_URL"], lease_ttl=0.3)
researcher = Agent("researcher", "You research by searching.", model, [search], max_iter=10)
agent_function(kit, researcher)


async def _main(argv: list[str]) -> None:
    if argv[0] == "start":
        handle = await start_agent(kit, researcher, "Research durable agents.")
        print(handle.id)
        return
    print("ready", flush=True)
    result = await kit.drive(kit.get_run(argv[1]), poll_interval=0.02)
    print(json.dumps([m.model_dump(mode="json") for m in result.messages]))


if __name__ == "__main__":
    asyncio.run(_main(sys.argv[1:]))
