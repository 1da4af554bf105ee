"""The parameterised ``store`` fixture of the store tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from agentkit.store import Store
from tests.conftest import STORE_KINDS, make_store


@pytest.fixture(params=STORE_KINDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A fresh store of each kind (SQLite, in-memory, PostgreSQL when configured)."""
    store = make_store(request.param, tmp_path)
    yield store
    store.close()
