"""Threads and long-term memories of the `SQLStore`, kept apart from its runs.

The same SQLAlchemy Core path on SQLite and PostgreSQL. An append locks the
thread's row (``FOR UPDATE``; SQLite's write transactions run one at a time),
checks whether its ``write_key`` already wrote, and inserts after the last
message, all in one transaction: two runs appending to one thread queue, and
a write repeated after a crash adds nothing.
"""

from __future__ import annotations

import dataclasses
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from agentkit.errors import ThreadNotFound, UsageError
from agentkit.store import _thread_rules as thread_rules
from agentkit.store._core_tables import memories as _memories
from agentkit.store._core_tables import memory_namespaces as _generations
from agentkit.store._core_tables import thread_messages as _messages
from agentkit.store._core_tables import threads as _threads
from agentkit.store._records import (
    MemoryRecord,
    ThreadMessageRecord,
    ThreadRecord,
    scrubbed_row,
)

THREAD_TABLES = [_threads, _messages, _memories, _generations]

_MESSAGE_FIELDS = [f.name for f in dataclasses.fields(ThreadMessageRecord)]
_MESSAGE_COLUMNS = [_messages.c[name] for name in _MESSAGE_FIELDS]
_MEMORY_FIELDS = [f.name for f in dataclasses.fields(MemoryRecord)]
_MEMORY_COLUMNS = [_memories.c[name] for name in _MEMORY_FIELDS]
_INSERT_MESSAGE = insert(_messages)


def _thread(row: Any) -> ThreadRecord:
    return ThreadRecord(**row._mapping)


def _message(row: Any) -> ThreadMessageRecord:
    return ThreadMessageRecord(*row)


def _memory(row: Any) -> MemoryRecord:
    return MemoryRecord(*row)


def _locked_thread(conn: Connection, thread_id: str) -> ThreadRecord:
    row = conn.execute(select(_threads).where(_threads.c.id == thread_id).with_for_update()).first()
    if row is None:
        raise ThreadNotFound(thread_id)
    return _thread(row)


_CHUNK = 400


def _upsert_memories(conn: Connection, rows: list[dict[str, Any]]) -> None:
    namespaces = sorted({row["namespace"] for row in rows})
    keys = sorted({row["key"] for row in rows})
    existing = {
        (found.namespace, found.key): found.created_at
        for found in conn.execute(
            select(_memories.c.namespace, _memories.c.key, _memories.c.created_at)
            .where(_memories.c.namespace.in_(namespaces), _memories.c.key.in_(keys))
            .with_for_update()
        )
    }
    fresh = [row for row in rows if (row["namespace"], row["key"]) not in existing]
    if fresh:
        conn.execute(insert(_memories), fresh)
    for row in rows:
        pair = (row["namespace"], row["key"])
        if pair in existing:
            conn.execute(
                update(_memories)
                .where(_memories.c.namespace == pair[0], _memories.c.key == pair[1])
                .values(**{**row, "created_at": existing[pair]})
            )


def _bump_generations(conn: Connection, namespaces: list[str]) -> None:
    """Raise each namespace's change counter (in the caller's transaction)."""
    for namespace in sorted(set(namespaces)):  # one lock order: no deadlock between writers
        bumped = conn.execute(
            update(_generations)
            .where(_generations.c.namespace == namespace)
            .values(generation=_generations.c.generation + 1)
        )
        if not bumped.rowcount:
            conn.execute(insert(_generations), {"namespace": namespace, "generation": 1})


