"""Nearest memories inside the database: sqlite-vec on SQLite, pgvector on PostgreSQL.

`agentkit.memory.SQLMemoryStore` asks `memory_search_backend` which one this
database has and then calls `nearest_memories`. Both search EXACTLY: a full
scan of the namespace's rows ordered by cosine distance, then by key (no
approximate index is created or used), with the metadata filter in the WHERE
clause, so they return the numpy reference's top k.

The rule, checked once per store:

- SQLite (a file database): ``sqlite-vec`` when the ``sqlite_vec`` package is
  importable and a SQLite driver can load it: the stdlib ``sqlite3`` when its
  connections have ``enable_load_extension`` and the load works, else
  ``sqlean`` (sqlean.py) when installed. Only the search opens that extra
  connection (autocommit reads of the same file); the runs' store stays on the
  stdlib driver. It ranks with
  ``vec_distance_cosine`` over the float32 blobs already stored.
- PostgreSQL: ``pgvector`` when ``CREATE EXTENSION IF NOT EXISTS vector``
  succeeds (or the extension is there). The first store then adds a derived
  column ``embedding_vector vector`` to ``agentkit_memories``, filled from the
  float32 bytes by a trigger on every write (any process, any agentkit
  version) and backfilled once; the search orders by ``<=>`` over it.
- Otherwise, or a private in-memory SQLite database: None (numpy).
"""

from __future__ import annotations

import sqlite3
import struct
import threading
from collections.abc import Mapping
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from agentkit.errors import ConfigError
from agentkit.store._records import MemoryRecord
from agentkit.store._vector_filters import postgres_filter, sqlite_filter

__all__ = ["SQLVectorSearch"]

# The ranking reads only keys and distances; the k rows are fetched after.
_MEMORY = "m.namespace, m.key, m.text, m.metadata, m.embedding, m.created_at, m.updated_at"
_SQLITE_SEARCH = (
    f"SELECT {_MEMORY}, d.distance FROM (SELECT key, "
    "COALESCE(vec_distance_cosine(embedding, ?), 1.0) AS distance FROM agentkit_memories "
    "WHERE namespace = ?{where} ORDER BY distance, key LIMIT ?) AS d "
    "JOIN agentkit_memories AS m ON m.namespace = ? AND m.key = d.key ORDER BY d.distance, d.key"
)
# COALESCE(NULLIF(.., NaN)): a zero vector's cosine is NaN in pgvector (NULL in
# sqlite-vec); numpy scores it 0, a distance of 1. Ordering by this expression
# also keeps any ANN index a user adds on the column out of the plan: exact.
_POSTGRES_SEARCH = (
    f"SELECT {_MEMORY}, d.distance FROM (SELECT key, "
    "COALESCE(NULLIF(embedding_vector <=> CAST(:query AS vector), 'NaN'::float8), 1.0) "
    "AS distance FROM agentkit_memories WHERE namespace = :namespace{where} "
    "ORDER BY distance, key LIMIT :k) AS d "
    "JOIN agentkit_memories AS m ON m.namespace = :namespace AND m.key = d.key "
    "ORDER BY d.distance, d.key"
)

