"""Length limits of the identifiers users choose, defined once for every store.

The SQL columns are sized from these, and the engine checks them before writing,
so that an id too long fails the same way on SQLite (which ignores ``VARCHAR``
lengths), PostgreSQL and the in-memory store.
"""

from __future__ import annotations

# Step keys (with their ``#n`` suffix and agent prefixes) and run idempotency keys.
MAX_KEY_LENGTH = 300
# Durable function ids and event names.
MAX_NAME_LENGTH = 200
# Worker ids, stored as the owner of a lease.
MAX_WORKER_ID_LENGTH = 100
# A W3C ``traceparent`` header (version 00): ``00-<32 hex>-<16 hex>-<2 hex>``.
TRACEPARENT_LENGTH = 55
