"""Conversation threads: a conversation that outlives a run, kept in the run store.

``kit.threads`` creates, lists, reads, forks and deletes threads;
``agent.run(input, ctx=ctx, thread=thread_id)`` (and ``kit.run_agent(...,
thread=...)``) loads the thread before the first model call and appends the
turn's new messages at its end. Both are steps: the load is journaled, so a
replay sees what the first execution saw even if the thread grew since, and
the append is one ``run`` step whose write is keyed by run id and step key,
so a write that landed just before a crash is not repeated.

The thread records live in `agentkit.store` (tables ``agentkit_threads`` and
``agentkit_thread_messages``); this module turns them into messages.
`agentkit.memory` re-exports `Thread` and `Threads`.
"""

from __future__ import annotations

import builtins
import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from agentkit.errors import ConfigError, NonRetriableError, ThreadNotFound
from agentkit.models import Message
from agentkit.store import Store, ThreadMessageRecord, ThreadRecord

if TYPE_CHECKING:
    from agentkit.durable import Clock, Context

__all__ = ["Thread", "ThreadHistory", "ThreadMessage", "Threads", "load_history", "save_turn"]


def new_thread_id() -> str:
    """A fresh, unguessable thread id."""
    return f"thr_{secrets.token_hex(12)}"


@dataclass(frozen=True)
class Thread:
    """A conversation kept in the store.

    Attributes:
        id: The thread id, passed as ``thread=`` to runs.
        metadata: What it was created with (a JSON object).
        message_count: How many messages it holds.
        summary: The compaction of its first ``summary_through`` messages, if any.
        summary_through: How many messages, from the start, the summary covers.
        forked_from: The thread it was forked from, if any.
        forked_at: The id of the last message the fork copied.
        created_at: Epoch seconds.
        updated_at: Epoch seconds of the last append or summary.
    """

    id: str
    metadata: dict[str, Any]
    message_count: int
    created_at: float
    updated_at: float
    summary: str | None = None
    summary_through: int = 0
    forked_from: str | None = None
    forked_at: str | None = None

    @classmethod
    def from_record(cls, record: ThreadRecord) -> Thread:
        """The thread a store record describes."""
        return cls(
            id=record.id,
            metadata=json.loads(record.metadata),
            message_count=record.message_count,
            created_at=record.created_at,
            updated_at=record.updated_at,
            summary=record.summary,
            summary_through=record.summary_through,
            forked_from=record.forked_from,
            forked_at=record.forked_at,
        )


@dataclass(frozen=True)
class ThreadMessage:
    """One message of a thread with its id (for ``before=`` and ``fork``) and place."""

    id: str
    seq: int
    message: Message
    created_at: float

    @classmethod
    def from_record(cls, record: ThreadMessageRecord) -> ThreadMessage:
        """The message a store record holds."""
        return cls(
            id=record.id,
            seq=record.seq,
            message=Message.model_validate_json(record.message),
            created_at=record.created_at,
        )


class ThreadHistory(BaseModel):
    """What a run loaded from its thread: journaled, so a replay loads the same.

    ``summary`` covers the first ``summary_through`` of ``messages``; it is
    None when the thread holds none that fits what was loaded.
    """

    thread_id: str
    messages: list[Message]
    summary: str | None = None
    summary_through: int = 0


def _metadata_json(metadata: Mapping[str, Any] | None) -> str:
    if metadata is None:
        return "{}"
    if not isinstance(metadata, Mapping):
        raise ConfigError(f"thread metadata must be a mapping, got {type(metadata).__name__}")
    try:
        return json.dumps(dict(metadata), sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"thread metadata must be JSON-serializable: {exc}") from exc


def _check_id(thread_id: object) -> str:
    if not isinstance(thread_id, str) or not thread_id:
        raise ConfigError(f"a thread id must be a non-empty string, got {thread_id!r}")
    if len(thread_id) > 64:
        raise ConfigError(f"thread id {thread_id[:20]!r}... is longer than 64 characters")
    return thread_id


