"""A kit with a support agent whose refund tool waits for a human's approval."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from agentkit import Agent, AgentKit, Context, agent_function, tool
from agentkit.models import ModelRequest, ModelResponse, ScriptedModel, Usage
from agentkit.server import Feed, create_app
from agentkit.store import InMemoryStore, Store
from tests.conftest import STORE_KINDS, make_store

API_KEY = "test-api-key-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {API_KEY}"}
ANSWER = "The refund of 40 on A-17 is done."


@tool(needs_approval=True)
def refund(order_id: str, amount: int) -> str:
    """Refund an order."""
    return f"refunded {amount} on {order_id}"


def reply(request: ModelRequest) -> ModelResponse:
    turn = sum(1 for message in request.messages if message.role == "assistant")
    usage = Usage(input_tokens=100 + turn, output_tokens=10)
    if turn == 0:
        return ScriptedModel.tool_call("refund", {"order_id": "A-17", "amount": 40}, usage=usage)
    return ScriptedModel.text(ANSWER, usage=usage)


def build_kit(store: Store | None = None) -> AgentKit:
    kit = AgentKit(store=store or InMemoryStore())
    agent_function(kit, Agent("support", "You help customers.", ScriptedModel(reply), [refund]))

    @kit.function()
    async def add(ctx: Context, a: int, b: int) -> int:
        return a + b

    return kit


@pytest.fixture(params=STORE_KINDS)
def kit(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AgentKit]:
    kit = build_kit(make_store(request.param, tmp_path))
    yield kit
    kit.close()


@pytest.fixture
def feed(kit: AgentKit) -> Feed:
    return Feed(kit, interval=0.01)


@pytest.fixture
async def api(kit: AgentKit, feed: Feed) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(kit, api_key=API_KEY, feed=feed)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def until_subscribed(feed: Feed, run_id: str | None = None) -> None:
    """Wait until a client watches the run list (or the run): then no event is missed."""
    while feed.subscribers(run_id) == 0:  # noqa: ASYNC110 - the feed has nothing to await
        await asyncio.sleep(0.01)
