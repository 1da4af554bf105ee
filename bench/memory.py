"""agentkit.memory, measured: thread load and window, long-term memory search.

Prints:
  - loading a 1,000-message thread from SQLite (what ``agent.run(thread=)``'s
    load step does: rows to ``Message`` objects), ms;
  - windowing it with ``TokenWindow`` (exact o200k counts), ms;
  - ``search`` over 10,000 memories (256-dim vectors) with the numpy cosine
    scan, ms, on SQLite and in memory (vectors cached between searches), the
    first search after a write (the namespace's rows reloaded), against the
    floor of a numpy scan over a matrix already in memory;
  - whether sqlite-vec could be used (it needs a Python whose sqlite3 can load
    extensions).

    python bench/memory.py
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
from pathlib import Path

import numpy as np

from agentkit import AgentKit, ManualClock
from agentkit.memory import InMemoryMemoryStore, MemoryStore, SQLMemoryStore, TokenWindow
from agentkit.models import HashEmbedder, Message, ToolCallPart, ToolResultPart
from agentkit.store import MemoryRecord, SQLStore

REPEATS = 7
DIM = 256


def best_ms(fn: object, repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append((time.perf_counter() - started) * 1000)
    return min(times)


def conversation(n: int) -> list[Message]:
    messages: list[Message] = []
    i = 0
    while len(messages) < n:
        messages.append(Message.user(f"Question {i}: what about durable step number {i}?"))
        call = ToolCallPart.from_arguments(f"c{i}", "lookup", {"key": f"step {i}"})
        messages.append(Message(role="assistant", parts=[call]))
        messages.append(
            Message(
                role="tool",
                parts=[ToolResultPart(tool_call_id=f"c{i}", name="lookup", content="ok " * 20)],
            )
        )
        messages.append(Message.assistant(f"Step {i} is journaled before the code goes on."))
        i += 1
    return messages[:n]


def thread_bench(folder: Path) -> None:
    kit = AgentKit(f"sqlite:///{folder}/threads.db", clock=ManualClock())
    thread = kit.threads.create()
    messages = conversation(1000)
    kit.threads.append(thread.id, messages)
    store = kit.store

    def load() -> list[Message]:
        return [
            Message.model_validate_json(r.message) for r in store.list_thread_messages(thread.id)
        ]

    loaded = load()
    assert len(loaded) == 1000
    window = TokenWindow(8_000, reserve_output=1_000)
    full = [Message.system("You are helpful."), *loaded]
    kept = window.apply(full, "gpt-4o")
    print(f"thread load, 1,000 messages (SQLite):   {best_ms(load):7.1f} ms")
    window_ms = best_ms(lambda: window.apply(full, "gpt-4o"))
    print(
        f"TokenWindow over 1,001 messages:         {window_ms:7.1f} ms"
        f"  (kept {len(kept)} within 7,000 tokens)"
    )
    kit.close()


def records(n: int, rng: np.random.Generator) -> list[MemoryRecord]:
    vectors = rng.normal(size=(n, DIM)).astype(np.float32)
    return [
        MemoryRecord(
            namespace="bench",
            key=f"k{i:05d}",
            text=f"fact {i}",
            metadata=f'{{"group": {i % 5}}}',
            embedding=vectors[i].tobytes(),
            created_at=0.0,
            updated_at=0.0,
        )
        for i in range(n)
    ]


def search_ms(store: MemoryStore, query: list[float]) -> float:
    return best_ms(lambda: store.nearest("bench", query, 10, None), repeats=5)


def search_bench(folder: Path) -> None:
    rng = np.random.default_rng(1)
    rows = records(10_000, rng)
    query = [float(x) for x in rng.normal(size=DIM)]
    sql = SQLMemoryStore(SQLStore(f"sqlite:///{folder}/memories.db"), HashEmbedder())
    sql.write(rows)
    in_memory = InMemoryMemoryStore(HashEmbedder())
    in_memory.write(rows)
    matrix = np.frombuffer(b"".join(r.embedding for r in rows), dtype=np.float32).reshape(-1, DIM)
    q = np.asarray(query, dtype=np.float32)
    floor = best_ms(lambda: np.argpartition(-(matrix @ q), 10)[:10])
    sqlite_ms = search_ms(sql, query)
    memory_ms = search_ms(in_memory, query)
    filtered = best_ms(lambda: sql.nearest("bench", query, 10, {"group": 2}), repeats=5)

    def reload_and_search() -> None:
        sql.write(rows[:1])  # any write moves the namespace's counter: the next search reloads
        sql.nearest("bench", query, 10, None)

    write_ms = best_ms(lambda: sql.write(rows[:1]), repeats=5)
    reload_ms = best_ms(reload_and_search, repeats=3) - write_ms
    print(f"search 10,000 memories, SQLite + numpy:  {sqlite_ms:7.1f} ms  (vectors cached)")
    print(f"  first search after a write (reload):   {reload_ms:7.1f} ms")
    print(f"  with a metadata filter (2,000 match):  {filtered:7.1f} ms")
    print(f"search 10,000 memories, in memory:       {memory_ms:7.1f} ms")
    print(f"numpy scan alone (matrix in memory):     {floor:7.2f} ms")
    print(f"ratio SQLite search / numpy scan:        {sqlite_ms / floor:7.0f}x")
    sql.store.close()
    probe = sqlite3.connect(":memory:")
    loadable = hasattr(probe, "enable_load_extension")
    probe.close()
    print(
        "sqlite-vec: "
        + (
            "this Python can load SQLite extensions, but agentkit does not use sqlite-vec yet"
            if loadable
            else "not measured: this Python's sqlite3 cannot load extensions"
        )
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        thread_bench(folder)
        search_bench(folder)


if __name__ == "__main__":
    main()
