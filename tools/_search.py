"""Web search: one small ABC, two HTTP providers (Brave, Tavily) and a fake for tests.

``search_tools(provider)`` gives the model ``web_search(query, max_results)``,
each call one durable step, so a replay shows the same results without a
request. The providers are plain httpx calls to their documented REST APIs.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from pydantic import BaseModel

from agentkit.agents import FunctionTool, ToolRetry, Toolset
from agentkit.errors import ConfigError

if TYPE_CHECKING:
    import httpx

__all__ = [
    "BraveSearch",
    "FakeSearch",
    "SearchProvider",
    "SearchResult",
    "TavilySearch",
    "search_tools",
]


class SearchResult(BaseModel):
    """One hit: its title, address and a snippet of its text."""

    title: str
    url: str
    snippet: str = ""


class SearchProvider(ABC):
    """A web search engine."""

    @abstractmethod
    async def search(self, query: str, max_results: int) -> list[SearchResult]:
        """The top ``max_results`` hits for ``query``."""


class FakeSearch(SearchProvider):
    """Canned results: a mapping of query to hits, or a function of the query.

    Every query asked is kept in ``queries``; an unknown query has no hits.
    """

    def __init__(
        self,
        results: Mapping[str, Sequence[SearchResult]] | Callable[[str], Sequence[SearchResult]],
    ) -> None:
        self.results = results
        self.queries: list[str] = []

    async def search(self, query: str, max_results: int) -> list[SearchResult]:
        self.queries.append(query)
        if callable(self.results):
            hits = list(self.results(query))
        else:
            hits = list(self.results.get(query, ()))
        return hits[:max_results]


class _HTTPSearch(SearchProvider):
    def __init__(self, api_key: str, *, timeout: float, name: str) -> None:
        if not api_key:
            raise ConfigError(f"{name} needs an API key")
        self.api_key = api_key
        self.timeout = timeout

    async def _send(self, request: httpx.Request) -> object:
        import httpx  # the [http] extra

        async with httpx.AsyncClient(timeout=self.timeout) as client:
            response = await client.send(request)
        if response.status_code != 200:
            raise ToolRetry(
                f"search failed with HTTP {response.status_code}: {response.text[:200]}"
            )
        return response.json()


class BraveSearch(_HTTPSearch):
    """Brave Search's web search API (``X-Subscription-Token``)."""

    url = "https://api.search.brave.com/res/v1/web/search"

    def __init__(self, api_key: str, *, timeout: float = 15.0) -> None:
        super().__init__(api_key, timeout=timeout, name="BraveSearch")

    async def search(self, query: str, max_results: int) -> list[SearchResult]:
        import httpx  # the [http] extra

        request = httpx.Request(
            "GET",
            self.url,
            params={"q": query, "count": max_results},
            headers={"X-Subscription-Token": self.api_key, "Accept": "application/json"},
        )
        body = await self._send(request)
        hits = body.get("web", {}).get("results", []) if isinstance(body, dict) else []
        return [
            SearchResult(title=h["title"], url=h["url"], snippet=h.get("description", ""))
            for h in hits[:max_results]
        ]


class TavilySearch(_HTTPSearch):
    """Tavily's search API (bearer token)."""

    url = "https://api.tavily.com/search"

    def __init__(self, api_key: str, *, timeout: float = 15.0) -> None:
        super().__init__(api_key, timeout=timeout, name="TavilySearch")

    async def search(self, query: str, max_results: int) -> list[SearchResult]:
        import httpx  # the [http] extra

        request = httpx.Request(
            "POST",
            self.url,
            json={"query": query, "max_results": max_results},
            headers={"Authorization": f"Bearer {self.api_key}"},
        )
        body = await self._send(request)
        hits = body.get("results", []) if isinstance(body, dict) else []
        return [
            SearchResult(title=h["title"], url=h["url"], snippet=h.get("content", ""))
            for h in hits[:max_results]
        ]


def search_tools(provider: SearchProvider, *, max_results: int = 10) -> Toolset:
    """A `Toolset` named ``search`` with ``web_search``.

    Args:
        provider: The search engine (`BraveSearch`, `TavilySearch`, `FakeSearch`...).
        max_results: The most hits one call may ask for.
    """
    if not isinstance(provider, SearchProvider):
        raise ConfigError(f"search_tools needs a SearchProvider, got {provider!r}")
    cap = max_results

    async def web_search(query: str, max_results: int = 5) -> list[SearchResult]:
        """Search the web; each hit has a title, a URL and a snippet.

        Args:
            query: What to search for.
            max_results: How many hits (at most the configured cap).
        """
        if not query.strip():
            raise ToolRetry("the query is empty")
        return await provider.search(query, max(1, min(max_results, cap)))

    return Toolset([FunctionTool(web_search, name="web_search")], name="search")
