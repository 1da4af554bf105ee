"""A research agent: a planner, two searchers in parallel, a writer who publishes after approval.

    python examples/research_agent.py

A `Network` routed by a `RoutingAgent`: the planner sets the questions, two
searchers run at once, each with ``web_search`` (`search_tools`), ``fetch_url``
and ``remember`` (`memory_tools`), keeping every source they read in a
long-term `MemoryStore`; the writer ``recall``s the sources, writes the note
and calls ``publish``, which waits for a human's approval. Every routing
decision, model call and tool call is a durable step.

It runs offline with no API key: the models are `ScriptedModel`s, search is a
`FakeSearch` over two pages (`find`), the embedder is `HashEmbedder`, and
``fetch_url`` reads a small table of pages (`offline_fetch`). The fetch tool is pluggable: pass
``http_tools()`` to `build_network` to read the real web (its address checks
stay on), and ``BraveSearch(key)`` / ``OpenAIModel("gpt-4o")`` for the rest.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping

from pydantic import BaseModel

from agentkit import (
    Agent,
    AgentKit,
    FunctionTool,
    ManualClock,
    Network,
    RoutingAgent,
    ToolRetry,
    Toolset,
    start_network,
    tool,
)
from agentkit.memory import InMemoryMemoryStore, MemoryStore, memory_tools
from agentkit.models import (
    HashEmbedder,
    Message,
    Model,
    ModelResponse,
    ScriptedModel,
    ToolCallPart,
    Usage,
)
from agentkit.store import InMemoryStore
from agentkit.tools import FakeSearch, SearchProvider, SearchResult, search_tools

QUESTION = "Write a short note on how durable agents survive crashes."
PAGES = {
    "https://example.org/journal": (
        "Durable steps are journaled before the code goes on, so a resumed run "
        "replays finished steps instead of calling the model again."
    ),
    "https://example.org/approval": (
        "An approval gate parks the run on a token; a human completes it and the run resumes."
    ),
}
HITS = [
    SearchResult(
        title="Journaled steps",
        url="https://example.org/journal",
        snippet="Durable steps are journaled.",
    ),
    SearchResult(
        title="Approval gates",
        url="https://example.org/approval",
        snippet="Agent runs wait for a human's approval.",
    ),
]


def find(query: str) -> list[SearchResult]:
    """The offline search engine: hits sharing a word (of 5+ letters) with the query."""
    words = {w for w in re.findall(r"[a-z]+", query.lower()) if len(w) >= 5}
    return [h for h in HITS if words & set(re.findall(r"[a-z]+", f"{h.title} {h.snippet}".lower()))]


SEARCH = FakeSearch(find)
NOTE = (
    "Durable agents journal every step, so a crashed run replays what finished "
    "instead of paying for it again [https://example.org/journal]; risky actions "
    "wait for a human's approval [https://example.org/approval]."
)


class Research(BaseModel):
    questions: list[str] = []
    draft: str = ""
    published: bool = False


def offline_fetch(pages: dict[str, str]) -> Toolset:
    """A ``fetch_url`` tool over a table of pages, answering like `http_tools`' own."""

    @tool(name="fetch_url")
    def fetch_url(url: str) -> str:
        """Fetch a web page; HTML comes back as readable text.

        Args:
            url: An http or https URL.
        """
        if url not in pages:
            raise ToolRetry(f"request to {url!r} failed: no such page")
        return f"200 {url} (text/html)\n{pages[url]}"

    return Toolset([fetch_url], name="http")


@tool
def plan(questions: list[str], research: Research) -> str:
    """Set the questions to research."""
    research.questions = questions
    return f"{len(questions)} questions planned"


@tool
def write_draft(text: str, research: Research) -> str:
    """Save the draft."""
    research.draft = text
    return "draft saved"


def publish_tool(approve: bool) -> FunctionTool:
    """``publish``; with ``approve`` (the default) a human approves it first."""

    @tool(name="publish", needs_approval=approve)
    def publish(research: Research) -> str:
        """Publish the draft (a human approves first)."""
        research.published = True
        return "published"

    return publish


def call(name: str, args: dict[str, object]) -> ModelResponse:
    return ScriptedModel.tool_call(name, args)


