"""MemoryStore: every backend returns the numpy reference's top-k; put/get/delete; filters."""

from __future__ import annotations

import itertools
import json
import random
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentkit import ConfigError
from agentkit.memory import InMemoryMemoryStore, MemoryStore, SQLMemoryStore
from agentkit.models import Embedder, Embeddings, HashEmbedder, RawExchange
from agentkit.store import InMemoryStore, MemoryRecord
from tests.conftest import make_store

DIM = 24


class TableEmbedder(Embedder):
    """Query texts of the form ``q<n>`` map to fixed random vectors; counts its calls."""

    provider = "table"

    def __init__(self, seed: int = 7) -> None:
        super().__init__("table")
        self.rng = np.random.default_rng(seed)
        self.table: dict[str, list[float]] = {}
        self.calls = 0

    def vector(self, text: str) -> list[float]:
        if text not in self.table:
            self.table[text] = [float(x) for x in self.rng.normal(size=DIM)]
        return self.table[text]

    async def call(self, texts: list[str]) -> RawExchange:
        self.calls += 1
        data = [{"index": i, "embedding": self.vector(t)} for i, t in enumerate(texts)]
        return RawExchange(
            provider=self.provider,
            model=self.model_name,
            request_body={"input": texts},
            response_body={"data": data},
        )

    def parse(self, raw: RawExchange) -> Embeddings:
        assert raw.response_body is not None
        items = sorted(raw.response_body["data"], key=lambda d: d["index"])
        return Embeddings(vectors=[d["embedding"] for d in items], model=raw.model)


# Every search backend: (store kind, SQLMemoryStore backend). The extensions
# are in [dev]; .ci/postgres.sh builds pgvector into the test server.
MEMORY_KINDS = {
    "sqlite-numpy": ("sqlite", "numpy"),
    "sqlite-vec": ("sqlite", "sqlite-vec"),
    "memory": ("memory", "numpy"),
    "postgres-numpy": ("postgres", "numpy"),
    "postgres-pgvector": ("postgres", "pgvector"),
}


def make_memory(kind: str, tmp_path: Path, embedder: Embedder) -> MemoryStore:
    if kind == "memory":
        return InMemoryMemoryStore(embedder)
    store_kind, backend = MEMORY_KINDS[kind]
    store = make_store(store_kind, tmp_path)
    try:
        memory = SQLMemoryStore(store, embedder, backend=backend)
    except ConfigError:
        store.close()
        raise
    assert memory.backend == backend
    return memory


@pytest.fixture(params=list(MEMORY_KINDS))
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def table() -> TableEmbedder:
    return TableEmbedder()


@pytest.fixture
def memories(kind: str, tmp_path: Path, table: TableEmbedder) -> Iterator[MemoryStore]:
    store = make_memory(kind, tmp_path, table)
    yield store
    if isinstance(store, SQLMemoryStore):
        store.store.close()


def reference_top_k(
    vectors: dict[str, np.ndarray],
    groups: dict[str, int],
    query: np.ndarray,
    k: int,
    group: int | None,
) -> list[tuple[str, float]]:
    """Brute force in float64: cosine of every kept vector, best first, ties by key."""
    keys = [key for key in vectors if group is None or groups[key] == group]
    matrix = np.stack([vectors[key] for key in keys]).astype(np.float64)
    cosines = matrix @ query / (np.linalg.norm(matrix, axis=1) * np.linalg.norm(query))
    scored = sorted(zip(keys, cosines.tolist(), strict=True), key=lambda kv: (-kv[1], kv[0]))
    return scored[:k]


