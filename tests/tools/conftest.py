from __future__ import annotations

from collections.abc import Iterator

import pytest

from agentkit import AgentKit, ManualClock
from agentkit.store import InMemoryStore


@pytest.fixture
def kit() -> Iterator[AgentKit]:
    kit = AgentKit(store=InMemoryStore(), clock=ManualClock())
    yield kit
    kit.close()


async def drain(kit: AgentKit) -> None:
    """Execute everything that is due now, then return."""
    await kit.worker(stop_when_idle=True, poll_interval=0.01)
