"""`MemoryStore`: long-term facts an agent remembers across runs, searched by embedding.

One small ABC: ``put``, ``get``, ``search``, ``delete``. The embedding and
the durability are handled here once: given a run's ``ctx``, the embedding
call is a ``ctx.step.infer`` step (its raw exchange stored like a completion,
replayed without a request) and the write or the search a ``ctx.step.run``
step, so a ``remember`` inside a crashed and resumed run is stored once and a
replayed ``recall`` returns what it returned the first time. Without ``ctx``
(scripts, tests) the embedder is called directly.

Implementations keep records (`agentkit.store.MemoryRecord`, embeddings as
float32 bytes) and find the nearest ones: `SQLMemoryStore` in the run
database (SQLite or PostgreSQL, tables beside the runs), `InMemoryMemoryStore`
in the process. Every backend is exact (the same top k as a brute-force
cosine scan, ties by key): `SQLMemoryStore` ranks inside the database with
sqlite-vec or pgvector when it can (``store.backend`` says which, see
`SQLMemoryStore`), else, like `InMemoryMemoryStore`, with a numpy cosine scan
over the namespace's vectors, kept in memory between searches until the
namespace changes.
"""

from __future__ import annotations

import json
import threading
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from agentkit.errors import ConfigError
from agentkit.models import Embedder, EmbeddingRequest
from agentkit.store import InMemoryStore, MemoryRecord, Store
from agentkit.store._limits import MAX_KEY_LENGTH, MAX_NAME_LENGTH

if TYPE_CHECKING:
    from agentkit.durable import Context

__all__ = ["InMemoryMemoryStore", "Memory", "MemoryStore", "SQLMemoryStore", "StoreBackedMemory"]


class Memory(BaseModel):
    """One remembered fact.

    Attributes:
        namespace: Whose memory it is (a user, a project, an agent).
        key: Its id within the namespace; a put with the same key replaces it.
        text: The fact.
        metadata: A JSON object kept with it, usable in search filters.
        score: Cosine similarity to the query, on search results only.
    """

    model_config = ConfigDict(frozen=True)

    namespace: str
    key: str
    text: str
    metadata: dict[str, Any]
    created_at: float
    updated_at: float
    score: float | None = None


def _numpy() -> Any:
    try:
        import numpy
    except ImportError as exc:
        raise ConfigError(
            "agentkit.memory's MemoryStore needs numpy: pip install 'agentkit[memory]'"
        ) from exc
    return numpy


def _check_name(what: str, value: object, limit: int) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"a memory {what} must be a non-empty string, got {value!r}")
    if len(value) > limit:
        raise ConfigError(f"memory {what} {value[:20]!r}... is longer than {limit} characters")
    return value


def _metadata_json(metadata: Mapping[str, Any] | None) -> str:
    if metadata is None:
        return "{}"
    if not isinstance(metadata, Mapping):
        raise ConfigError(f"memory metadata must be a mapping, got {type(metadata).__name__}")
    try:
        return json.dumps(dict(metadata), sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"memory metadata must be JSON-serializable: {exc}") from exc


def matches(metadata: Mapping[str, Any], filter: Mapping[str, Any] | None) -> bool:
    """Whether ``metadata`` has every key of ``filter`` with an equal value."""
    if not filter:
        return True
    return all(key in metadata and metadata[key] == value for key, value in filter.items())


def memory_of(record: MemoryRecord, score: float | None = None) -> Memory:
    """The `Memory` a store record holds."""
    return Memory(
        namespace=record.namespace,
        key=record.key,
        text=record.text,
        metadata=json.loads(record.metadata),
        created_at=record.created_at,
        updated_at=record.updated_at,
        score=score,
    )


