"""Web search: the fake, and Brave and Tavily over respx with their documented reply shapes."""

from __future__ import annotations

import json

import pytest
import respx

from agentkit import Agent, AgentKit, ConfigError, run_agent
from agentkit.models import ScriptedModel
from agentkit.tools import BraveSearch, FakeSearch, SearchResult, TavilySearch, search_tools

HIT = SearchResult(title="Durable execution", url="https://example.com/d", snippet="journals")


async def test_an_agent_searches_through_a_step(kit: AgentKit) -> None:
    fake = FakeSearch({"durable agents": [HIT, HIT, HIT]})
    model = ScriptedModel(
        [ScriptedModel.tool_call("web_search", {"query": "durable agents", "max_results": 2}), "ok"]
    )
    agent = Agent("r", "", model, [search_tools(fake)])
    result = await run_agent(kit, agent, "search")
    assert json.loads(result.tool_results[0].content) == [HIT.model_dump(), HIT.model_dump()]
    assert fake.queries == ["durable agents"]
    [run] = kit.list_runs()
    assert [s.key for s in kit.journal(run.id)] == ["r/infer", "r/tool/web_search", "r/infer#1"]


async def test_brave_search() -> None:
    with respx.mock() as web:
        route = web.get("https://api.search.brave.com/res/v1/web/search").respond(
            200,
            json={
                "type": "search",
                "web": {
                    "type": "search",
                    "results": [
                        {"title": "A", "url": "https://a.example", "description": "about a"},
                        {"title": "B", "url": "https://b.example", "description": "about b"},
                    ],
                },
            },
        )
        hits = await BraveSearch("brave-test-key").search("agents", 2)
    assert hits == [
        SearchResult(title="A", url="https://a.example", snippet="about a"),
        SearchResult(title="B", url="https://b.example", snippet="about b"),
    ]
    sent = route.calls.last.request
    assert sent.headers["x-subscription-token"] == "brave-test-key"
    assert dict(sent.url.params) == {"q": "agents", "count": "2"}


async def test_tavily_search_and_errors() -> None:
    with respx.mock() as web:
        route = web.post("https://api.tavily.com/search").respond(
            200,
            json={
                "query": "agents",
                "results": [
                    {"title": "T", "url": "https://t.example", "content": "c", "score": 0.9}
                ],
                "response_time": 1.1,
            },
        )
        hits = await TavilySearch("tvly-test").search("agents", 3)
    assert hits == [SearchResult(title="T", url="https://t.example", snippet="c")]
    assert json.loads(route.calls.last.request.content) == {"query": "agents", "max_results": 3}
    assert route.calls.last.request.headers["authorization"] == "Bearer tvly-test"
    with pytest.raises(ConfigError, match="TavilySearch needs an API key"):
        TavilySearch("")
