from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from agentkit import AgentKit, ManualClock
from tests.conftest import STORE_KINDS, make_store


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture(params=STORE_KINDS)
def kit(request: pytest.FixtureRequest, tmp_path: Path, clock: ManualClock) -> Iterator[AgentKit]:
    kit = AgentKit(store=make_store(request.param, tmp_path), clock=clock, lease_ttl=30.0)
    yield kit
    kit.close()


async def drain(kit: AgentKit) -> None:
    """Execute everything that is due now, then return."""
    await kit.worker(stop_when_idle=True, poll_interval=0.01)
