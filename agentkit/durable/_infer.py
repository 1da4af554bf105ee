"""``ctx.step.infer``: a recorded call as a durable step, every raw exchange stored.

The engine knows nothing about LLMs. It records any object that satisfies
`Recordable`, a small protocol defined here (`agentkit.models.Model` and
`FallbackModel` satisfy it): what the request's fingerprint is made of, a call
that reports every attempt's raw exchange, and a parse of a stored exchange.
The contract:

- Every attempt the call reports (success or error, after retries and
  failover) is stored as a completion row *before* the call goes on: raw
  request body, raw response or stream events, status, allow-listed headers,
  usage, cost, latency. Never API keys or request headers.
- The journal entry references the successful completion; the value the code
  receives is always parsed from that stored exchange (on the first run too),
  so replaying after a parser fix applies the fix without calling again.
- If a process died after a completion was stored but before the step was
  journaled, the stored completion is used instead of calling again.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from agentkit.durable import _json as fast_json
from agentkit.durable._execution_state import Execution
from agentkit.durable._ids import new_id
from agentkit.durable._observers import notify
from agentkit.durable._serde import fingerprint
from agentkit.errors import StepFailed, UsageError
from agentkit.store import CompletionRecord, StepRecord
from agentkit.store._records import error_json

__all__ = [
    "Recordable",
    "RecordedAttempt",
    "RecordedExchange",
    "RecordedUsage",
    "StoredExchange",
    "stored_exchange",
]

RequestT = TypeVar("RequestT", contravariant=True)
ResponseT = TypeVar("ResponseT", covariant=True)


class RecordedExchange(Protocol):
    """What went over the wire in one attempt (never request headers or keys)."""

    @property
    def request_body(self) -> Mapping[str, Any]: ...
    @property
    def response_body(self) -> Mapping[str, Any] | None: ...
    @property
    def stream_events(self) -> Sequence[Mapping[str, Any]] | None: ...
    @property
    def status_code(self) -> int | None: ...
    @property
    def headers(self) -> Mapping[str, str]: ...


class RecordedUsage(Protocol):
    """Token counts an attempt reported."""

    @property
    def input_tokens(self) -> int: ...
    @property
    def output_tokens(self) -> int: ...
    @property
    def cached_tokens(self) -> int: ...


class RecordedAttempt(Protocol):
    """One attempt of a recorded call, as the engine stores it."""

    @property
    def number(self) -> int: ...
    @property
    def model_index(self) -> int: ...
    @property
    def provider(self) -> str: ...
    @property
    def model(self) -> str: ...
    @property
    def exchange(self) -> RecordedExchange | None: ...
    @property
    def error(self) -> Mapping[str, Any] | None: ...
    @property
    def usage(self) -> RecordedUsage | None: ...
    @property
    def cost_usd(self) -> float | None: ...
    @property
    def latency_ms(self) -> float: ...
    @property
    def waited_s(self) -> float: ...


@dataclass(frozen=True)
class StoredExchange:
    """A stored attempt's exchange, handed back to `Recordable.parse_recorded`."""

    provider: str
    model: str
    request_body: dict[str, Any]
    response_body: dict[str, Any] | None
    stream_events: list[dict[str, Any]] | None
    status_code: int | None
    headers: dict[str, str] = field(default_factory=dict)
    latency_ms: float = 0.0


class Recordable(Protocol[RequestT, ResponseT]):
    """What ``ctx.step.infer`` records: a call whose raw exchanges can be stored and re-parsed."""

    @property
    def call_errors(self) -> tuple[type[Exception], ...]:
        """Errors of a call that failed for good: journaled as the step's failure."""
        ...

    def recording_input(self, request: RequestT) -> Any:
        """The JSON-able form of ``request`` that the step's fingerprint is made of."""
        ...

    async def call_recorded(
        self,
        request: RequestT,
        *,
        on_attempt: Callable[[RecordedAttempt], Awaitable[None]],
        on_event: Callable[[Any], Any] | None,
        sleep: Callable[[float], Awaitable[None]],
        clock: Callable[[], float],
    ) -> RecordedAttempt:
        """Call until an attempt succeeds; report each attempt first; return the success."""
        ...

    def parse_recorded(self, stored: StoredExchange) -> ResponseT:
        """The value a stored, successful exchange stands for (pure, offline)."""
        ...


R = TypeVar("R")


def _record(attempt: RecordedAttempt, ex: Execution, key: str, fp: str) -> CompletionRecord:
    exchange = attempt.exchange
    usage = attempt.usage
    return CompletionRecord(
        id=new_id("cmp"),
        run_id=ex.run.id,
        step_key=key,
        fingerprint=fp,
        attempt=attempt.number,
        model_index=attempt.model_index,
        provider=attempt.provider,
        model=attempt.model,
        created_at=ex.clock.now(),
        request=None if exchange is None else fast_json.dumps(exchange.request_body),
        response=None
        if exchange is None or exchange.response_body is None
        else fast_json.dumps(exchange.response_body),
        stream_events=None
        if exchange is None or exchange.stream_events is None
        else fast_json.dumps(exchange.stream_events),
        status_code=None if exchange is None else exchange.status_code,
        headers=None if exchange is None else fast_json.dumps(exchange.headers),
        error=None if attempt.error is None else json.dumps(attempt.error, default=str),
        latency_ms=attempt.latency_ms,
        waited_s=attempt.waited_s,
        input_tokens=None if usage is None else usage.input_tokens,
        output_tokens=None if usage is None else usage.output_tokens,
        cached_tokens=None if usage is None else usage.cached_tokens,
        cost_usd=attempt.cost_usd,
    )