def select(*names: str) -> ModelResponse:
    """A router reply picking ``names`` (several at once run concurrently)."""
    return ModelResponse(
        message=Message(
            role="assistant",
            parts=[
                ToolCallPart.from_arguments(
                    f"route_{n}", "select_agent", {"name": n, "reason": "next"}
                )
                for n in names
            ],
        ),
        finish_reason="tool_calls",
        usage=Usage(input_tokens=120, output_tokens=12),
        model="scripted",
        provider="scripted",
    )


def searcher_script(query: str, url: str, title: str) -> ScriptedModel:
    return ScriptedModel(
        [
            call("web_search", {"query": query, "max_results": 3}),
            call("fetch_url", {"url": url}),
            call("remember", {"text": f"source: {url} ({title})"}),
            f"read {url}",
        ]
    )


def build_network(
    fetch: Toolset,
    search: SearchProvider,
    memories: MemoryStore,
    *,
    models: Mapping[str, Model] | None = None,
    approve: bool = True,
) -> Network[Research]:
    """The network; ``fetch`` is `offline_fetch(PAGES)` here, ``http_tools()`` live.

    ``models`` replaces the scripted model of the agents it names (and of the
    router, as ``"router"``); ``approve=False`` publishes without waiting for a
    human (the eval suite, evals/research_agent, runs it so).
    """
    scripts = models or {}
    sources = memory_tools(memories, namespace="sources")
    planner = Agent(
        "planner",
        "You split the question into web searches.",
        scripts.get("planner")
        or ScriptedModel(
            [call("plan", {"questions": ["durable steps journal", "human approval agents"]}), "ok"]
        ),
        [plan],
        state_type=Research,
    )
    searchers = [
        Agent(
            name,
            "You search, read the best page and remember it as a source.",
            scripts.get(name) or searcher_script(query, url, title),
            [search_tools(search), fetch, *sources],
            state_type=Research,
        )
        for name, query, url, title in (
            (
                "searcher_1",
                "durable steps journal",
                "https://example.org/journal",
                "Journaled steps",
            ),
            (
                "searcher_2",
                "human approval agents",
                "https://example.org/approval",
                "Approval gates",
            ),
        )
    ]
    writer = Agent(
        "writer",
        "You write a short note from the remembered sources, then publish it.",
        scripts.get("writer")
        or ScriptedModel(
            [
                call("recall", {"query": "sources on durable agents", "k": 5}),
                call("write_draft", {"text": NOTE}),
                call("publish", {}),
                "The note is published.",
            ]
        ),
        [*sources, write_draft, publish_tool(approve)],
        state_type=Research,
    )
    router = scripts.get("router") or ScriptedModel(
        [
            select("planner"),
            select("searcher_1", "searcher_2"),  # both at once: they run concurrently
            select("writer"),
            call("done", {"summary": "researched, written and published"}),
        ]
    )
    return Network(
        "research", [planner, *searchers, writer], RoutingAgent(router), state=Research()
    )


kit = AgentKit(store=InMemoryStore(), clock=ManualClock())
memories = InMemoryMemoryStore(HashEmbedder())
network = build_network(offline_fetch(PAGES), SEARCH, memories)


async def main() -> str:
    handle = await start_network(kit, network, QUESTION)
    await kit.worker(stop_when_idle=True)  # runs until publish waits for approval
    [token] = handle.tokens()
    print(f"{handle.status()}: {token.description}")
    kit.complete_token(token.token, {"approved": True})
    await kit.worker(stop_when_idle=True)
    result = await handle.result()
    for decision in result.decisions:
        print(f"route #{decision.call}: {', '.join(decision.agents) or 'done'}")
    remembered = await memories.search("sources", "sources on durable agents", 10)
    for text in sorted(memory.text for memory in remembered):
        print(f"remembered {text}")
    assert isinstance(result.state, Research)
    print(f"published: {result.state.published}")
    print(result.state.draft)
    print(result.output)
    print(f"{result.model_calls} model calls, {result.usage.total_tokens} tokens")
    return str(result.output)


if __name__ == "__main__":
    asyncio.run(main())
