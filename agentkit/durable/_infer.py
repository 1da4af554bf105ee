"""``ctx.step.infer``: a model call as a durable step, with every raw completion stored.

This is the one place where the engine meets the model layer, and it imports
`agentkit.models` only when a run calls a model. The contract:

- Every attempt that `agentkit.models.complete` reports (success or error,
  after retries and failover) is stored as a completion row *before* the call
  goes on: raw request body, raw response or stream events, status, allow-listed
  headers, usage, cost, latency. Never API keys or request headers.
- The journal entry references the successful completion; the response the
  code receives is always parsed from that stored exchange (on the first run
  too), so replaying after a parser fix applies the fix without calling a model.
- If a process died after a completion was stored but before the step was
  journaled, the stored completion is used instead of calling the model again.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from agentkit.durable._execution import Execution
from agentkit.durable._ids import new_id
from agentkit.durable._serde import fingerprint
from agentkit.errors import UsageError
from agentkit.store import CompletionRecord, StepRecord
from agentkit.store._records import error_json

if TYPE_CHECKING:
    from agentkit.models import (
        Attempt,
        FallbackModel,
        Model,
        ModelRequest,
        ModelResponse,
        RawExchange,
        StreamEvent,
    )


def _record(attempt: Attempt, ex: Execution, key: str, fp: str) -> CompletionRecord:
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
        request=None if exchange is None else json.dumps(exchange.request_body),
        response=None
        if exchange is None or exchange.response_body is None
        else json.dumps(exchange.response_body),
        stream_events=None
        if exchange is None or exchange.stream_events is None
        else json.dumps(exchange.stream_events),
        status_code=None if exchange is None else exchange.status_code,
        headers=None if exchange is None else json.dumps(exchange.headers),
        error=None if attempt.error is None else json.dumps(attempt.error, default=str),
        latency_ms=attempt.latency_ms,
        waited_s=attempt.waited_s,
        input_tokens=None if usage is None else usage.input_tokens,
        output_tokens=None if usage is None else usage.output_tokens,
        cached_tokens=None if usage is None else usage.cached_tokens,
        cost_usd=attempt.cost_usd,
    )


def exchange_of(completion: CompletionRecord) -> RawExchange:
    """Rebuild the raw exchange of a stored completion, to parse it again."""
    from agentkit.models import RawExchange

    return RawExchange(
        provider=completion.provider,
        model=completion.model,
        request_body=json.loads(completion.request or "{}"),
        response_body=None if completion.response is None else json.loads(completion.response),
        stream_events=None
        if completion.stream_events is None
        else json.loads(completion.stream_events),
        status_code=completion.status_code,
        headers=json.loads(completion.headers or "{}"),
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
    model: Model | FallbackModel,
    request: ModelRequest,
    stream: Callable[[StreamEvent], Any] | None,
) -> ModelResponse:
    """Implementation of `Steps.infer` (see there)."""
    from agentkit.models import ModelRequest, parse_raw

    ex.enter(step_id)
    if not isinstance(request, ModelRequest):
        raise UsageError(
            f"infer({step_id!r}) needs an agentkit.models.ModelRequest, got "
            f"{type(request).__name__}"
        )
    key = ex.journal.next_key(step_id)
    fp = fingerprint("infer", request.model_dump(mode="json"))
    entry = ex.journal.lookup(key, "infer", fp)
    completion: CompletionRecord | None = None
    if entry is None:
        await ex.before_live(key, "infer")
        ex.live_step_started()
        try:
            entry, completion = await _live(ex, key, fp, model, request, stream)
        finally:
            ex.live_step_ended()
    if entry.status == "failed":
        raise ex.step_failed(entry)
    reference = json.loads(entry.output or "{}")
    if completion is None or completion.id != reference["completion_id"]:
        completion = ex.store.get_completion(reference["completion_id"])
    if completion is None:
        raise UsageError(
            f"step {key!r} references completion {reference['completion_id']!r}, "
            "which the store does not have"
        )
    return parse_raw(exchange_of(completion))


async def _live(
    ex: Execution,
    key: str,
    fp: str,
    model: Model | FallbackModel,
    request: ModelRequest,
    stream: Callable[[StreamEvent], Any] | None,
) -> tuple[StepRecord, CompletionRecord | None]:
    """Call the model; journal the outcome. Returns the entry and the completion it names."""
    from agentkit.models import ModelError, complete

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
    earlier = [
        c for c in ex.store.list_completions(ex.run.id, key) if c.succeeded and c.fingerprint == fp
    ]
    if earlier:  # paid for by a process that died before journaling: use it
        record.output = _reference(earlier[-1], attempts=0)
        record.attempts, record.ended_at = 0, ex.clock.now()
        return _journal(ex, record), earlier[-1]

    stored: dict[int, CompletionRecord] = {}

    async def on_attempt(attempt: Attempt) -> None:
        completion = _record(attempt, ex, key, fp)
        ex.store.append_completion(completion)
        stored[attempt.number] = completion

    try:
        success = await complete(
            model,
            request,
            on_attempt=on_attempt,
            on_event=stream,
            sleep=ex.clock.sleep,
            clock=ex.clock.now,
        )
    except ModelError as exc:
        record.status = "failed"
        record.error = error_json(type(exc).__name__, str(exc), status_code=exc.status_code)
        record.attempts, record.ended_at = len(stored), ex.clock.now()
        journaled = _journal(ex, record)
        if journaled.status == "failed":
            raise ex.step_failed(journaled) from exc
        return journaled, None
    record.output = _reference(stored[success.number], attempts=len(stored))
    record.attempts, record.ended_at = len(stored), ex.clock.now()
    return _journal(ex, record), stored[success.number]


def _journal(ex: Execution, record: StepRecord) -> StepRecord:
    stored = ex.store.append_step(record)
    ex.journal.record(stored)
    return stored