@dataclass(frozen=True)
class VectorIndex:
    """A namespace's rows with their vectors as one float32 matrix, ready to scan.

    ``generation`` is the store's change counter the rows were read at.
    """

    generation: int
    records: list[MemoryRecord]
    metadata: list[dict[str, Any]]
    matrix: Any  # numpy float32 array, one row per record
    norms: Any  # numpy float32 array: each row's length

    @classmethod
    def build(cls, records: list[MemoryRecord], generation: int = 0) -> VectorIndex:
        """Index ``records`` (their embeddings must all have one length)."""
        np = _numpy()
        flat = np.frombuffer(b"".join(r.embedding for r in records), dtype=np.float32)
        width = flat.size // len(records) if records else 0
        if records and flat.size != width * len(records):
            raise ConfigError(
                "memory embeddings of one namespace have different lengths: it holds "
                "vectors of more than one embedder"
            )
        matrix = flat.reshape(len(records), width)
        return cls(
            generation=generation,
            records=records,
            metadata=[json.loads(r.metadata) for r in records],
            matrix=matrix,
            norms=np.linalg.norm(matrix, axis=1) if records else np.zeros(0, dtype=np.float32),
        )

    def search(self, query: list[float], k: int, filter: Mapping[str, Any] | None) -> list[Memory]:
        """The ``k`` records nearest ``query`` by cosine (ties by key), filtered first."""
        np = _numpy()
        if not self.records or k <= 0:
            return []
        if len(query) != self.matrix.shape[1]:
            raise ConfigError(
                f"the query's embedding has {len(query)} dimensions, the stored memories "
                f"{self.matrix.shape[1]}: the namespace holds vectors of another embedder"
            )
        vector = np.asarray(query, dtype=np.float32)
        rows = (
            np.asarray([i for i, meta in enumerate(self.metadata) if matches(meta, filter)])
            if filter
            else np.arange(len(self.records))
        )
        if rows.size == 0:
            return []
        norms = self.norms[rows] * float(np.linalg.norm(vector))
        dots = self.matrix[rows] @ vector if filter else self.matrix @ vector
        scores = np.divide(dots, norms, out=np.zeros_like(dots), where=norms > 0)
        if k < rows.size:  # only what can reach the top k is sorted (ties at the edge too)
            edge = np.partition(scores, rows.size - k)[rows.size - k]
            candidates = [int(i) for i in np.flatnonzero(scores >= edge)]
        else:
            candidates = list(range(rows.size))
        records = self.records
        order = sorted(candidates, key=lambda i: (-float(scores[i]), records[int(rows[i])].key))
        return [memory_of(records[int(rows[i])], float(scores[i])) for i in order[:k]]


def rank(
    records: list[MemoryRecord], query: list[float], k: int, filter: Mapping[str, Any] | None
) -> list[Memory]:
    """The ``k`` records nearest ``query`` by cosine similarity (ties by key), filtered first."""
    return VectorIndex.build(records).search(query, k, filter)


