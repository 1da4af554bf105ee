"""SQLModel tables. They stay inside `agentkit.store`; the engine sees records.

Times are UTC epoch seconds as floats: they compare the same way in SQLite and
PostgreSQL and need no timezone handling. JSON travels as text so that the
stored bytes are exactly what the engine serialized.
"""

from __future__ import annotations

from sqlalchemy import Index, LargeBinary, Text, UniqueConstraint
from sqlmodel import Column, Field, SQLModel

from agentkit.store._limits import (
    MAX_KEY_LENGTH,
    MAX_NAME_LENGTH,
    MAX_WORKER_ID_LENGTH,
    TRACEPARENT_LENGTH,
)
from agentkit.store._rate_rules import MAX_HOLDER_LENGTH, MAX_RATE_NAME_LENGTH


class RunRow(SQLModel, table=True):
    __tablename__ = "agentkit_runs"
    __table_args__ = (
        UniqueConstraint("function_id", "idempotency_key", name="uq_runs_idempotency"),
        Index("ix_runs_status_wake", "status", "wake_at"),
        # Finds lapsed leases among thousands of running runs without a scan.
        Index("ix_runs_status_lease", "status", "lease_expires_at"),
        Index("ix_runs_parent", "parent_run_id"),
        Index("ix_runs_root", "root_run_id"),
    )

    id: str = Field(primary_key=True, max_length=64)
    function_id: str = Field(max_length=MAX_NAME_LENGTH)
    status: str = Field(max_length=16)
    input: str = Field(sa_column=Column(Text, nullable=False))
    output: str | None = Field(default=None, sa_column=Column(Text))
    error: str | None = Field(default=None, sa_column=Column(Text))
    idempotency_key: str | None = Field(default=None, max_length=MAX_KEY_LENGTH)
    parent_run_id: str | None = Field(default=None, max_length=64)
    parent_step_key: str | None = Field(default=None, max_length=MAX_KEY_LENGTH)
    root_run_id: str | None = Field(default=None, max_length=64)
    created_at: float
    updated_at: float
    started_at: float | None = None
    ended_at: float | None = None
    wake_at: float | None = None
    lease_owner: str | None = Field(default=None, max_length=MAX_WORKER_ID_LENGTH)
    lease_expires_at: float | None = None
    wake_seq: int = 0
    executions: int = 0
    # Flow control: a head start in seconds when due runs are ordered, and how
    # many concurrency slot keys (agentkit_run_slots) the run holds while it runs.
    priority: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    slots: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    traceparent: str | None = Field(default=None, max_length=TRACEPARENT_LENGTH)


class StepRow(SQLModel, table=True):
    __tablename__ = "agentkit_steps"
    __table_args__ = (
        UniqueConstraint("run_id", "key", name="uq_steps_run_key"),
        Index("ix_steps_open_waits", "status", "kind", "wait_ref"),
    )

    id: int | None = Field(default=None, primary_key=True)
    run_id: str = Field(max_length=64)
    key: str = Field(max_length=MAX_KEY_LENGTH)
    kind: str = Field(max_length=16)
    status: str = Field(max_length=16)
    seq: int
    fingerprint: str = Field(max_length=64)
    output: str | None = Field(default=None, sa_column=Column(Text))
    error: str | None = Field(default=None, sa_column=Column(Text))
    attempts: int = 1
    started_at: float
    ended_at: float | None = None
    wake_at: float | None = None
    wait_ref: str | None = Field(default=None, max_length=300)
    wait_match: str | None = Field(default=None, sa_column=Column(Text))


class TokenRow(SQLModel, table=True):
    __tablename__ = "agentkit_tokens"
    __table_args__ = (Index("ix_tokens_run", "run_id"), Index("ix_tokens_status", "status"))

    token: str = Field(primary_key=True, max_length=100)
    run_id: str = Field(max_length=64)
    step_key: str = Field(max_length=MAX_KEY_LENGTH)
    status: str = Field(max_length=16)
    description: str | None = Field(default=None, sa_column=Column(Text))
    schema_: str | None = Field(default=None, sa_column=Column("schema", Text))
    payload: str | None = Field(default=None, sa_column=Column(Text))
    created_at: float
    expires_at: float | None = None
    completed_at: float | None = None


class EventRow(SQLModel, table=True):
    __tablename__ = "agentkit_events"
    __table_args__ = (Index("ix_events_name", "name"),)

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=MAX_NAME_LENGTH)
    data: str = Field(sa_column=Column(Text, nullable=False))
    received_at: float


