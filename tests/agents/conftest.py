from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from agentkit import AgentKit, ManualClock
from agentkit.models import Message, ModelResponse, ToolCallPart, Usage
from agentkit.store import InMemoryStore


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def kit(clock: ManualClock) -> Iterator[AgentKit]:
    kit = AgentKit(store=InMemoryStore(), clock=clock)
    yield kit
    kit.close()


async def drain(kit: AgentKit) -> None:
    """Execute everything that is due now, then return."""
    await kit.worker(stop_when_idle=True, poll_interval=0.01)


def calls(
    *parts: ToolCallPart, usage: Usage | None = None, model: str = "scripted"
) -> ModelResponse:
    """A reply with several tool calls (ScriptedModel.tool_call makes one)."""
    return ModelResponse(
        message=Message(role="assistant", parts=list(parts)),
        finish_reason="tool_calls",
        usage=usage or Usage(),
        model=model,
        provider="scripted",
    )


def call(name: str, arguments: dict[str, Any], id: str) -> ToolCallPart:
    return ToolCallPart.from_arguments(id, name, arguments)
