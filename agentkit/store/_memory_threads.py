"""Threads and long-term memories of the `InMemoryStore`, kept apart from its runs.

The same contract as the SQL store's, over dictionaries under the store's
lock; what an append, a fork or a summary writes comes from
`agentkit.store._thread_rules`, which the SQL store applies too.
"""

from __future__ import annotations

import copy
import dataclasses
import threading
from typing import Any, TypeVar

from agentkit.errors import ThreadNotFound, UsageError
from agentkit.store import _thread_rules as thread_rules
from agentkit.store._records import (
    MemoryRecord,
    ThreadMessageRecord,
    ThreadRecord,
    scrubbed_row,
)

_copy = dataclasses.replace
T = TypeVar("T", ThreadRecord, ThreadMessageRecord, MemoryRecord)


def _scrubbed(record: T) -> T:
    return type(record)(**scrubbed_row(record))


class InMemoryThreads:
    """The thread and memory methods of `InMemoryStore` (a mixin sharing its lock)."""

    _lock: threading.RLock

    def _init_threads(self) -> None:
        self._threads: dict[str, ThreadRecord] = {}
        self._thread_messages: dict[str, list[ThreadMessageRecord]] = {}
        self._memories: dict[tuple[str, str], MemoryRecord] = {}
        self._generations: dict[str, int] = {}

    def _thread(self, thread_id: str) -> ThreadRecord:
        thread = self._threads.get(thread_id)
        if thread is None:
            raise ThreadNotFound(thread_id)
        return thread

    def create_thread(self, thread: ThreadRecord) -> ThreadRecord:
        with self._lock:
            if thread.id in self._threads:
                raise UsageError(f"thread {thread.id!r} already exists")
            self._threads[thread.id] = _scrubbed(thread)
            self._thread_messages[thread.id] = []
            return _copy(self._threads[thread.id])

    def get_thread(self, thread_id: str) -> ThreadRecord | None:
        with self._lock:
            thread = self._threads.get(thread_id)
            return None if thread is None else _copy(thread)

    def list_threads(self, *, limit: int = 50) -> list[ThreadRecord]:
        with self._lock:
            ordered = sorted(self._threads.values(), key=lambda t: (t.updated_at, t.id))
            return [_copy(t) for t in reversed(ordered)][:limit]

    def delete_thread(self, thread_id: str) -> bool:
        with self._lock:
            self._thread_messages.pop(thread_id, None)
            return self._threads.pop(thread_id, None) is not None

    def append_thread_messages(
        self, thread_id: str, messages: list[str], write_key: str, now: float
    ) -> list[ThreadMessageRecord]:
        with self._lock:
            thread = self._thread(thread_id)
            stored = self._thread_messages[thread_id]
            done = [m for m in stored if m.write_key == write_key]
            if done:
                return [_copy(m) for m in done]
            records, fields = thread_rules.appended(thread, messages, write_key, now)
            stored.extend(_scrubbed(r) for r in records)
            _write(thread, fields)
            return [_copy(m) for m in stored[len(stored) - len(records) :]]

    def list_thread_messages(
        self, thread_id: str, *, limit: int | None = None, before: int | None = None
    ) -> list[ThreadMessageRecord]:
        with self._lock:
            stored = self._thread_messages.get(thread_id, [])
            return [_copy(m) for m in thread_rules.page(stored, limit, before)]

    def get_thread_message(self, message_id: str) -> ThreadMessageRecord | None:
        with self._lock:
            for stored in self._thread_messages.values():
                for message in stored:
                    if message.id == message_id:
                        return _copy(message)
            return None

    def set_thread_summary(self, thread_id: str, summary: str, through: int, now: float) -> bool:
        with self._lock:
            thread = self._thread(thread_id)
            fields = thread_rules.summary_update(thread, summary, through, now)
            if fields is None:
                return False
            _write(thread, fields)
            self._threads[thread_id] = _scrubbed(thread)
            return True

    def fork_thread(self, thread_id: str, fork: ThreadRecord, through: int) -> ThreadRecord:
        with self._lock:
            source = self._thread(thread_id)
            if fork.id in self._threads:
                raise UsageError(f"thread {fork.id!r} already exists")
            thread, copies = thread_rules.forked(
                source, fork, self._thread_messages[thread_id], through
            )
            self._threads[thread.id] = _scrubbed(thread)
            self._thread_messages[thread.id] = copies
            return _copy(thread)

    # -- memories -------------------------------------------------------------

    def put_memories(self, memories: list[MemoryRecord]) -> None:
        with self._lock:
            for namespace in {m.namespace for m in memories}:
                self._generations[namespace] = self._generations.get(namespace, 0) + 1
            for memory in memories:
                existing = self._memories.get((memory.namespace, memory.key))
                record = _scrubbed(memory)
                if existing is not None:
                    record.created_at = existing.created_at
                self._memories[(memory.namespace, memory.key)] = record

    def get_memory(self, namespace: str, key: str) -> MemoryRecord | None:
        with self._lock:
            memory = self._memories.get((namespace, key))
            return None if memory is None else _copy(memory)

    def delete_memory(self, namespace: str, key: str) -> bool:
        with self._lock:
            if self._memories.pop((namespace, key), None) is None:
                return False
            self._generations[namespace] = self._generations.get(namespace, 0) + 1
            return True

    def memory_generation(self, namespace: str) -> int:
        with self._lock:
            return self._generations.get(namespace, 0)

    def list_memories(self, namespace: str) -> list[MemoryRecord]:
        with self._lock:
            found = [m for (ns, _), m in self._memories.items() if ns == namespace]
            # copy.copy, not dataclasses.replace: a search copies every row of a namespace.
            return [copy.copy(m) for m in sorted(found, key=lambda m: m.key)]


def _write(record: object, fields: dict[str, Any]) -> None:
    for name, value in fields.items():
        setattr(record, name, value)