async def test_top_k_matches_brute_force_over_10000_vectors(
    memories: MemoryStore, table: TableEmbedder
) -> None:
    rng = np.random.default_rng(11)
    vectors = {f"k{i:05d}": rng.normal(size=DIM).astype(np.float32) for i in range(10_000)}
    groups = {key: i % 5 for i, key in enumerate(vectors)}
    records = [
        MemoryRecord(
            namespace="ns",
            key=key,
            text=f"fact {key}",
            metadata=f'{{"group": {groups[key]}}}',
            embedding=vector.tobytes(),
            created_at=1.0,
            updated_at=1.0,
        )
        for key, vector in vectors.items()
    ]
    memories.write(records)
    memories.write([records[0]])  # another namespace's rows never show up
    for key in random.Random(3).sample(sorted(vectors), 700):
        assert await memories.delete("ns", key) is True
        del vectors[key]
    for n in range(4):
        query = f"q{n}"
        for k, group in ((1, None), (10, None), (25, 2)):
            found = await memories.search(
                "ns", query, k, {"group": group} if group is not None else None
            )
            expected = reference_top_k(
                vectors,
                groups,
                np.asarray(table.vector(query)),
                k,
                group,
            )
            assert len(found) == len(expected) == k
            # Same keys in the same order; float32 vs float64 only moves exact near-ties.
            for got, (key, score) in zip(found, expected, strict=True):
                assert got.score == pytest.approx(score, abs=1e-5)
                if got.key != key:
                    assert abs(vectors_score(vectors, got.key, table, query) - score) < 1e-5
            assert {m.metadata["group"] for m in found} <= (
                {group} if group is not None else set(range(5))
            )


def vectors_score(
    vectors: dict[str, np.ndarray], key: str, table: TableEmbedder, query: str
) -> float:
    v = vectors[key].astype(np.float64)
    q = np.asarray(table.vector(query))
    return float(v @ q / (np.linalg.norm(v) * np.linalg.norm(q)))


async def test_put_get_replace_delete(memories: MemoryStore) -> None:
    first = await memories.put("u1", "color", "Ada likes green.", {"topic": "taste"})
    assert (first.key, first.text, first.metadata) == (
        "color",
        "Ada likes green.",
        {"topic": "taste"},
    )
    again = await memories.put("u1", "color", "Ada likes blue now.")
    got = await memories.get("u1", "color")
    assert got is not None
    assert (got.text, got.metadata, got.created_at) == ("Ada likes blue now.", {}, first.created_at)
    assert again.updated_at >= first.updated_at
    assert await memories.get("u2", "color") is None
    assert [m.key for m in await memories.search("u1", "anything", 3)] == ["color"]
    assert await memories.search("u2", "anything", 3) == []
    assert await memories.delete("u1", "color") is True
    assert await memories.delete("u1", "color") is False
    assert await memories.search("u1", "anything", 3) == []


async def test_hash_embedder_recalls_by_shared_words(kind: str, tmp_path: Path) -> None:
    store = make_memory(kind, tmp_path, HashEmbedder())
    await store.put("u", "a", "Ada's favourite colour is green.")
    await store.put("u", "b", "The deploy runs every Friday at noon.")
    await store.put("u", "c", "Ada works on the compiler team.")
    found = await store.search("u", "What is the favourite colour of Ada?", 2)
    if isinstance(store, SQLMemoryStore):
        store.store.close()
    assert [m.key for m in found] == ["a", "c"]
    assert (found[0].score or 0) > (found[1].score or 0)


async def test_bad_input_is_named() -> None:
    store = InMemoryMemoryStore(HashEmbedder())
    with pytest.raises(ConfigError, match="memory namespace must be a non-empty string"):
        await store.put("", "k", "t")
    with pytest.raises(ConfigError, match="memory text must be a non-empty string"):
        await store.put("n", "k", "")
    with pytest.raises(ConfigError, match="search k must be an int >= 1"):
        await store.search("n", "q", 0)
    with pytest.raises(ConfigError, match="JSON-serializable"):
        await store.put("n", "k", "t", {"x": object()})
    with pytest.raises(ConfigError, match=r"needs an agentkit\.models\.Embedder"):
        InMemoryMemoryStore("openai")  # type: ignore[arg-type]
    other = InMemoryMemoryStore(HashEmbedder(16))
    other.store = store.store  # type: ignore[attr-defined]
    await store.put("n", "k", "text")
    with pytest.raises(ConfigError, match="vectors of another embedder"):
        await other.search("n", "q", 1)


