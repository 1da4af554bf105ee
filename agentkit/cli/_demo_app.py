"""The research agent of ``agentkit demo``: two tools, one approval-gated tool.

Its model is a `ScriptedModel` that answers by the turn of the conversation
(so a fresh process continues the same script), or with ``--live`` a real model
(``OPENAI_API_KEY`` and/or ``ANTHROPIC_API_KEY``; both give a `FallbackModel`).
Tools print ``tool N name`` when their body starts, for the parent to follow and
to pick its moment to SIGKILL.
"""

from __future__ import annotations

import os
import time

from agentkit import Agent, AgentKit, agent_function, tool
from agentkit.errors import ConfigError
from agentkit.models import (
    FallbackModel,
    Model,
    ModelRequest,
    ModelResponse,
    ScriptedModel,
    ToolResultPart,
    Usage,
)

#: Seconds each tool works; long enough to be killed in the middle of one.
TOOL_SECONDS = float(os.environ.get("AGENTKIT_DEMO_TOOL_SECONDS", "0.4"))
#: A killed worker's lease must expire before another process takes the run over.
LEASE_SECONDS = 2.0
QUESTION = "How do durable agents survive crashes? Publish a short brief."

_SCRIPT: list[tuple[str, dict[str, str]]] = [
    ("search", {"query": "durable execution for AI agents"}),
    ("read", {"url": "https://example.org/durable-steps"}),
    ("search", {"query": "human approval in agent loops"}),
    ("read", {"url": "https://example.org/approval-tokens"}),
    ("publish", {"title": "Durable agents", "summary": "Journal every step; replay on resume."}),
]
_calls = 0


def _announce(name: str) -> None:
    global _calls
    _calls += 1
    print(f"tool {_calls} {name}", flush=True)


@tool
def search(query: str) -> str:
    """Search the web for a query and return the top results."""
    _announce("search")
    time.sleep(TOOL_SECONDS)
    return f"2 results for {query!r}: https://example.org/durable-steps, ..."


@tool
def read(url: str) -> str:
    """Fetch a page and return its main text."""
    _announce("read")
    time.sleep(TOOL_SECONDS)
    return f"{url}: agents checkpoint each model and tool call, then replay the journal."


@tool(needs_approval=True)
def publish(title: str, summary: str) -> str:
    """Publish a brief on the team site (a human approves first)."""
    _announce("publish")
    time.sleep(TOOL_SECONDS)
    return f"published {title!r}"


PUBLISHED = (
    "Durable agents journal every model and tool call; after a crash they replay the "
    "journal and continue, so nothing already paid for is paid again. Brief published."
)
NOT_PUBLISHED = (
    "Durable agents journal every model and tool call; after a crash they replay the "
    "journal and continue, so nothing already paid for is paid again. The brief was not "
    "published: {why}"
)


def _publish_refusal(request: ModelRequest) -> str | None:
    """What the tool result of ``publish`` says when it did not run, else None."""
    for message in request.messages:
        for part in message.parts:
            if isinstance(part, ToolResultPart) and part.name == "publish" and part.is_error:
                return part.content
    return None


def _scripted_reply(request: ModelRequest) -> ModelResponse:
    turn = sum(1 for message in request.messages if message.role == "assistant")
    usage = Usage(input_tokens=180 + 95 * turn, output_tokens=24)
    if turn < len(_SCRIPT):
        name, args = _SCRIPT[turn]
        return ScriptedModel.tool_call(name, args, id=f"call_{turn}", usage=usage)
    refusal = _publish_refusal(request)
    text = PUBLISHED if refusal is None else NOT_PUBLISHED.format(why=refusal)
    return ScriptedModel.text(text, usage=usage)


def build_model(live: bool) -> Model:
    """The scripted model, or real ones chosen by the API keys present."""
    if not live:
        return ScriptedModel(_scripted_reply, model="scripted-researcher")
    from agentkit.models import AnthropicModel, OpenAIModel

    models: list[Model] = []
    if os.environ.get("OPENAI_API_KEY"):
        models.append(OpenAIModel("gpt-4o-mini"))
    if os.environ.get("ANTHROPIC_API_KEY"):
        models.append(AnthropicModel("claude-haiku-4-5"))
    if not models:
        raise ConfigError("--live needs OPENAI_API_KEY or ANTHROPIC_API_KEY in the environment")
    return models[0] if len(models) == 1 else FallbackModel(*models)


def build_researcher(live: bool) -> Agent[str]:
    """The demo's agent."""
    return Agent(
        "researcher",
        "You are a careful researcher. Use search and read, then publish a short brief "
        "with the publish tool, then answer in two sentences.",
        build_model(live),
        [search, read, publish],
        max_iter=12,
    )


def build_kit(database_url: str, live: bool) -> tuple[AgentKit, Agent[str]]:
    """A kit with the researcher's durable function registered on it."""
    kit = AgentKit(database_url, lease_ttl=LEASE_SECONDS)
    researcher = build_researcher(live)
    agent_function(kit, researcher)
    return kit, researcher