# Little-endian float32 bytes to a vector, in SQL: NULL for an empty or a
# non-finite vector (pgvector refuses NaN and infinity; such a row ranks last).
_PG_SETUP = [
    """
CREATE OR REPLACE FUNCTION agentkit_f32le_vector(b bytea) RETURNS vector
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
  n int := length(b) / 4;
  parts real[] := '{}';
  bits bigint;
  e int;
  v float8;
BEGIN
  IF n = 0 OR mod(length(b), 4) <> 0 THEN RETURN NULL; END IF;
  FOR i IN 0 .. n - 1 LOOP
    bits := get_byte(b, 4 * i)::bigint | (get_byte(b, 4 * i + 1)::bigint << 8)
      | (get_byte(b, 4 * i + 2)::bigint << 16) | (get_byte(b, 4 * i + 3)::bigint << 24);
    e := ((bits >> 23) & 255)::int;
    IF e = 255 THEN RETURN NULL; END IF;
    IF e = 0 THEN
      v := (bits & 8388607)::float8 * 2::float8 ^ (-149);
    ELSE
      v := ((bits & 8388607) + 8388608)::float8 * 2::float8 ^ (e - 150);
    END IF;
    IF (bits >> 31) = 1 THEN v := -v; END IF;
    parts := parts || v::real;
  END LOOP;
  RETURN parts::vector;
END $$""",
    """
CREATE OR REPLACE FUNCTION agentkit_memories_vector() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.embedding_vector := agentkit_f32le_vector(NEW.embedding);
  RETURN NEW;
END $$""",
    "ALTER TABLE agentkit_memories ADD COLUMN IF NOT EXISTS embedding_vector vector",
    "DROP TRIGGER IF EXISTS agentkit_memories_vector ON agentkit_memories",
    "CREATE TRIGGER agentkit_memories_vector BEFORE INSERT OR UPDATE OF embedding "
    "ON agentkit_memories FOR EACH ROW EXECUTE FUNCTION agentkit_memories_vector()",
    "UPDATE agentkit_memories SET embedding_vector = agentkit_f32le_vector(embedding)",
]
_PG_READY = (
    "SELECT 1 FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
    "WHERE c.relname = 'agentkit_memories' AND t.tgname = 'agentkit_memories_vector' "
    "AND pg_table_is_visible(c.oid)"
)


def _sqlite_drivers() -> list[Any]:
    """DB-API SQLite modules that may load extensions: the stdlib's, then sqlean."""
    drivers: list[Any] = []
    if hasattr(sqlite3.Connection, "enable_load_extension"):
        drivers.append(sqlite3)
    try:
        import sqlean  # type: ignore[import-not-found,import-untyped,unused-ignore]
    except ImportError:
        return drivers
    return [*drivers, sqlean]


def _open_sqlite_vec(database: str) -> Any | None:
    """A connection to ``database`` with sqlite-vec loaded, or None."""
    try:
        import sqlite_vec  # type: ignore[import-not-found,import-untyped,unused-ignore]
    except ImportError:
        return None
    for driver in _sqlite_drivers():
        try:
            conn = driver.connect(
                database, timeout=30, isolation_level=None, check_same_thread=False
            )
        except driver.Error:
            continue
        try:
            conn.enable_load_extension(True)
            sqlite_vec.load(conn)
            conn.enable_load_extension(False)
        except (AttributeError, OSError, driver.Error):
            conn.close()
            continue
        return conn
    return None


# Conservative: any NaN in the metadata text (a string's "NaN" too) sends the search to numpy.
_NAN = "SELECT 1 FROM agentkit_memories WHERE namespace = ? AND instr(metadata, 'NaN') > 0 LIMIT 1"
_WIDTH = "SELECT length(embedding) FROM agentkit_memories WHERE namespace = :namespace LIMIT 1"


def _check_width(namespace: str, query: list[float], width: Any) -> None:
    if width is not None and width[0] != 4 * len(query):
        raise _mismatch(namespace, len(query), f"{width[0] // 4} stored")


def _mismatch(namespace: str, dims: int, exc: object) -> ConfigError:
    return ConfigError(
        f"the query's embedding has {dims} dimensions, memories of namespace {namespace!r} "
        f"another number ({exc}): the namespace holds vectors of another embedder"
    )


