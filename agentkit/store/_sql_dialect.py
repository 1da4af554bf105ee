"""Statements whose spelling differs between SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table


def insert_if_absent(conn: Connection, table: Table, key: str, values: dict[str, Any]) -> None:
    """Insert the row unless one with its ``key`` exists: never a conflict, whoever races.

    The dialect is imported on use: PostgreSQL's costs ~30 ms at start-up,
    and a SQLite store never needs it (nor a PostgreSQL one SQLite's).
    """
    dialect: Any
    if conn.dialect.name == "sqlite":
        from sqlalchemy.dialects import sqlite as dialect
    else:
        from sqlalchemy.dialects import postgresql as dialect
    conn.execute(
        dialect.insert(table).values(**values).on_conflict_do_nothing(index_elements=[key])
    )
