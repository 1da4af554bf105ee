"""The rules of threads, written once for every store.

Plain code over records, as `agentkit.store._rules` is for runs: which
messages an append writes (and whether it already happened), what a fork
copies, when a summary replaces the one a thread holds. Stores find the rows
under their lock and write what these functions return.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Sequence
from typing import Any

from agentkit.store._records import ThreadMessageRecord, ThreadRecord


def new_message_id() -> str:
    """A fresh, unguessable message id."""
    return f"msg_{secrets.token_hex(12)}"


def appended(
    thread: ThreadRecord, messages: Sequence[str], write_key: str, now: float
) -> tuple[list[ThreadMessageRecord], dict[str, Any]]:
    """The message records an append writes after ``thread``'s last one, and the thread's fields.

    The caller has checked that ``write_key`` wrote nothing yet (see `replayed_write`).
    """
    start = thread.message_count
    records = [
        ThreadMessageRecord(
            id=new_message_id(),
            thread_id=thread.id,
            seq=start + offset,
            message=text,
            created_at=now,
            write_key=write_key,
        )
        for offset, text in enumerate(messages)
    ]
    return records, {"message_count": start + len(records), "updated_at": now}


def page(
    messages: Sequence[ThreadMessageRecord], limit: int | None, before: int | None
) -> list[ThreadMessageRecord]:
    """The last ``limit`` of ``messages`` (in seq order) whose seq is below ``before``."""
    kept = [m for m in messages if before is None or m.seq < before]
    kept.sort(key=lambda m: m.seq)
    if limit is not None:
        kept = kept[-limit:] if limit > 0 else []
    return kept


def summary_update(
    thread: ThreadRecord, summary: str, through: int, now: float
) -> dict[str, Any] | None:
    """The fields that store ``summary`` of the first ``through`` messages, or None.

    A summary never moves backwards: one that covers no more than the stored
    one is refused, so two runs that race to summarize keep the further one.
    """
    if through <= thread.summary_through:
        return None
    return {"summary": summary, "summary_through": through, "updated_at": now}


def forked(
    source: ThreadRecord,
    fork: ThreadRecord,
    messages: Sequence[ThreadMessageRecord],
    through: int,
) -> tuple[ThreadRecord, list[ThreadMessageRecord]]:
    """The new thread and the message copies a fork of the first ``through`` messages writes.

    The source's summary goes with the fork when it covers no more than the
    fork keeps.
    """
    copies = [
        dataclasses.replace(m, id=new_message_id(), thread_id=fork.id, write_key=None)
        for m in sorted(messages, key=lambda m: m.seq)
        if m.seq < through
    ]
    keeps_summary = source.summary is not None and source.summary_through <= len(copies)
    thread = dataclasses.replace(
        fork,
        message_count=len(copies),
        summary=source.summary if keeps_summary else None,
        summary_through=source.summary_through if keeps_summary else 0,
        forked_from=source.id,
    )
    return thread, copies