class Threads:
    """Threads of one store: ``kit.threads``.

    Args:
        store: The store threads are kept in (the kit's).
        clock: Time source for timestamps (the kit's).
    """

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        self._ids = new_thread_id

    def create(
        self, *, metadata: Mapping[str, Any] | None = None, thread_id: str | None = None
    ) -> Thread:
        """Create an empty thread.

        Args:
            metadata: A JSON object kept with the thread (user id, title, ...).
            thread_id: Its id; default a fresh random one.

        Raises:
            UsageError: a thread with this id exists.
        """
        now = self.clock.now()
        record = ThreadRecord(
            id=_check_id(thread_id) if thread_id is not None else self._ids(),
            created_at=now,
            updated_at=now,
            metadata=_metadata_json(metadata),
        )
        return Thread.from_record(self.store.create_thread(record))

    def get(self, thread_id: str) -> Thread:
        """The thread with this id.

        Raises:
            ThreadNotFound: no thread has this id.
        """
        record = self.store.get_thread(_check_id(thread_id))
        if record is None:
            raise ThreadNotFound(thread_id)
        return Thread.from_record(record)

    def list(self, *, limit: int = 50) -> list[Thread]:
        """Threads, most recently updated first."""
        return [Thread.from_record(r) for r in self.store.list_threads(limit=limit)]

    def delete(self, thread_id: str) -> bool:
        """Delete a thread and all its messages (for erasure requests); False if none."""
        return self.store.delete_thread(_check_id(thread_id))

    def messages(
        self, thread_id: str, *, limit: int | None = None, before: str | None = None
    ) -> builtins.list[ThreadMessage]:
        """The thread's messages, oldest first: the last ``limit`` before message ``before``.

        Raises:
            ThreadNotFound: no thread has this id, or ``before`` is no message of it.
        """
        self.get(thread_id)
        before_seq = None if before is None else self._message(thread_id, before).seq
        records = self.store.list_thread_messages(thread_id, limit=limit, before=before_seq)
        return [ThreadMessage.from_record(r) for r in records]

    def append(self, thread_id: str, messages: Sequence[Message]) -> builtins.list[ThreadMessage]:
        """Append messages outside any run (to seed a thread, or import one).

        Inside a durable function use ``agent.run(..., thread=...)``, whose
        append is a step.
        """
        self.get(thread_id)
        texts = [_message_json(m) for m in messages]
        key = f"api/{secrets.token_hex(8)}"
        records = self.store.append_thread_messages(thread_id, texts, key, self.clock.now())
        return [ThreadMessage.from_record(r) for r in records]

    def fork(
        self, thread_id: str, *, at_message: str, metadata: Mapping[str, Any] | None = None
    ) -> Thread:
        """A new thread holding this one's messages up to and including ``at_message``.

        Raises:
            ThreadNotFound: no thread has this id, or ``at_message`` is no message of it.
        """
        source = self.get(thread_id)
        at = self._message(thread_id, at_message)
        now = self.clock.now()
        fork = ThreadRecord(
            id=self._ids(),
            created_at=now,
            updated_at=now,
            metadata=_metadata_json(source.metadata if metadata is None else metadata),
            forked_at=at.id,
        )
        return Thread.from_record(self.store.fork_thread(thread_id, fork, at.seq + 1))

    def _message(self, thread_id: str, message_id: str) -> ThreadMessageRecord:
        record = self.store.get_thread_message(message_id)
        if record is None or record.thread_id != thread_id:
            raise ThreadNotFound(
                thread_id, f"thread {thread_id!r} has no message with id {message_id!r}"
            )
        return record


def _message_json(message: Message) -> str:
    if not isinstance(message, Message):
        raise ConfigError(f"thread messages must be Message objects, got {type(message).__name__}")
    return message.model_dump_json()


# -- inside a run: the load and the append, as steps ------------------------------


async def load_history(ctx: Context, step_id: str, thread_id: str) -> ThreadHistory:
    """Load a thread as a journaled step (``step_id``), so replay loads the same.

    Raises:
        StepFailed: the thread does not exist (the message says so).
    """
    store = ctx.store

    def load(thread_id: str) -> ThreadHistory:
        record = store.get_thread(thread_id)
        if record is None:  # not retried: create the thread first
            raise NonRetriableError(str(ThreadNotFound(thread_id)))
        messages = [
            Message.model_validate_json(m.message) for m in store.list_thread_messages(thread_id)
        ]
        # A summary stored by a run that never saved its turn may cover more than
        # the thread holds: it is ignored, and summarized again if needed.
        fits = record.summary is not None and record.summary_through <= len(messages)
        return ThreadHistory(
            thread_id=thread_id,
            messages=messages,
            summary=record.summary if fits else None,
            summary_through=record.summary_through if fits else 0,
        )

    _check_id(thread_id)
    return await ctx.step.run(step_id, load, thread_id)


async def save_turn(ctx: Context, step_id: str, thread_id: str, messages: Sequence[Message]) -> int:
    """Append a turn's messages to a thread as one step; returns the thread's length.

    The write is keyed by the step's idempotency key (run id and step key): if
    the process dies after the write but before the journal entry, the
    re-executed step finds its messages there and writes nothing.
    """
    store = ctx.store

    def save(thread_id: str, texts: list[str]) -> int:
        store.append_thread_messages(thread_id, texts, ctx.step.idempotency_key, ctx.now())
        record = store.get_thread(thread_id)
        return 0 if record is None else record.message_count

    texts = [_message_json(m) for m in messages]
    return await ctx.step.run(step_id, save, thread_id, texts)
