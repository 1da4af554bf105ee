"""Persistence behind one `Store` boundary: SQL (SQLite, PostgreSQL) and in-memory.

The SQL store (SQLAlchemy, SQLModel) is imported on first use of `SQLStore`,
`DEFAULT_DATABASE_URL` or `database_url_from_env` (PEP 562), so importing the
records, the `Store` boundary or the `InMemoryStore` costs none of it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from agentkit.store._base import Store
from agentkit.store._records import (
    CompletionRecord,
    EventRecord,
    MemoryRecord,
    RunRecord,
    RunStatus,
    StepKind,
    StepRecord,
    StepStatus,
    ThreadMessageRecord,
    ThreadRecord,
    TokenRecord,
    TokenStatus,
)
from agentkit.store.memory import InMemoryStore

if TYPE_CHECKING:
    from agentkit.store.sql import DEFAULT_DATABASE_URL, SQLStore, database_url_from_env

__all__ = [
    "DEFAULT_DATABASE_URL",
    "CompletionRecord",
    "EventRecord",
    "InMemoryStore",
    "MemoryRecord",
    "RunRecord",
    "RunStatus",
    "SQLStore",
    "StepKind",
    "StepRecord",
    "StepStatus",
    "Store",
    "ThreadMessageRecord",
    "ThreadRecord",
    "TokenRecord",
    "TokenStatus",
    "database_url_from_env",
]

_SQL_NAMES = frozenset({"DEFAULT_DATABASE_URL", "SQLStore", "database_url_from_env"})


def __getattr__(name: str) -> Any:
    if name in _SQL_NAMES:
        value = getattr(importlib.import_module("agentkit.store.sql"), name)
        globals()[name] = value  # later lookups skip this hook
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