class SQLVectorSearch:
    """The vector-extension search of `SQLStore` (a mixin over its transactions)."""

    url: str | None
    is_sqlite: bool
    _serial: threading.RLock | None

    def _write(self) -> AbstractContextManager[Connection]:
        raise NotImplementedError  # SQLStore provides it

    def _read(self) -> AbstractContextManager[Connection]:
        raise NotImplementedError  # SQLStore provides it

    def memory_search_backend(self) -> str | None:
        """``"sqlite-vec"``, ``"pgvector"``, or None: rank with numpy (see the module)."""
        lock = self.__dict__.setdefault("_vec_lock", threading.Lock())
        with lock:
            if "_vec_backend" not in self.__dict__:
                self.__dict__["_vec_backend"] = self._detect_vector_backend()
            backend: str | None = self.__dict__["_vec_backend"]
            return backend

    def _detect_vector_backend(self) -> str | None:
        if self.is_sqlite:
            database = make_url(self.url or "sqlite://").database
            if self._serial is not None or not database:
                return None  # a private in-memory database: no second connection sees it
            conn = _open_sqlite_vec(database)
            self.__dict__["_vec_conn"] = conn
            return None if conn is None else "sqlite-vec"
        return "pgvector" if self._setup_pgvector() else None

    def _setup_pgvector(self) -> bool:
        try:
            with self._write() as conn:
                conn.exec_driver_sql("SELECT pg_advisory_xact_lock(8061975)")
                if conn.exec_driver_sql(_PG_READY).first() is not None:
                    return True
                with conn.begin_nested():
                    conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS vector")
                for statement in _PG_SETUP:
                    conn.exec_driver_sql(statement)
            return True
        except DBAPIError:  # no pgvector on the server, or no right to create it
            return False

    def nearest_memories(
        self, namespace: str, query: list[float], k: int, filter: Mapping[str, Any] | None
    ) -> list[tuple[MemoryRecord, float]] | None:
        """The ``k`` memories nearest ``query`` with their cosine similarity, best first.

        Ties by key; filtered by metadata equality. None when this database has
        no vector backend or the filter cannot be said in SQL (numpy then).
        """
        backend = self.memory_search_backend()
        if backend == "sqlite-vec":
            return self._nearest_sqlite(namespace, query, k, filter)
        if backend == "pgvector":
            return self._nearest_postgres(namespace, query, k, filter)
        return None

    def _nearest_sqlite(
        self, namespace: str, query: list[float], k: int, filter: Mapping[str, Any] | None
    ) -> list[tuple[MemoryRecord, float]] | None:
        where = sqlite_filter(filter)
        if where is None:
            return None
        blob = struct.pack(f"<{len(query)}f", *query)
        conn = self.__dict__["_vec_conn"]
        with self.__dict__["_vec_lock"]:
            if filter and None in filter.values() and conn.execute(_NAN, [namespace]).fetchone():
                return None  # SQLite reads a NaN as JSON null, Python does not: numpy decides
            try:
                params = [blob, namespace, *where[1], k, namespace]
                rows = conn.execute(_SQLITE_SEARCH.format(where=where[0]), params).fetchall()
                if len(rows) < k:  # the filter may have left out every row of another width
                    width = conn.execute(_WIDTH.replace(":namespace", "?"), [namespace]).fetchone()
                    _check_width(namespace, query, width)
            except Exception as exc:  # the driver's OperationalError (stdlib or sqlean)
                if "dimension" in str(exc):
                    raise _mismatch(namespace, len(query), exc) from exc
                raise
        return [(MemoryRecord(*row[:7]), 1.0 - float(row[7])) for row in rows]

    def _nearest_postgres(
        self, namespace: str, query: list[float], k: int, filter: Mapping[str, Any] | None
    ) -> list[tuple[MemoryRecord, float]] | None:
        where = postgres_filter(filter)
        if where is None:
            return None
        vector = "[" + ",".join(repr(x) for x in struct.unpack(f"{len(query)}f", _f32(query))) + "]"
        params = {"query": vector, "namespace": namespace, "k": k, **where[1]}
        try:
            with self._read() as conn:
                rows = conn.execute(
                    text(_POSTGRES_SEARCH.format(where=where[0])), params
                ).fetchall()
                if len(rows) < k:  # the filter may have left out every row of another width
                    width = conn.execute(text(_WIDTH), {"namespace": namespace}).first()
                    _check_width(namespace, query, width)
        except DBAPIError as exc:
            if "different vector dimensions" in str(exc.orig):
                raise _mismatch(namespace, len(query), exc.orig) from exc
            if filter and "json" in str(exc.orig):
                return None  # metadata text jsonb refuses (NaN): numpy reads it as Python does
            raise
        return [(MemoryRecord(*row[:7]), 1.0 - float(row[7])) for row in rows]

    def _close_vectors(self) -> None:
        conn = self.__dict__.pop("_vec_conn", None)
        self.__dict__.pop("_vec_backend", None)
        if conn is not None:
            conn.close()


def _f32(query: list[float]) -> bytes:
    return struct.pack(f"{len(query)}f", *query)