def stored_exchange(completion: CompletionRecord) -> StoredExchange:
    """The exchange a stored completion holds, as `Recordable.parse_recorded` reads it."""
    return StoredExchange(
        provider=completion.provider,
        model=completion.model,
        request_body=fast_json.loads(completion.request or "{}"),
        response_body=None if completion.response is None else fast_json.loads(completion.response),
        stream_events=None
        if completion.stream_events is None
        else fast_json.loads(completion.stream_events),
        status_code=completion.status_code,
        headers=fast_json.loads(completion.headers or "{}"),
        latency_ms=completion.latency_ms,
    )


def _reference(completion: CompletionRecord, attempts: int) -> str:
    return json.dumps(
        {
            "completion_id": completion.id,
            "provider": completion.provider,
            "model": completion.model,
            "attempts": attempts,
        }
    )


async def infer(
    ex: Execution,
    step_id: str,
    model: Recordable[Any, R],
    request: Any,
    stream: Callable[[Any], Any] | None,
) -> R:
    """Implementation of `Steps.infer` (see there)."""
    ex.enter(step_id)
    recording_input = model.recording_input(request)
    key = ex.journal.next_key(step_id)
    fp = fingerprint("infer", recording_input)
    entry = ex.journal.lookup(key, "infer", fp, recording_input)
    completion: CompletionRecord | None = None
    if entry is None:
        await ex.before_live(key, "infer")
        if ex.journal.observer is not None:
            model = ex.journal.observer.live_callee(key, "infer", model)
        ex.live_step_started()
        if ex.observers:
            ex.step_started(key, "infer")
        try:
            entry, completion = await _live(ex, key, fp, model, request, stream)
        except StepFailed:  # journaled, and told, by _live
            raise
        except BaseException:
            if ex.observers:
                ex.step_ended(key, None)
            raise
        finally:
            ex.live_step_ended()
    if entry.status == "failed":
        raise ex.step_failed(entry)
    if completion is None:  # replayed, or journaled first by another worker
        reference = json.loads(entry.output or "{}")
        completion = ex.store.get_completion(reference["completion_id"])
        if completion is None:
            raise UsageError(
                f"step {key!r} references completion {reference['completion_id']!r}, "
                "which the store does not have"
            )
    return model.parse_recorded(stored_exchange(completion))


async def _live(
    ex: Execution,
    key: str,
    fp: str,
    model: Recordable[Any, Any],
    request: Any,
    stream: Callable[[Any], Any] | None,
) -> tuple[StepRecord, CompletionRecord | None]:
    """Make the call; journal the outcome.

    Returns the journal entry, and the completion it names when that is the
    one this call wrote (None when another worker journaled the step first).
    """
    seq = ex.journal.allocate_seq()
    record = StepRecord(
        run_id=ex.run.id,
        key=key,
        kind="infer",
        status="completed",
        seq=seq,
        fingerprint=fp,
        started_at=ex.clock.now(),
    )
    if not ex.fresh:
        earlier = [
            c
            for c in ex.store.list_completions(ex.run.id, key)
            if c.succeeded and c.fingerprint == fp
        ]
        if earlier:  # paid for by a process that died before journaling: use it
            record.output = _reference(earlier[-1], attempts=0)
            record.attempts, record.ended_at = 0, ex.clock.now()
            return _named(_journal(ex, record), record, earlier[-1])

    stored: dict[int, CompletionRecord] = {}
    # The latest successful attempt is held back to be written in one
    # transaction with the journal entry naming it; any other is stored at once.
    held: list[CompletionRecord] = []

    def store(completion: CompletionRecord) -> None:
        ex.store.append_completion(completion)
        if ex.observers:
            notify(ex.observers, "completion_stored", completion)

    def flush() -> None:
        while held:
            store(held.pop())

    async def on_attempt(attempt: RecordedAttempt) -> None:
        flush()
        completion = _record(attempt, ex, key, fp)
        if attempt.error is None:
            held.append(completion)
        else:
            store(completion)
        stored[attempt.number] = completion

    try:
        success = await model.call_recorded(
            request,
            on_attempt=on_attempt,
            on_event=stream,
            sleep=ex.clock.sleep,
            clock=ex.clock.now,
        )
    except model.call_errors as exc:
        flush()
        record.status = "failed"
        status_code = getattr(exc, "status_code", None)  # HTTP-like failures carry one
        record.error = error_json(
            type(exc).__name__,
            str(exc),
            status_code=status_code if isinstance(status_code, int) else None,
        )
        record.attempts, record.ended_at = len(stored), ex.clock.now()
        journaled = _journal(ex, record)
        if journaled.status == "failed":
            raise ex.step_failed(journaled) from exc
        return journaled, None
    except BaseException:
        flush()  # paid for: kept, so a later execution reuses it
        raise
    completion = stored[success.number]
    record.output = _reference(completion, attempts=len(stored))
    record.attempts, record.ended_at = len(stored), ex.clock.now()
    if held and held[-1] is completion:
        held.clear()
        journaled = await ex.store.append_completion_step_async(completion, record)
        ex.journal.record(journaled)
        if ex.observers:
            notify(ex.observers, "completion_stored", completion)
            ex.step_ended(key, journaled)
        return _named(journaled, record, completion)
    flush()
    return _named(_journal(ex, record), record, completion)


def _named(
    journaled: StepRecord, written: StepRecord, completion: CompletionRecord
) -> tuple[StepRecord, CompletionRecord | None]:
    """The entry, and ``completion`` only if the entry is the one that names it."""
    return journaled, completion if journaled.output == written.output else None


def _journal(ex: Execution, record: StepRecord) -> StepRecord:
    stored = ex.store.append_step(record)
    ex.journal.record(stored)
    if ex.observers:
        ex.step_ended(record.key, stored)
    return stored
