from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from agentkit import AgentKit, ManualClock
from agentkit.store import InMemoryStore, SQLStore


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture(params=["sqlite", "memory"])
def kit(request: pytest.FixtureRequest, tmp_path: Path, clock: ManualClock) -> Iterator[AgentKit]:
    store = (
        SQLStore(f"sqlite:///{tmp_path}/kit.db") if request.param == "sqlite" else InMemoryStore()
    )
    kit = AgentKit(store=store, clock=clock, lease_ttl=30.0)
    yield kit
    kit.close()


async def drain(kit: AgentKit) -> None:
    """Execute everything that is due now, then return."""
    await kit.worker(stop_when_idle=True, poll_interval=0.01)
