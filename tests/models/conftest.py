"""Fixtures for the model layer: fake provider HTTP fed from recorded exchanges.

OpenAI (``httpx``) is faked with respx's patching mock. The Anthropic SDK in
use sends through ``httpx2``, which respx cannot patch, so its client gets an
``httpx2.MockTransport`` that hands each request to a respx router: routes,
calls and assertions look the same for both providers.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import respx

OPENAI_KEY = "sk-test-openai-SECRET-0123456789"
ANTHROPIC_KEY = "sk-ant-test-SECRET-0123456789"


class FakeSleep:
    """Records requested sleeps and advances a fake clock instead of sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def __call__(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture(autouse=True)
def _litellm_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """LiteLLM fetches its price map from GitHub on import unless told not to, and
    sends through aiohttp (which respx cannot fake) unless told to use httpx."""
    monkeypatch.setenv("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    monkeypatch.setenv("DISABLE_AIOHTTP_TRANSPORT", "True")


@pytest.fixture(autouse=True)
def _sdk_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's OPENAI_BASE_URL (say, a local server) must not redirect the fakes."""
    for name in ("OPENAI_BASE_URL", "ANTHROPIC_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def fake_sleep() -> FakeSleep:
    return FakeSleep()


@pytest.fixture
def openai_router() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url="https://api.openai.com/v1", assert_all_called=False) as router:
        yield router


def _httpx2_transport(router: respx.MockRouter) -> Any:
    import httpx
    import httpx2

    def handle(request: httpx2.Request) -> httpx2.Response:
        mirrored = httpx.Request(
            request.method,
            str(request.url),
            headers=list(request.headers.multi_items()),
            content=request.content,
        )
        response = router.handler(mirrored)
        return httpx2.Response(
            response.status_code,
            headers=list(response.headers.multi_items()),
            content=response.read(),
        )

    return httpx2.MockTransport(handle)


@pytest.fixture
def anthropic_router() -> respx.MockRouter:
    return respx.MockRouter(base_url="https://api.anthropic.com", assert_all_called=False)


@pytest.fixture
def make_anthropic(anthropic_router: respx.MockRouter) -> Callable[..., Any]:
    """Build an ``AnthropicModel`` whose HTTP goes to ``anthropic_router``."""

    def build(model: str = "claude-haiku-4-5", **options: Any) -> Any:
        import anthropic
        import httpx2

        from agentkit.models import AnthropicModel

        client = anthropic.AsyncAnthropic(
            api_key=ANTHROPIC_KEY,
            http_client=httpx2.AsyncClient(transport=_httpx2_transport(anthropic_router)),
        )
        return AnthropicModel(model, client=client, **options)

    return build


def sent_json(route: respx.Route, index: int = -1) -> dict[str, Any]:
    """The JSON body of a call a route received."""
    body: dict[str, Any] = json.loads(route.calls[index].request.content)
    return body
