"""Plain records that cross the `Store` boundary, and how their text is encoded and scrubbed.

The engine never sees SQL rows: stores turn rows into these frozen-ish
dataclasses. The rules over them (which run is claimable, what finishing a child
or completing a token writes) live in `agentkit.store._rules`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from agentkit._redact import scrub

RunStatus = Literal["queued", "running", "waiting", "completed", "failed", "cancelled"]
StepKind = Literal["run", "sleep", "token", "event", "invoke", "infer"]
StepStatus = Literal["completed", "failed", "waiting"]
TokenStatus = Literal["pending", "completed", "expired", "cancelled"]

TERMINAL_RUN_STATUSES: frozenset[str] = frozenset({"completed", "failed", "cancelled"})


@dataclass
class RunRecord:
    """One execution of a durable function, as the store holds it.

    ``input``, ``output`` and ``error`` are JSON text. ``wake_seq`` counts the
    wake-ups delivered to the run (token completed, event matched, child done);
    a worker may only park a run as ``waiting`` if no wake-up arrived since it
    claimed the run, which closes the lost-wake-up race.
    """

    id: str
    function_id: str
    status: RunStatus
    input: str
    created_at: float
    updated_at: float
    output: str | None = None
    error: str | None = None
    idempotency_key: str | None = None
    parent_run_id: str | None = None
    parent_step_key: str | None = None
    root_run_id: str | None = None
    started_at: float | None = None
    ended_at: float | None = None
    wake_at: float | None = None
    lease_owner: str | None = None
    lease_expires_at: float | None = None
    wake_seq: int = 0
    executions: int = 0
    priority: int = 0
    slots: int = 0
    # W3C ``traceparent`` of the run's trace: the caller's span when the run was
    # started inside one, else set at its first execution by an observer.
    traceparent: str | None = None

    @property
    def is_terminal(self) -> bool:
        """Whether the run has ended (completed, failed or cancelled)."""
        return self.status in TERMINAL_RUN_STATUSES


@dataclass
class StepRecord:
    """One journal entry: the outcome of a step, or a wait that is still open.

    ``seq`` is the order in which the run first asked for its steps. For waits,
    ``wake_at`` is the deadline (timer or timeout), ``wait_ref`` names what is
    awaited (token value, event name, child run id) and ``wait_match`` holds an
    event filter as JSON.
    """

    run_id: str
    key: str
    kind: StepKind
    status: StepStatus
    seq: int
    fingerprint: str
    started_at: float
    output: str | None = None
    error: str | None = None
    attempts: int = 1
    ended_at: float | None = None
    wake_at: float | None = None
    wait_ref: str | None = None
    wait_match: str | None = None


@dataclass
class TokenRecord:
    """A human-in-the-loop token: a single-use capability to resume a waiting run."""

    token: str
    run_id: str
    step_key: str
    status: TokenStatus
    created_at: float
    expires_at: float | None
    description: str | None = None
    schema: str | None = None
    payload: str | None = None
    completed_at: float | None = None


@dataclass
class CompletionRecord:
    """One attempt of one model call: the raw exchange, as JSON text, and its cost.

    Never holds API keys or request headers: ``request`` is the JSON body sent,
    ``headers`` the allow-listed response headers. ``fingerprint`` is the
    request fingerprint of the ``infer`` step that made the call.
    """

    id: str
    run_id: str
    step_key: str
    fingerprint: str
    attempt: int
    model_index: int
    provider: str
    model: str
    created_at: float
    request: str | None = None
    response: str | None = None
    stream_events: str | None = None
    status_code: int | None = None
    headers: str | None = None
    error: str | None = None
    latency_ms: float = 0.0
    waited_s: float = 0.0
    input_tokens: int | None = None
    output_tokens: int | None = None
    cached_tokens: int | None = None
    cost_usd: float | None = None

    @property
    def succeeded(self) -> bool:
        """Whether this attempt returned a response (no error)."""
        return self.error is None


@dataclass
class EventRecord:
    """An event sent to the kit; it wakes waits whose name and filter match."""

    id: str
    name: str
    data: str
    received_at: float

    def as_step_output(self) -> str:
        """The JSON a matched ``wait_for_event`` step journals and returns."""
        return json.dumps(
            {
                "id": self.id,
                "name": self.name,
                "data": json.loads(self.data),
                "received_at": self.received_at,
            }
        )


def error_json(error_type: str, message: str, **extra: Any) -> str:
    """Encode a failure the way runs and steps journal it."""
    return json.dumps({"type": error_type, "message": message, **extra})


# The text fields that may carry whatever a run, a step or a provider said, and so
# a secret a provider echoed back. Every store writes them through `scrubbed`.
_TEXT_FIELDS: dict[type, tuple[str, ...]] = {
    RunRecord: ("input", "output", "error"),
    StepRecord: ("output", "error", "wait_match"),
    TokenRecord: ("description", "payload"),
    EventRecord: ("data",),
    CompletionRecord: ("request", "response", "stream_events", "headers", "error"),
}

RecordT = TypeVar("RecordT", RunRecord, StepRecord, TokenRecord, EventRecord, CompletionRecord)


def scrub_text(text: str | None) -> str | None:
    """`agentkit._redact.scrub` that lets None through."""
    return text if not text else scrub(text)


def scrubbed_row(record: Any) -> dict[str, Any]:
    """``record``'s fields as a dict, every registered secret removed from its text."""
    row = dict(vars(record))  # records are flat: no deep copy needed
    for name in _TEXT_FIELDS[type(record)]:
        value = row[name]
        if value:
            row[name] = scrub(value)
    return row


def scrubbed(record: RecordT) -> RecordT:
    """A copy of ``record`` with every registered secret removed from its text fields."""
    return type(record)(**scrubbed_row(record))


# -- threads and memories ------------------------------------------------------
# Appended below the engine's records: the store layer holds conversations as
# JSON text and never learns what a message is (that is the model layer's type).


@dataclass
class ThreadRecord:
    """A conversation that outlives a run.

    ``metadata`` is JSON text. ``summary`` is the compaction of the first
    ``summary_through`` messages (a count, from the start of the thread), kept
    so the next run reuses it instead of summarizing again. ``forked_from`` and
    ``forked_at`` name the thread and message a fork was branched from.
    """

    id: str
    created_at: float
    updated_at: float
    metadata: str = "{}"
    message_count: int = 0
    summary: str | None = None
    summary_through: int = 0
    forked_from: str | None = None
    forked_at: str | None = None


@dataclass
class ThreadMessageRecord:
    """One message of a thread: its JSON and its place.

    ``seq`` counts from 0 in the thread. ``write_key`` names the durable write
    that appended it (a run id and step key): a write that is repeated after a
    crash finds its messages already there and adds nothing.
    """

    id: str
    thread_id: str
    seq: int
    message: str
    created_at: float
    write_key: str | None = None


@dataclass
class MemoryRecord:
    """One long-term fact: text, metadata (JSON object text), its embedding (float32 bytes)."""

    namespace: str
    key: str
    text: str
    metadata: str
    embedding: bytes
    created_at: float
    updated_at: float


# Threads and memories hold what users and models said: scrubbed like journals.
_TEXT_FIELDS.update(
    {
        ThreadRecord: ("metadata", "summary"),
        ThreadMessageRecord: ("message",),
        MemoryRecord: ("text", "metadata"),
    }
)