class MemoryStore(ABC):
    """Long-term memory: facts by namespace and key, searched by meaning.

    Every method takes an optional ``ctx``: inside a durable function pass it,
    and the embedding call and the write (or search) become steps
    (``{step_id}/embed`` and ``step_id``). Without it the call is direct.

    Args:
        embedder: Turns texts into vectors (`agentkit.models.OpenAIEmbedder`,
            `LiteLLMEmbedder`, or `HashEmbedder` offline).
    """

    def __init__(self, embedder: Embedder) -> None:
        if not isinstance(embedder, Embedder):
            raise ConfigError(f"a MemoryStore needs an agentkit.models.Embedder, got {embedder!r}")
        self.embedder = embedder

    # -- what implementations provide ----------------------------------------

    @abstractmethod
    def write(self, records: list[MemoryRecord]) -> None:
        """Insert or replace records, atomically."""

    @abstractmethod
    def read(self, namespace: str, key: str) -> MemoryRecord | None:
        """One record, or None."""

    @abstractmethod
    def remove(self, namespace: str, key: str) -> bool:
        """Delete one record; False if there was none."""

    @abstractmethod
    def nearest(
        self, namespace: str, query: list[float], k: int, filter: Mapping[str, Any] | None
    ) -> list[Memory]:
        """The ``k`` memories nearest ``query`` (see `rank` for the order)."""

    def now(self) -> float:
        """Timestamps of writes made outside a run."""
        import time

        return time.time()

    # -- the API ---------------------------------------------------------------

    async def put(
        self,
        namespace: str,
        key: str,
        text: str,
        metadata: Mapping[str, Any] | None = None,
        *,
        ctx: Context | None = None,
        step_id: str = "memory/put",
    ) -> Memory:
        """Remember ``text`` at (namespace, key), replacing what was there."""
        _check_name("namespace", namespace, MAX_NAME_LENGTH)
        _check_name("key", key, MAX_KEY_LENGTH)
        if not isinstance(text, str) or not text:
            raise ConfigError(f"a memory text must be a non-empty string, got {text!r}")
        meta = _metadata_json(metadata)
        vector = await self._embed(text, ctx, f"{step_id}/embed")

        def store(namespace: str, key: str, text: str, meta: str, vector: list[float]) -> Memory:
            now = self.now() if ctx is None else ctx.now()
            np = _numpy()
            record = MemoryRecord(
                namespace=namespace,
                key=key,
                text=text,
                metadata=meta,
                embedding=np.asarray(vector, dtype=np.float32).tobytes(),
                created_at=now,
                updated_at=now,
            )
            self.write([record])
            stored = self.read(namespace, key)
            return memory_of(stored or record)

        if ctx is None:
            return store(namespace, key, text, meta, vector)
        return await ctx.step.run(step_id, store, namespace, key, text, meta, vector)

    async def get(self, namespace: str, key: str) -> Memory | None:
        """The memory at (namespace, key), or None."""
        record = self.read(namespace, key)
        return None if record is None else memory_of(record)

    async def search(
        self,
        namespace: str,
        query: str,
        k: int = 5,
        filter: Mapping[str, Any] | None = None,
        *,
        ctx: Context | None = None,
        step_id: str = "memory/search",
    ) -> list[Memory]:
        """The ``k`` memories of ``namespace`` nearest ``query``, best first.

        Args:
            filter: Keep only memories whose metadata has these key/value pairs.
        """
        _check_name("namespace", namespace, MAX_NAME_LENGTH)
        if not isinstance(k, int) or isinstance(k, bool) or k < 1:
            raise ConfigError(f"search k must be an int >= 1, got {k!r}")
        if filter is not None and not isinstance(filter, Mapping):
            raise ConfigError(f"search filter must be a mapping, got {type(filter).__name__}")
        vector = await self._embed(query, ctx, f"{step_id}/embed")
        wanted = None if filter is None else dict(filter)

        def find(
            namespace: str, vector: list[float], k: int, wanted: dict[str, Any] | None
        ) -> list[Memory]:
            return self.nearest(namespace, vector, k, wanted)

        if ctx is None:
            return find(namespace, vector, k, wanted)
        return await ctx.step.run(step_id, find, namespace, vector, k, wanted)

    async def delete(
        self,
        namespace: str,
        key: str,
        *,
        ctx: Context | None = None,
        step_id: str = "memory/delete",
    ) -> bool:
        """Forget the memory at (namespace, key); False if there was none."""
        if ctx is None:
            return self.remove(namespace, key)
        return await ctx.step.run(step_id, self.remove, namespace, key)

    async def _embed(self, text: str, ctx: Context | None, step_id: str) -> list[float]:
        if ctx is None:
            return (await self.embedder.embed([text]))[0]
        embeddings = await ctx.step.infer(step_id, self.embedder, EmbeddingRequest(texts=[text]))
        return embeddings.vectors[0]


_CACHED_NAMESPACES = 64


