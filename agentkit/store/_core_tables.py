"""The SQL store's tables as SQLAlchemy Core, generated from `agentkit.store._tables`.

Do not edit: `agentkit.store._tables` (SQLModel) is the source of truth, and
``python -m tests.store.test_core_tables`` regenerates this file from it
(tests/store/test_core_tables.py fails when the two differ). The store runs on
these, so a worker never imports SQLModel or the SQLAlchemy ORM.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

runs = Table(
    "agentkit_runs",
    metadata,
    Column("id", String(64), primary_key=True, nullable=False),
    Column("function_id", String(200), nullable=False),
    Column("status", String(16), nullable=False),
    Column("input", Text(), nullable=False),
    Column("output", Text(), nullable=True),
    Column("error", Text(), nullable=True),
    Column("idempotency_key", String(300), nullable=True),
    Column("parent_run_id", String(64), nullable=True),
    Column("parent_step_key", String(300), nullable=True),
    Column("root_run_id", String(64), nullable=True),
    Column("created_at", Float(), nullable=False),
    Column("updated_at", Float(), nullable=False),
    Column("started_at", Float(), nullable=True),
    Column("ended_at", Float(), nullable=True),
    Column("wake_at", Float(), nullable=True),
    Column("lease_owner", String(100), nullable=True),
    Column("lease_expires_at", Float(), nullable=True),
    Column("wake_seq", Integer(), nullable=False),
    Column("executions", Integer(), nullable=False),
    Column("priority", Integer(), nullable=False, server_default="0"),
    Column("slots", Integer(), nullable=False, server_default="0"),
    Column("traceparent", String(55), nullable=True),
    UniqueConstraint("function_id", "idempotency_key", name="uq_runs_idempotency"),
    Index("ix_runs_parent", "parent_run_id"),
    Index("ix_runs_root", "root_run_id"),
    Index("ix_runs_status_lease", "status", "lease_expires_at"),
    Index("ix_runs_status_wake", "status", "wake_at"),
)

steps = Table(
    "agentkit_steps",
    metadata,
    Column("id", Integer(), primary_key=True, nullable=False),
    Column("run_id", String(64), nullable=False),
    Column("key", String(300), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("seq", Integer(), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("output", Text(), nullable=True),
    Column("error", Text(), nullable=True),
    Column("attempts", Integer(), nullable=False),
    Column("started_at", Float(), nullable=False),
    Column("ended_at", Float(), nullable=True),
    Column("wake_at", Float(), nullable=True),
    Column("wait_ref", String(300), nullable=True),
    Column("wait_match", Text(), nullable=True),
    UniqueConstraint("run_id", "key", name="uq_steps_run_key"),
    Index("ix_steps_open_waits", "status", "kind", "wait_ref"),
)

tokens = Table(
    "agentkit_tokens",
    metadata,
    Column("token", String(100), primary_key=True, nullable=False),
    Column("run_id", String(64), nullable=False),
    Column("step_key", String(300), nullable=False),
    Column("status", String(16), nullable=False),
    Column("description", Text(), nullable=True),
    Column("schema", Text(), nullable=True),
    Column("payload", Text(), nullable=True),
    Column("created_at", Float(), nullable=False),
    Column("expires_at", Float(), nullable=True),
    Column("completed_at", Float(), nullable=True),
    Index("ix_tokens_run", "run_id"),
    Index("ix_tokens_status", "status"),
)

events = Table(
    "agentkit_events",
    metadata,
    Column("id", String(64), primary_key=True, nullable=False),
    Column("name", String(200), nullable=False),
    Column("data", Text(), nullable=False),
    Column("received_at", Float(), nullable=False),
    Index("ix_events_name", "name"),
)

completions = Table(
    "agentkit_completions",
    metadata,
    Column("id", String(64), primary_key=True, nullable=False),
    Column("run_id", String(64), nullable=False),
    Column("step_key", String(300), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("attempt", Integer(), nullable=False),
    Column("model_index", Integer(), nullable=False),
    Column("provider", String(50), nullable=False),
    Column("model", String(200), nullable=False),
    Column("created_at", Float(), nullable=False),
    Column("request", Text(), nullable=True),
    Column("response", Text(), nullable=True),
    Column("stream_events", Text(), nullable=True),
    Column("status_code", Integer(), nullable=True),
    Column("headers", Text(), nullable=True),
    Column("error", Text(), nullable=True),
    Column("latency_ms", Float(), nullable=False),
    Column("waited_s", Float(), nullable=False),
    Column("input_tokens", Integer(), nullable=True),
    Column("output_tokens", Integer(), nullable=True),
    Column("cached_tokens", Integer(), nullable=True),
    Column("cost_usd", Float(), nullable=True),
    Index("ix_completions_run_step", "run_id", "step_key"),
)

threads = Table(
    "agentkit_threads",
    metadata,
    Column("id", String(64), primary_key=True, nullable=False),
    Column("created_at", Float(), nullable=False),
    Column("updated_at", Float(), nullable=False),
    Column("metadata", Text(), nullable=False),
    Column("message_count", Integer(), nullable=False),
    Column("summary", Text(), nullable=True),
    Column("summary_through", Integer(), nullable=False),
    Column("forked_from", String(64), nullable=True),
    Column("forked_at", String(64), nullable=True),
    Index("ix_threads_updated", "updated_at"),
)

thread_messages = Table(
    "agentkit_thread_messages",
    metadata,
    Column("id", String(64), primary_key=True, nullable=False),
    Column("thread_id", String(64), nullable=False),
    Column("seq", Integer(), nullable=False),
    Column("message", Text(), nullable=False),
    Column("created_at", Float(), nullable=False),
    Column("write_key", String(380), nullable=True),
    UniqueConstraint("thread_id", "seq", name="uq_thread_messages_seq"),
    Index("ix_thread_messages_write", "thread_id", "write_key"),
)

memories = Table(
    "agentkit_memories",
    metadata,
    Column("namespace", String(200), primary_key=True, nullable=False),
    Column("key", String(300), primary_key=True, nullable=False),
    Column("text", Text(), nullable=False),
    Column("metadata", Text(), nullable=False),
    Column("embedding", LargeBinary(), nullable=False),
    Column("created_at", Float(), nullable=False),
    Column("updated_at", Float(), nullable=False),
)

memory_namespaces = Table(
    "agentkit_memory_namespaces",
    metadata,
    Column("namespace", String(200), primary_key=True, nullable=False),
    Column("generation", Integer(), nullable=False),
)

rate_limits = Table(
    "agentkit_rate_limits",
    metadata,
    Column("name", String(300), primary_key=True, nullable=False),
    Column("blocked_until", Float(), nullable=False),
    Column("requests_remaining", Integer(), nullable=True),
    Column("requests_reset_at", Float(), nullable=True),
    Column("tokens_remaining", Integer(), nullable=True),
    Column("tokens_reset_at", Float(), nullable=True),
)

rate_permits = Table(
    "agentkit_rate_permits",
    metadata,
    Column("id", String(64), primary_key=True, nullable=False),
    Column("name", String(300), nullable=False),
    Column("holder", String(100), nullable=False),
    Column("granted_at", Float(), nullable=False),
    Column("tokens", Integer(), nullable=False),
    Column("lease_expires_at", Float(), nullable=True),
    Index("ix_rate_permits_name_granted", "name", "granted_at"),
)

run_slots = Table(
    "agentkit_run_slots",
    metadata,
    Column("run_id", String(64), primary_key=True, nullable=False),
    Column("slot_key", String(300), primary_key=True, nullable=False),
    Column("slot_limit", Integer(), nullable=False),
    Index("ix_run_slots_key", "slot_key"),
)

cancel_on = Table(
    "agentkit_cancel_on",
    metadata,
    Column("id", Integer(), primary_key=True, nullable=False),
    Column("run_id", String(64), nullable=False),
    Column("event_name", String(200), nullable=False),
    Column("match", Text(), nullable=False),
    Index("ix_cancel_on_event", "event_name"),
)

flow_state = Table(
    "agentkit_flow_state",
    metadata,
    Column("key", String(516), primary_key=True, nullable=False),
    Column("value", Float(), nullable=False),
    Column("run_id", String(64), nullable=True),
)