class SQLThreads:
    """The thread and memory methods of `SQLStore` (a mixin over its transactions)."""

    def _write(self) -> AbstractContextManager[Connection]:
        raise NotImplementedError  # SQLStore provides it

    def _read(self) -> AbstractContextManager[Connection]:
        raise NotImplementedError  # SQLStore provides it

    def create_thread(self, thread: ThreadRecord) -> ThreadRecord:
        with self._write() as conn:
            if conn.execute(select(_threads.c.id).where(_threads.c.id == thread.id)).first():
                raise UsageError(f"thread {thread.id!r} already exists")
            conn.execute(insert(_threads), scrubbed_row(thread))
        return thread

    def get_thread(self, thread_id: str) -> ThreadRecord | None:
        with self._read() as conn:
            row = conn.execute(select(_threads).where(_threads.c.id == thread_id)).first()
        return None if row is None else _thread(row)

    def list_threads(self, *, limit: int = 50) -> list[ThreadRecord]:
        query = (
            select(_threads)
            .order_by(_threads.c.updated_at.desc(), _threads.c.id.desc())
            .limit(limit)
        )
        with self._read() as conn:
            return [_thread(row) for row in conn.execute(query)]

    def delete_thread(self, thread_id: str) -> bool:
        with self._write() as conn:
            conn.execute(delete(_messages).where(_messages.c.thread_id == thread_id))
            result = conn.execute(delete(_threads).where(_threads.c.id == thread_id))
        return bool(result.rowcount)

    def append_thread_messages(
        self, thread_id: str, messages: list[str], write_key: str, now: float
    ) -> list[ThreadMessageRecord]:
        with self._write() as conn:
            thread = _locked_thread(conn, thread_id)
            done = conn.execute(
                select(*_MESSAGE_COLUMNS)
                .where(_messages.c.thread_id == thread_id, _messages.c.write_key == write_key)
                .order_by(_messages.c.seq)
            ).all()
            if done:
                return [_message(row) for row in done]
            records, fields = thread_rules.appended(thread, messages, write_key, now)
            if records:
                conn.execute(_INSERT_MESSAGE, [scrubbed_row(r) for r in records])
            conn.execute(update(_threads).where(_threads.c.id == thread_id).values(**fields))
        return records

    def list_thread_messages(
        self, thread_id: str, *, limit: int | None = None, before: int | None = None
    ) -> list[ThreadMessageRecord]:
        query = select(*_MESSAGE_COLUMNS).where(_messages.c.thread_id == thread_id)
        if before is not None:
            query = query.where(_messages.c.seq < before)
        if limit is not None:
            query = query.order_by(_messages.c.seq.desc()).limit(max(limit, 0))
        with self._read() as conn:
            rows = [_message(row) for row in conn.execute(query)]
        rows.sort(key=lambda m: m.seq)
        return rows

    def get_thread_message(self, message_id: str) -> ThreadMessageRecord | None:
        with self._read() as conn:
            row = conn.execute(
                select(*_MESSAGE_COLUMNS).where(_messages.c.id == message_id)
            ).first()
        return None if row is None else _message(row)

    def set_thread_summary(self, thread_id: str, summary: str, through: int, now: float) -> bool:
        with self._write() as conn:
            thread = _locked_thread(conn, thread_id)
            fields = thread_rules.summary_update(thread, summary, through, now)
            if fields is None:
                return False
            row = scrubbed_row(dataclasses.replace(thread, **fields))
            conn.execute(
                update(_threads)
                .where(_threads.c.id == thread_id)
                .values(**{name: row[name] for name in fields})
            )
        return True

    def fork_thread(self, thread_id: str, fork: ThreadRecord, through: int) -> ThreadRecord:
        with self._write() as conn:
            source = _locked_thread(conn, thread_id)
            if conn.execute(select(_threads.c.id).where(_threads.c.id == fork.id)).first():
                raise UsageError(f"thread {fork.id!r} already exists")
            rows = conn.execute(
                select(*_MESSAGE_COLUMNS).where(
                    _messages.c.thread_id == thread_id, _messages.c.seq < through
                )
            ).all()
            thread, copies = thread_rules.forked(source, fork, [_message(r) for r in rows], through)
            conn.execute(insert(_threads), scrubbed_row(thread))
            if copies:
                conn.execute(_INSERT_MESSAGE, [dataclasses.asdict(c) for c in copies])
        return thread

    # -- memories -------------------------------------------------------------

    def put_memories(self, memories: list[MemoryRecord]) -> None:
        rows = {(m.namespace, m.key): scrubbed_row(m) for m in memories}  # the last one wins
        pairs = sorted(rows)
        if not pairs:
            return
        with self._write() as conn:
            _bump_generations(conn, [namespace for namespace, _ in pairs])
            # In chunks: SQLite caps the parameters of one statement.
            for start in range(0, len(pairs), _CHUNK):
                chunk = pairs[start : start + _CHUNK]
                _upsert_memories(conn, [rows[pair] for pair in chunk])

    def get_memory(self, namespace: str, key: str) -> MemoryRecord | None:
        with self._read() as conn:
            row = conn.execute(
                select(*_MEMORY_COLUMNS).where(
                    _memories.c.namespace == namespace, _memories.c.key == key
                )
            ).first()
        return None if row is None else _memory(row)

    def delete_memory(self, namespace: str, key: str) -> bool:
        with self._write() as conn:
            result = conn.execute(
                delete(_memories).where(_memories.c.namespace == namespace, _memories.c.key == key)
            )
            if result.rowcount:
                _bump_generations(conn, [namespace])
        return bool(result.rowcount)

    def memory_generation(self, namespace: str) -> int:
        with self._read() as conn:
            found = conn.execute(
                select(_generations.c.generation).where(_generations.c.namespace == namespace)
            ).scalar()
        return int(found or 0)

    def list_memories(self, namespace: str) -> list[MemoryRecord]:
        query = (
            select(*_MEMORY_COLUMNS)
            .where(_memories.c.namespace == namespace)
            .order_by(_memories.c.key)
        )
        with self._read() as conn:
            return [_memory(row) for row in conn.execute(query)]


__all__ = ["THREAD_TABLES", "SQLThreads"]