@pytest.mark.parametrize("backend", ["numpy", "sqlite-vec"])
async def test_cached_vectors_follow_writes_of_another_process(
    tmp_path: Path, backend: str
) -> None:
    url = f"sqlite:///{tmp_path}/shared.db"
    embedder = HashEmbedder()
    reader = SQLMemoryStore(url, embedder, backend=backend)
    writer = SQLMemoryStore(url, embedder)  # another process, as far as the cache knows
    await writer.put("u", "a", "Ada's favourite colour is green.")
    assert [m.key for m in await reader.search("u", "favourite colour", 5)] == ["a"]
    await writer.put("u", "b", "Bob's favourite colour is red.")
    assert sorted(m.key for m in await reader.search("u", "favourite colour", 5)) == ["a", "b"]
    await writer.delete("u", "a")
    assert [m.key for m in await reader.search("u", "favourite colour", 5)] == ["b"]
    await writer.put("u", "b", "Bob now prefers tea.")
    assert [m.text for m in await reader.search("u", "tea", 5)] == ["Bob now prefers tea."]
    for store in (reader, writer):
        store.store.close()


def record(key: str, metadata: str, vector: np.ndarray, namespace: str = "f") -> MemoryRecord:
    return MemoryRecord(
        namespace=namespace,
        key=key,
        text=f"fact {key}",
        metadata=metadata,
        embedding=vector.astype(np.float32).tobytes(),
        created_at=1.0,
        updated_at=1.0,
    )


# Metadata of every JSON kind, and filters whose answer Python's == decides
# (1 == 1.0 == True, "1" != 1, None only for a present null, lists by value).
FILTER_METADATA = [
    '{"tag": "a"}',
    '{"tag": 1}',
    '{"tag": true}',
    '{"tag": 1.0}',
    '{"tag": null}',
    "{}",
    '{"tag": "1"}',
    '{"tag": [1, 2]}',
    '{"tag": 0}',
    '{"tag": false}',
    '{"a.b": "x", "tag": 2.5}',
    '{"tag": 2.5, "other": 2}',
    '{"tag": {"nested": 1}}',
    '{"tag": "it\'s \\"quoted\\""}',
    '{"tag": NaN, "other": 2}',  # json.dumps writes these; PostgreSQL's jsonb refuses them
    '{"tag": Infinity}',
]
FILTERS: list[dict[str, object] | None] = [
    None,
    {"tag": "a"},
    {"tag": 1},
    {"tag": True},
    {"tag": 1.0},
    {"tag": None},
    {"tag": "1"},
    {"tag": [1, 2]},
    {"tag": 0},
    {"tag": False},
    {"tag": 2.5},
    {"a.b": "x"},
    {"missing": None},
    {"tag": 2.5, "other": 2},
    {"tag": {"nested": 1}},
    {"tag": 'it\'s "quoted"'},
    {'we"ird': 1},
    {"other": 2},
    {"tag": float("inf")},
    {"tag": float("nan")},
]


async def test_filters_and_zero_vectors_match_the_numpy_reference(
    memories: MemoryStore, table: TableEmbedder
) -> None:
    rng = np.random.default_rng(5)
    rows = [
        record(f"m{i:03d}", FILTER_METADATA[i % len(FILTER_METADATA)], rng.normal(size=DIM))
        for i in range(140)
    ]
    rows.append(record("zero", '{"tag": "a"}', np.zeros(DIM)))  # numpy scores it 0
    reference = InMemoryMemoryStore(table)
    for store in (memories, reference):
        store.write(rows)
    for filter in FILTERS:
        for query in ("q1", "q2"):
            got = await memories.search("f", query, 200, filter)
            want = await reference.search("f", query, 200, filter)
            assert [m.key for m in got] == [m.key for m in want], filter
            assert [m.score for m in got] == pytest.approx([m.score for m in want], abs=1e-5)
    assert {m.key for m in await reference.search("f", "q1", 200, {"tag": 1})} == {
        r.key for r in rows if r.metadata in ('{"tag": 1}', '{"tag": true}', '{"tag": 1.0}')
    }
    zero = [m for m in await memories.search("f", "q1", 200, {"tag": "a"}) if m.key == "zero"]
    assert zero and zero[0].score == pytest.approx(0.0, abs=1e-6)


