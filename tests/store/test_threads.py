"""Threads and memories in the Store contract, on every implementation."""

from __future__ import annotations

import pytest

from agentkit.errors import ThreadNotFound, UsageError
from agentkit.store import MemoryRecord, Store, ThreadRecord
from tests.store.records import NOW


def thread(thread_id: str = "t1", **fields: object) -> ThreadRecord:
    values: dict[str, object] = {"created_at": NOW, "updated_at": NOW, **fields}
    return ThreadRecord(id=thread_id, **values)  # type: ignore[arg-type]  # test shorthand


def texts(store: Store, thread_id: str, **page: int) -> list[str]:
    return [m.message for m in store.list_thread_messages(thread_id, **page)]


def test_create_get_list_delete(store: Store) -> None:
    store.create_thread(thread("a", metadata='{"user": "u1"}'))
    store.create_thread(thread("b", updated_at=NOW + 1))
    got = store.get_thread("a")
    assert got is not None
    assert (got.metadata, got.message_count, got.summary) == ('{"user": "u1"}', 0, None)
    assert [t.id for t in store.list_threads()] == ["b", "a"]
    assert [t.id for t in store.list_threads(limit=1)] == ["b"]
    with pytest.raises(UsageError, match="thread 'a' already exists"):
        store.create_thread(thread("a"))
    store.append_thread_messages("a", ['"m0"'], "w", NOW)
    assert store.delete_thread("a") is True
    assert store.delete_thread("a") is False
    assert store.get_thread("a") is None
    assert store.list_thread_messages("a") == []


def test_append_is_once_per_write_key(store: Store) -> None:
    store.create_thread(thread())
    first = store.append_thread_messages("t1", ['"a"', '"b"'], "run1/save", NOW)
    again = store.append_thread_messages("t1", ['"a"', '"b"'], "run1/save", NOW + 5)
    store.append_thread_messages("t1", ['"c"'], "run2/save", NOW + 1)
    assert [m.seq for m in first] == [0, 1]
    assert [m.id for m in again] == [m.id for m in first]
    assert texts(store, "t1") == ['"a"', '"b"', '"c"']
    got = store.get_thread("t1")
    assert got is not None
    assert (got.message_count, got.updated_at) == (3, NOW + 1)
    with pytest.raises(ThreadNotFound, match="no thread with id 'nope'"):
        store.append_thread_messages("nope", ['"x"'], "k", NOW)


def test_message_pages(store: Store) -> None:
    store.create_thread(thread())
    store.append_thread_messages("t1", [f'"{i}"' for i in range(6)], "w", NOW)
    assert texts(store, "t1", limit=2) == ['"4"', '"5"']
    assert texts(store, "t1", limit=2, before=3) == ['"1"', '"2"']
    assert texts(store, "t1", before=2) == ['"0"', '"1"']
    assert texts(store, "t1", limit=0) == []
    last = store.list_thread_messages("t1")[-1]
    assert store.get_thread_message(last.id) == last
    assert store.get_thread_message("missing") is None


def test_summary_only_moves_forward(store: Store) -> None:
    store.create_thread(thread())
    assert store.set_thread_summary("t1", "first four", 4, NOW + 1) is True
    assert store.set_thread_summary("t1", "first two", 2, NOW + 2) is False
    assert store.set_thread_summary("t1", "first four again", 4, NOW + 2) is False
    got = store.get_thread("t1")
    assert got is not None
    assert (got.summary, got.summary_through) == ("first four", 4)


def test_fork_copies_a_prefix(store: Store) -> None:
    store.create_thread(thread())
    store.append_thread_messages("t1", ['"0"', '"1"', '"2"', '"3"'], "w", NOW)
    store.set_thread_summary("t1", "two", 2, NOW)
    fork = store.fork_thread("t1", thread("f", forked_at="m"), 3)
    assert (fork.message_count, fork.summary, fork.forked_from) == (3, "two", "t1")
    assert texts(store, "f") == ['"0"', '"1"', '"2"']
    short = store.fork_thread("t1", thread("g"), 1)
    assert (short.summary, short.summary_through) == (None, 0)
    store.append_thread_messages("f", ['"x"'], "w", NOW)
    assert texts(store, "f")[-1] == '"x"'
    assert texts(store, "t1")[-1] == '"3"'
    with pytest.raises(ThreadNotFound):
        store.fork_thread("nope", thread("h"), 1)


def memory(key: str, text: str = "fact", namespace: str = "ns", at: float = NOW) -> MemoryRecord:
    return MemoryRecord(
        namespace=namespace,
        key=key,
        text=text,
        metadata='{"k": 1}',
        embedding=b"\x00\x00\x80\x3f",
        created_at=at,
        updated_at=at,
    )


def test_memories(store: Store) -> None:
    assert store.memory_generation("ns") == 0
    store.put_memories([memory("b"), memory("a")])
    assert store.memory_generation("ns") == 1
    store.put_memories([memory("a", namespace="other")])
    store.put_memories([memory("b", text="newer", at=NOW + 1), memory("c", at=NOW + 1)])
    store.put_memories([])
    got = store.get_memory("ns", "b")
    assert got is not None
    assert (got.text, got.created_at, got.updated_at, got.embedding) == (
        "newer",
        NOW,
        NOW + 1,
        b"\x00\x00\x80\x3f",
    )
    assert [m.key for m in store.list_memories("ns")] == ["a", "b", "c"]
    assert store.memory_generation("ns") == 2
    assert store.delete_memory("ns", "a") is True
    assert store.delete_memory("ns", "a") is False
    assert (store.memory_generation("ns"), store.memory_generation("other")) == (3, 1)
    assert [m.key for m in store.list_memories("ns")] == ["b", "c"]
    assert [m.key for m in store.list_memories("other")] == ["a"]
    assert store.get_memory("ns", "a") is None
