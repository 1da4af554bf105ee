"""A three-agent network with an LLM router, for kill tests.

``python -m tests.agents.network.kill_network_app zygote`` loads everything,
then forks a child per command (see `zygote`): ``start`` queues a run,
``resume`` drives it to its end and writes the final state, routing decisions
and conversation as JSON. ``NET_FAKE=scripted`` answers every model call (the
routing agent's and the agents') with one `ScriptedModel`; ``NET_FAKE=openai``
with `OpenAIModel` whose HTTP is faked by respx, replying with a recorded real
gpt-4o payload (from tests/fixtures) whose tool calls or text are set per call.
Every provider request and every tool body appends ``kind label pid`` to the
ledger file, outside the journal.
"""

from __future__ import annotations

import asyncio
import copy
import json
import os
import re
import sys
import time
from typing import Any

from pydantic import BaseModel

from agentkit import (
    Agent,
    AgentKit,
    Context,
    Network,
    NetworkResult,
    RouterInput,
    network_function,
    start_network,
    tool,
)
from agentkit.models import Model, ModelRequest, ModelResponse, ScriptedModel, ToolCallPart

DELAY = float(os.environ.get("NET_DELAY", "0.02"))


def ledger(kind: str, label: str) -> None:
    fd = os.open(os.environ["NET_LEDGER"], os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        os.write(fd, f"{kind} {label} {os.getpid()}\n".encode())
    finally:
        os.close(fd)


class Research(BaseModel):
    topics: list[str] = []
    facts: list[str] = []
    draft: str = ""


@tool
def plan(topics: list[str], research: Research) -> str:
    """Set the topics to research."""
    ledger("tool", f"plan:{len(research.topics)}")
    time.sleep(DELAY)
    research.topics = topics
    return f"{len(topics)} topics"


@tool
def search(query: str, research: Research) -> str:
    """Search for a query and keep the fact found."""
    ledger("tool", f"search:{query.replace(' ', '_')}")
    time.sleep(DELAY)
    research.facts.append(f"fact about {query}")
    return f"found a fact about {query}"


@tool
def write(text: str, research: Research) -> str:
    """Write the draft."""
    ledger("tool", f"write:{len(research.facts)}")
    time.sleep(DELAY)
    research.draft = text
    return "draft saved"


# What each role answers, as (tool calls, text), by how many answers it gave before.
Reply = tuple[list[tuple[str, dict[str, Any]]], str]
SCRIPTS: dict[str, list[Reply]] = {
    "planner": [([("plan", {"topics": ["durability", "replay"]})], ""), ([], "planned")],
    "searcher": [
        ([("search", {"query": "durability"}), ("search", {"query": "replay"})], ""),
        ([("search", {"query": "kill tests"})], ""),
        ([], "searched"),
    ],
    "writer": [([("write", {"text": "Durable networks replay exactly."})], ""), ([], "written")],
}
ROUTE = ["planner", "searcher", "writer"]


def answer(system: str, messages: list[tuple[str, str]]) -> tuple[str, Reply]:
    """(ledger label, reply) for a request: its system prompt and (role, text) messages."""
    if system.startswith("You route work"):
        transcript = messages[1][1]
        ran = len(re.findall(r"^\d+\. ", transcript, re.MULTILINE))
        if ran < len(ROUTE):
            return f"router:{ran}", ([("select_agent", {"name": ROUTE[ran], "reason": "next"})], "")
        return f"router:{ran}", ([("done", {"summary": "published"})], "")
    role = system.split(".")[0].split()[-1]
    turn = sum(1 for r, _ in messages if r == "assistant")
    return f"{role}:{turn}", SCRIPTS[role][turn]


def scripted_model() -> Model:
    def respond(request: ModelRequest) -> ModelResponse:
        label, (tool_calls, text) = answer(
            request.messages[0].text, [(m.role, m.text) for m in request.messages]
        )
        ledger("infer", label)
        time.sleep(DELAY)
        if not tool_calls:
            return ScriptedModel.text(text)
        parts = [
            ToolCallPart.from_arguments(f"call_{label}_{i}".replace(":", "_"), name, args)
            for i, (name, args) in enumerate(tool_calls)
        ]
        response = ScriptedModel.tool_call("x", {})
        return response.model_copy(
            update={"message": response.message.model_copy(update={"parts": parts})}
        )

    return ScriptedModel(respond)


def openai_model() -> Model:
    import httpx
    import respx

    from agentkit.models import OpenAIModel
    from tests.models.cassettes import load_cassette

    template = load_cassette("pydantic-ai/openai__test_openai_tool_output.yaml")[0].json()

    def reply(request: httpx.Request) -> httpx.Response:
        sent = json.loads(request.content)["messages"]
        label, (tool_calls, text) = answer(
            sent[0]["content"], [(m["role"], m.get("content") or "") for m in sent]
        )
        ledger("infer", label)
        time.sleep(DELAY)
        body = copy.deepcopy(template)
        body["id"] = f"chatcmpl-{label}"
        message = body["choices"][0]["message"]
        if tool_calls:
            message["content"] = None
            message["tool_calls"] = [
                {
                    "id": f"call_{label}_{i}".replace(":", "_"),
                    "type": "function",
                    "function": {"name": name, "arguments": json.dumps(args)},
                }
                for i, (name, args) in enumerate(tool_calls)
            ]
            body["choices"][0]["finish_reason"] = "tool_calls"
        else:
            message["tool_calls"] = None
            message["content"] = text
            body["choices"][0]["finish_reason"] = "stop"
        return httpx.Response(200, json=body)

    router = respx.mock(base_url="https://api.openai.com/v1", assert_all_called=False)
    router.start()
    router.post("/chat/completions").mock(side_effect=reply)
    return OpenAIModel("gpt-4o", api_key="sk-test-not-a-real-key")


model = openai_model() if os.environ.get("NET_FAKE") == "openai" else scripted_model()
planner = Agent("planner", "You are the planner.", model, [plan], state_type=Research)
searcher = Agent(
    "searcher",
    lambda r: f"You are the searcher. Topics: {', '.join(r.topics)}.",
    model,
    [search],
    state_type=Research,
    history="own",
)
writer = Agent(
    "writer",
    lambda r: f"You are the writer. Facts: {'; '.join(r.facts)}.",
    model,
    [write],
    state_type=Research,
    history="own",
)
network = Network("research", [planner, searcher, writer], state=Research(), default_model=model)


def code_router(r: RouterInput) -> Agent[str] | None:
    ledger("route", f"code:{r.call_count}")
    time.sleep(DELAY)
    return [planner, searcher, writer][r.call_count] if r.call_count < 3 else None


coded = Network("coded", [planner, searcher, writer], code_router, state=Research())


def step_body(name: str) -> str:
    ledger("step", name)
    time.sleep(DELAY)
    return name


def summary(result: NetworkResult[Any]) -> dict[str, Any]:
    assert isinstance(result.state, BaseModel)
    return {
        "state": result.state.model_dump(mode="json"),
        "decisions": [d.model_dump(mode="json") for d in result.decisions],
        "messages": [m.model_dump(mode="json") for m in result.messages],
        "model_calls": result.model_calls,
    }


async def beside(ctx: Context, topic: str) -> dict[str, Any]:
    """A network between two other steps (the scenario of inngest/agent-kit#196)."""
    await ctx.step.run("before", step_body, "before")
    result = await coded.run(topic, ctx=ctx)
    await ctx.step.run("after", step_body, "after")
    return summary(result)


def make_kit() -> AgentKit:
    kit = AgentKit(os.environ["NET_DATABASE_URL"], lease_ttl=0.3)
    network_function(kit, network)
    kit.function(id="beside")(beside)
    return kit


async def resume(run_id: str) -> str:
    kit = make_kit()
    result = await kit.drive(kit.get_run(run_id), poll_interval=0.02)
    return json.dumps(result if isinstance(result, dict) else summary(result))


def zygote() -> None:
    """Fork a child per command on stdin; print its pid, and its exit code on ``wait PID``.

    ``start DB LEDGER OUT`` queues a run (its id goes to OUT); ``resume DB LEDGER
    OUT RUN_ID`` drives it to its end (the JSON result goes to OUT). Imports
    (the agent layer, the OpenAI SDK, respx) are paid once, here, so a kill
    campaign spends its time in the work and not in interpreter start-up. Each
    child opens its own store after the fork.
    """
    _warm_up()
    print("ready", flush=True)
    for line in sys.stdin:
        command, *args = line.split()
        if command == "wait":
            _, status = os.waitpid(int(args[0]), 0)
            print(os.waitstatus_to_exitcode(status), flush=True)
            continue
        pid = os.fork()
        if pid:
            print(pid, flush=True)
            continue
        code = 1
        try:
            os.environ["NET_DATABASE_URL"], os.environ["NET_LEDGER"] = args[0], args[1]
            out = asyncio.run(_child(command, args[3:]))
            with open(args[2], "w", encoding="utf-8") as file:
                file.write(out)
            code = 0
        except BaseException:  # the child reports through its exit code and stderr
            import traceback

            traceback.print_exc()
        os._exit(code)


def _warm_up() -> None:
    """Load what the first call of a child would load lazily (SDK resources, schemas)."""
    make_kit().close()  # the store is closed again: children must not share its file
    if os.environ.get("NET_FAKE") == "openai":
        from agentkit.models import Message

        spare = openai_model()
        request = ModelRequest(messages=[Message.system("You are the planner."), Message.user("")])
        asyncio.run(spare.call(request))


async def _child(command: str, args: list[str]) -> str:
    if command == "start":
        handle = await start_network(make_kit(), network, "Research durable networks.")
        return handle.id
    if command == "start-beside":
        kit = make_kit()
        return (await kit.start(kit.get_function("beside"), topic="Research durable networks.")).id
    return await resume(args[0])


async def _main(argv: list[str]) -> None:
    if argv[0] == "start":
        handle = await start_network(make_kit(), network, "Research durable networks.")
        print(handle.id)
        return
    print("ready", flush=True)
    print(await resume(argv[1]))


if __name__ == "__main__":
    if sys.argv[1] == "zygote":
        zygote()
    else:
        asyncio.run(_main(sys.argv[1:]))