async def test_a_query_of_another_embedders_width_is_named(
    kind: str, tmp_path: Path, table: TableEmbedder
) -> None:
    store = make_memory(kind, tmp_path, table)
    store.write([record("k", "{}", np.ones(DIM))])
    narrow = make_memory_like(store, HashEmbedder(16))
    try:
        with pytest.raises(ConfigError, match="vectors of another embedder"):
            await narrow.search("f", "q", 1)
        with pytest.raises(ConfigError, match="vectors of another embedder"):
            await narrow.search("f", "q", 1, {"tag": 1})
    finally:
        if isinstance(store, SQLMemoryStore):
            store.store.close()


def make_memory_like(store: MemoryStore, embedder: Embedder) -> MemoryStore:
    """Another MemoryStore on the same records and the same backend."""
    if isinstance(store, SQLMemoryStore):
        return SQLMemoryStore(store.store, embedder, backend=store.backend)
    other = InMemoryMemoryStore(embedder)
    other.store = store.store  # type: ignore[attr-defined]
    return other


def test_backend_rule(tmp_path: Path) -> None:
    embedder = HashEmbedder()
    on_file = SQLMemoryStore(f"sqlite:///{tmp_path}/m.db", embedder)
    assert on_file.backend == "sqlite-vec"  # [dev] installs sqlite-vec and sqlean.py
    assert SQLMemoryStore(f"sqlite:///{tmp_path}/m.db", embedder, backend="numpy").backend == (
        "numpy"
    )
    private = SQLMemoryStore("sqlite://", embedder)  # no second connection can see it
    assert private.backend == "numpy"
    assert InMemoryMemoryStore(embedder).backend == "numpy"
    fake = InMemoryStore()  # the Store boundary's default: no extension, numpy ranks
    assert fake.memory_search_backend() is None
    assert fake.nearest_memories("f", [1.0], 1, None) is None
    with pytest.raises(ConfigError, match="memory backend 'pgvector' is not available"):
        SQLMemoryStore(on_file.store, embedder, backend="pgvector")
    with pytest.raises(ConfigError, match="memory backend 'sqlite-vec' is not available"):
        SQLMemoryStore(private.store, embedder, backend="sqlite-vec")
    with pytest.raises(ConfigError, match="memory backend must be one of"):
        SQLMemoryStore(on_file.store, embedder, backend="faiss")
    with pytest.raises(ConfigError, match="memory backend 'pgvector' is not available"):
        SQLMemoryStore(f"sqlite:///{tmp_path}/m.db", embedder, backend="pgvector")
    for store in (on_file, private):
        store.store.close()


def test_postgres_takes_pgvector_when_the_server_has_it(tmp_path: Path) -> None:
    store = make_store("postgres", tmp_path)
    try:
        # .ci/postgres.sh builds pgvector into the test server and creates the extension.
        assert SQLMemoryStore(store, HashEmbedder()).backend == "pgvector"
    finally:
        store.close()


# Property: on random metadata and filters every backend ranks like numpy.
_VALUES = st.sampled_from(
    [0, 1, 2, 1.0, 2.5, True, False, None, "a", "1", "", [1], {"x": 1}, float("nan"), float("inf")]
)
_KEYS = st.sampled_from(["tag", "n", "a.b", "x y"])
_namespaces = itertools.count()


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    metadata=st.lists(st.dictionaries(_KEYS, _VALUES, max_size=3), min_size=1, max_size=30),
    filter=st.one_of(st.none(), st.dictionaries(_KEYS, _VALUES, max_size=2)),
    k=st.integers(1, 40),
    seed=st.integers(0, 2**16),
)
def test_any_filter_ranks_like_numpy(
    memories: MemoryStore,
    metadata: list[dict[str, object]],
    filter: dict[str, object] | None,
    k: int,
    seed: int,
) -> None:
    rng = np.random.default_rng(seed)
    namespace = f"p{next(_namespaces)}"
    rows = [
        record(f"r{i:02d}", json.dumps(meta), rng.normal(size=DIM), namespace)
        for i, meta in enumerate(metadata)
    ]
    reference = InMemoryMemoryStore(HashEmbedder())
    for store in (memories, reference):
        store.write(rows)
    query = [float(x) for x in rng.normal(size=DIM)]
    got = memories.nearest(namespace, query, k, filter)
    want = reference.nearest(namespace, query, k, filter)
    assert [m.key for m in got] == [m.key for m in want]
    assert [m.score for m in got] == pytest.approx([m.score for m in want], abs=1e-5)
