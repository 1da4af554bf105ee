"""Persistence behind one `Store` boundary: SQL (SQLite, PostgreSQL) and in-memory.

The SQL store (SQLAlchemy, SQLModel) is imported on first use of `SQLStore`
(PEP 562), so importing the records, the `Store` boundary, the `InMemoryStore`
or the database URL helpers costs none of it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from agentkit.store._base import Store
from agentkit.store._rate_rules import RateGrant, RateLimits
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
from agentkit.store._url import DEFAULT_DATABASE_URL, database_url_from_env
from agentkit.store.memory import InMemoryStore

if TYPE_CHECKING:
    from agentkit.store.sql import SQLStore

__all__ = [
    "DEFAULT_DATABASE_URL",
    "CompletionRecord",
    "EventRecord",
    "InMemoryStore",
    "MemoryRecord",
    "RateGrant",
    "RateLimits",
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

_SQL_NAMES = frozenset({"SQLStore"})


def __getattr__(name: str) -> Any:
    if name in _SQL_NAMES:
        value = getattr(importlib.import_module("agentkit.store.sql"), name)
        globals()[name] = value  # later lookups skip this hook
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