class CompletionRow(SQLModel, table=True):
    __tablename__ = "agentkit_completions"
    __table_args__ = (Index("ix_completions_run_step", "run_id", "step_key"),)

    id: str = Field(primary_key=True, max_length=64)
    run_id: str = Field(max_length=64)
    step_key: str = Field(max_length=MAX_KEY_LENGTH)
    fingerprint: str = Field(max_length=64)
    attempt: int
    model_index: int
    provider: str = Field(max_length=50)
    model: str = Field(max_length=200)
    created_at: float
    request: str | None = Field(default=None, sa_column=Column(Text))
    response: str | None = Field(default=None, sa_column=Column(Text))
    stream_events: str | None = Field(default=None, sa_column=Column(Text))
    status_code: int | None = None
    headers: str | None = Field(default=None, sa_column=Column(Text))
    error: str | None = Field(default=None, sa_column=Column(Text))
    latency_ms: float = 0.0
    waited_s: float = 0.0
    input_tokens: int | None = None
    output_tokens: int | None = None
    cached_tokens: int | None = None
    cost_usd: float | None = None


class ThreadRow(SQLModel, table=True):
    __tablename__ = "agentkit_threads"
    __table_args__ = (Index("ix_threads_updated", "updated_at"),)

    id: str = Field(primary_key=True, max_length=64)
    created_at: float
    updated_at: float
    metadata_: str = Field(sa_column=Column("metadata", Text, nullable=False))
    message_count: int = 0
    summary: str | None = Field(default=None, sa_column=Column(Text))
    summary_through: int = 0
    forked_from: str | None = Field(default=None, max_length=64)
    forked_at: str | None = Field(default=None, max_length=64)


class ThreadMessageRow(SQLModel, table=True):
    __tablename__ = "agentkit_thread_messages"
    __table_args__ = (
        UniqueConstraint("thread_id", "seq", name="uq_thread_messages_seq"),
        Index("ix_thread_messages_write", "thread_id", "write_key"),
    )

    id: str = Field(primary_key=True, max_length=64)
    thread_id: str = Field(max_length=64)
    seq: int
    message: str = Field(sa_column=Column(Text, nullable=False))
    created_at: float
    write_key: str | None = Field(default=None, max_length=MAX_KEY_LENGTH + 80)


class MemoryRow(SQLModel, table=True):
    __tablename__ = "agentkit_memories"

    namespace: str = Field(primary_key=True, max_length=MAX_NAME_LENGTH)
    key: str = Field(primary_key=True, max_length=MAX_KEY_LENGTH)
    text: str = Field(sa_column=Column(Text, nullable=False))
    metadata_: str = Field(sa_column=Column("metadata", Text, nullable=False))
    embedding: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: float
    updated_at: float


class MemoryNamespaceRow(SQLModel, table=True):
    __tablename__ = "agentkit_memory_namespaces"

    namespace: str = Field(primary_key=True, max_length=MAX_NAME_LENGTH)
    generation: int = 0


class RateLimitRow(SQLModel, table=True):
    """One shared rate limit's provider state; reservations lock this row."""

    __tablename__ = "agentkit_rate_limits"

    name: str = Field(primary_key=True, max_length=MAX_RATE_NAME_LENGTH)
    blocked_until: float = 0.0
    requests_remaining: int | None = None
    requests_reset_at: float | None = None
    tokens_remaining: int | None = None
    tokens_reset_at: float | None = None


class RatePermitRow(SQLModel, table=True):
    """One call granted under a shared rate limit; in flight while its lease runs."""

    __tablename__ = "agentkit_rate_permits"
    __table_args__ = (Index("ix_rate_permits_name_granted", "name", "granted_at"),)

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=MAX_RATE_NAME_LENGTH)
    holder: str = Field(max_length=MAX_HOLDER_LENGTH)
    granted_at: float
    tokens: int
    lease_expires_at: float | None = None


class RunSlotRow(SQLModel, table=True):
    """A concurrency slot key a run holds while it executes (flow control)."""

    __tablename__ = "agentkit_run_slots"
    __table_args__ = (Index("ix_run_slots_key", "slot_key"),)

    run_id: str = Field(primary_key=True, max_length=64)
    slot_key: str = Field(primary_key=True, max_length=MAX_KEY_LENGTH)
    slot_limit: int


class CancelOnRow(SQLModel, table=True):
    """An event that cancels a run while it has not ended (flow control's ``cancel_on``)."""

    __tablename__ = "agentkit_cancel_on"
    __table_args__ = (Index("ix_cancel_on_event", "event_name"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: str = Field(max_length=64)
    event_name: str = Field(max_length=MAX_NAME_LENGTH)
    match: str = Field(sa_column=Column(Text, nullable=False))


class FlowStateRow(SQLModel, table=True):
    """Shared flow-control state by key: a throttle's next time, a pending debounce, a cron tick."""

    __tablename__ = "agentkit_flow_state"

    key: str = Field(primary_key=True, max_length=MAX_KEY_LENGTH + MAX_NAME_LENGTH + 16)
    value: float
    run_id: str | None = Field(default=None, max_length=64)
