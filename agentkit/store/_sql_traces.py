"""The run's W3C traceparent in the `SQLStore`: written once, by whoever is first."""

from __future__ import annotations

from contextlib import AbstractContextManager

from sqlalchemy import Connection, select, update

from agentkit.store._core_tables import runs as _runs

__all__ = ["SQLTraces"]


class SQLTraces:
    """`Store.set_run_traceparent` of `SQLStore` (a mixin over its transactions)."""

    def _write(self) -> AbstractContextManager[Connection]:
        raise NotImplementedError  # SQLStore provides it

    def set_run_traceparent(self, run_id: str, traceparent: str) -> str | None:
        with self._write() as conn:
            conn.execute(
                update(_runs)
                .where(_runs.c.id == run_id, _runs.c.traceparent.is_(None))
                .values(traceparent=traceparent)
            )
            found = conn.execute(select(_runs.c.traceparent).where(_runs.c.id == run_id)).first()
        return None if found is None else found[0]
