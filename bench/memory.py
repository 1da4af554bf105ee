"""agentkit.memory, measured: thread load and window, long-term memory search.

Prints:
  - loading a 1,000-message thread from SQLite (what ``agent.run(thread=)``'s
    load step does: rows to ``Message`` objects), ms;
  - windowing it with ``TokenWindow`` (exact o200k counts), ms;
  - ``search`` over 10,000 memories (256-dim vectors, top 10), ms, with and
    without a metadata filter, on each backend available: SQLite with the
    numpy scan (vectors cached between searches; and the first search after a
    write, when the namespace's rows are reloaded), SQLite with sqlite-vec (in
    SQL, nothing cached), in memory, and PostgreSQL with numpy and with
    pgvector when AGENTKIT_BENCH_POSTGRES_URL (or AGENTKIT_TEST_POSTGRES_URL)
    is set (it writes a "bench" namespace there and deletes it after); each
    against the floor of a numpy scan over a matrix already in memory.

    python bench/memory.py
"""

from __future__ import annotations

import os
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


def search_ms(
    store: MemoryStore, query: list[float], filter: dict[str, int] | None = None
) -> float:
    return best_ms(lambda: store.nearest("bench", query, 10, filter), repeats=5)


def measure(name: str, store: SQLMemoryStore, query: list[float], floor: float) -> float:
    plain = search_ms(store, query)
    filtered = search_ms(store, query, {"group": 2})
    print(
        f"search 10,000 memories, {name + ':':<24}{plain:7.1f} ms"
        f"  (filter, 2,000 match: {filtered:6.1f} ms; {plain / floor:5.0f}x the numpy scan)"
    )
    return plain


def search_bench(folder: Path) -> None:
    rng = np.random.default_rng(1)
    rows = records(10_000, rng)
    query = [float(x) for x in rng.normal(size=DIM)]
    matrix = np.frombuffer(b"".join(r.embedding for r in rows), dtype=np.float32).reshape(-1, DIM)
    q = np.asarray(query, dtype=np.float32)
    floor = best_ms(lambda: np.argpartition(-(matrix @ q), 10)[:10])
    print(f"numpy scan alone (matrix in memory):      {floor:7.2f} ms")

    sqlite = SQLStore(f"sqlite:///{folder}/memories.db")
    numpy_sql = SQLMemoryStore(sqlite, HashEmbedder(), backend="numpy")
    numpy_sql.write(rows)
    numpy_ms = measure("SQLite + numpy", numpy_sql, query, floor)

    def reload_and_search() -> None:
        numpy_sql.write(rows[:1])  # any write moves the namespace's counter: the search reloads
        numpy_sql.nearest("bench", query, 10, None)

    write_ms = best_ms(lambda: numpy_sql.write(rows[:1]), repeats=5)
    reload_ms = best_ms(reload_and_search, repeats=3) - write_ms
    print(f"  numpy: first search after a write (reload): {reload_ms:5.1f} ms")
    auto = SQLMemoryStore(sqlite, HashEmbedder())
    if auto.backend == "sqlite-vec":
        vec_ms = measure("SQLite + sqlite-vec", auto, query, floor)
        print(f"ratio sqlite-vec / numpy (cached), SQLite: {vec_ms / numpy_ms:6.2f}x")
    else:
        print("sqlite-vec: not available here (pip install 'agentkit[sqlite-vec]')")
    in_memory = InMemoryMemoryStore(HashEmbedder())
    in_memory.write(rows)
    print(f"search 10,000 memories, {'in memory:':<24}{search_ms(in_memory, query):7.1f} ms")
    sqlite.close()
    postgres_bench(rows, query, floor)


def postgres_bench(rows: list[MemoryRecord], query: list[float], floor: float) -> None:
    url = os.environ.get("AGENTKIT_BENCH_POSTGRES_URL") or os.environ.get(
        "AGENTKIT_TEST_POSTGRES_URL"
    )
    if not url:
        print("PostgreSQL: not measured (set AGENTKIT_BENCH_POSTGRES_URL)")
        return
    store = SQLStore(url, auto_migrate=True)
    try:
        numpy_pg = SQLMemoryStore(store, HashEmbedder(), backend="numpy")
        started = time.perf_counter()
        numpy_pg.write(rows)
        write_s = time.perf_counter() - started
        auto = SQLMemoryStore(store, HashEmbedder())
        print(f"PostgreSQL: wrote 10,000 memories in {write_s:.1f} s (backend {auto.backend})")
        numpy_ms = measure("PostgreSQL + numpy", numpy_pg, query, floor)
        if auto.backend == "pgvector":
            pg_ms = measure("PostgreSQL + pgvector", auto, query, floor)
            print(f"ratio pgvector / numpy (cached), PG:     {pg_ms / numpy_ms:6.2f}x")
    finally:
        for record in rows:  # the bench's namespace only
            store.delete_memory(record.namespace, record.key)
        store.close()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        thread_bench(folder)
        search_bench(folder)


if __name__ == "__main__":
    main()
