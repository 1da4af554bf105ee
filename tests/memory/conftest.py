from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from agentkit import AgentKit, ManualClock
from agentkit.store import InMemoryStore, Store
from tests.conftest import STORE_KINDS, make_store


@pytest.fixture
def kit() -> Iterator[AgentKit]:
    kit = AgentKit(store=InMemoryStore(), clock=ManualClock())
    yield kit
    kit.close()


@pytest.fixture(params=STORE_KINDS)
def any_kit(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AgentKit]:
    """A kit on each store kind (SQLite, in-memory, PostgreSQL when configured)."""
    store: Store = make_store(request.param, tmp_path)
    kit = AgentKit(store=store, clock=ManualClock())
    yield kit
    kit.close()
