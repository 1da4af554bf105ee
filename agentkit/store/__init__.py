"""Persistence behind one `Store` boundary: SQL (SQLite, PostgreSQL) and in-memory."""

from agentkit.store._base import Store
from agentkit.store._records import (
    CompletionRecord,
    EventRecord,
    RunRecord,
    RunStatus,
    StepKind,
    StepRecord,
    StepStatus,
    TokenRecord,
    TokenStatus,
)
from agentkit.store.memory import InMemoryStore
from agentkit.store.sql import DEFAULT_DATABASE_URL, SQLStore, database_url_from_env

__all__ = [
    "DEFAULT_DATABASE_URL",
    "CompletionRecord",
    "EventRecord",
    "InMemoryStore",
    "RunRecord",
    "RunStatus",
    "SQLStore",
    "StepKind",
    "StepRecord",
    "StepStatus",
    "Store",
    "TokenRecord",
    "TokenStatus",
    "database_url_from_env",
]