class StoreBackedMemory(MemoryStore):
    """A `MemoryStore` on any `agentkit.store.Store` (its memories table), numpy-ranked.

    Each namespace's vectors are kept in memory as one matrix and reloaded only
    when the store's change counter for the namespace moved (any process's put
    or delete raises it), so a search costs one small query plus the scan.
    """

    #: How searches are ranked: ``"numpy"`` here; see `SQLMemoryStore`.
    backend: str = "numpy"

    def __init__(self, store: Store, embedder: Embedder) -> None:
        super().__init__(embedder)
        self.store = store
        self._indexes: OrderedDict[str, VectorIndex] = OrderedDict()
        self._lock = threading.Lock()

    def index(self, namespace: str) -> VectorIndex:
        """The namespace's vectors, reloaded if the store changed since they were read."""
        generation = self.store.memory_generation(namespace)  # before the rows: never stale
        with self._lock:
            index = self._indexes.get(namespace)
        if index is None or index.generation != generation:
            index = VectorIndex.build(self.store.list_memories(namespace), generation)
        with self._lock:
            self._indexes[namespace] = index
            self._indexes.move_to_end(namespace)
            while len(self._indexes) > _CACHED_NAMESPACES:
                self._indexes.popitem(last=False)
        return index

    def write(self, records: list[MemoryRecord]) -> None:
        self.store.put_memories(records)

    def read(self, namespace: str, key: str) -> MemoryRecord | None:
        return self.store.get_memory(namespace, key)

    def remove(self, namespace: str, key: str) -> bool:
        return self.store.delete_memory(namespace, key)

    def nearest(
        self, namespace: str, query: list[float], k: int, filter: Mapping[str, Any] | None
    ) -> list[Memory]:
        return self.index(namespace).search(query, k, filter)


BACKENDS = ("auto", "numpy", "sqlite-vec", "pgvector")


class SQLMemoryStore(StoreBackedMemory):
    """Memories in the run database: table ``agentkit_memories`` (SQLite or PostgreSQL).

    Args:
        store: The kit's store (``kit.store``), any `SQLStore`, or a database URL.
        embedder: Turns texts into vectors.
        backend: How to rank. ``"auto"`` (the default) takes the database's
            vector extension when it has one, else numpy: on a SQLite file,
            ``"sqlite-vec"`` when the ``sqlite_vec`` package is importable and
            loads (through the stdlib ``sqlite3`` if it can load extensions,
            else ``sqlean``: ``pip install 'agentkit[sqlite-vec]'``); on
            PostgreSQL, ``"pgvector"`` when ``CREATE EXTENSION IF NOT EXISTS
            vector`` works. Naming one that is not available is a
            `ConfigError`; ``"numpy"`` always works.

    Every backend is exact: the extensions scan the namespace's rows in SQL
    (cosine distance, ties by key, the metadata filter in the WHERE clause; no
    approximate index), numpy scans its cached matrix. A filter SQL cannot say
    exactly (a list or dict value) is ranked with numpy. ``store.backend``
    tells which one this store uses.
    """

    def __init__(self, store: Store | str, embedder: Embedder, *, backend: str = "auto") -> None:
        if backend not in BACKENDS:
            raise ConfigError(f"memory backend must be one of {BACKENDS}, got {backend!r}")
        opened = isinstance(store, str)
        if isinstance(store, str):
            from agentkit.store import SQLStore

            store = SQLStore(store)
        super().__init__(store, embedder)
        # Forcing numpy leaves the database as it is (no extension, no derived column).
        found = None if backend == "numpy" else store.memory_search_backend()
        if backend not in ("auto", "numpy") and found != backend:
            if opened:
                store.close()
            raise ConfigError(
                f"memory backend {backend!r} is not available on this database "
                f"(it has {found or 'no vector extension'}): see SQLMemoryStore's backend rule"
            )
        #: ``"sqlite-vec"``, ``"pgvector"`` or ``"numpy"``: how searches are ranked.
        self.backend = "numpy" if backend == "numpy" or found is None else found

    def nearest(
        self, namespace: str, query: list[float], k: int, filter: Mapping[str, Any] | None
    ) -> list[Memory]:
        if self.backend != "numpy":
            found = self.store.nearest_memories(namespace, query, k, filter)
            if found is not None:
                return [memory_of(record, score) for record, score in found]
        return super().nearest(namespace, query, k, filter)


class InMemoryMemoryStore(StoreBackedMemory):
    """Memories in this process only, for tests and examples."""

    def __init__(self, embedder: Embedder) -> None:
        super().__init__(InMemoryStore(), embedder)
