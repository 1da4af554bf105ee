"""The weather agent on SQLite, against a real llama.cpp server, for kill tests.

``python -m tests.integration.kill_app start`` queues a run and prints its id;
``resume RUN_ID`` prints ``ready``, drives the run to its end and prints
``{"output", "model_calls", "tool_calls"}`` as JSON.

Environment: ``KILL_DATABASE_URL``; ``KILL_MODEL_URL`` (the server, or a
proxy in front of it); ``KILL_LEDGER``, a file each ``get_weather`` body
appends ``tool PID`` to; ``KILL_BLOCK_TOOL=1`` makes the tool hang after its
ledger line, so the test can SIGKILL the process inside it.

The model is built as a user would for a self-hosted server: a base URL and no
API key.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time

from agentkit import Agent, AgentKit, agent_function, start_agent, tool
from agentkit.models import Message, OpenAIModel
from tests.integration.harness import SERVER_DEFAULTS, WEATHER_SYSTEM, weather_examples

QUESTION = "What is the weather in Paris?"


@tool
def get_weather(city: str) -> str:
    """Get the weather of a city."""
    fd = os.open(os.environ["KILL_LEDGER"], os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        os.write(fd, f"tool {os.getpid()}\n".encode())
    finally:
        os.close(fd)
    if os.environ.get("KILL_BLOCK_TOOL") == "1":
        time.sleep(3600)  # SIGKILLed in here
    return "rain"


model = OpenAIModel("gpt-4o-mini", base_url=f"{os.environ['KILL_MODEL_URL']}/v1", **SERVER_DEFAULTS)
kit = AgentKit(os.environ["KILL_DATABASE_URL"], lease_ttl=1.0)
agent = Agent(
    "weather",
    WEATHER_SYSTEM,
    model,
    [get_weather],
    tool_choice="required",
    temperature=0,
    max_tokens=48,
)
agent_function(kit, agent)


async def _main(argv: list[str]) -> None:
    if argv[0] == "start":
        handle = await start_agent(kit, agent, [*weather_examples(), Message.user(QUESTION)])
        print(handle.id)
        return
    print("ready", flush=True)
    result = await kit.drive(kit.get_run(argv[1]), poll_interval=0.05)
    summary = {
        "output": result.output,
        "model_calls": result.model_calls,
        "tool_calls": [call.arguments for call in result.tool_calls],
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    asyncio.run(_main(sys.argv[1:]))
