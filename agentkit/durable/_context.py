"""`Context` and `Steps`: the only way a durable function touches the world.

Every ``ctx.step`` call gets a key, looks in the journal, and either returns the
recorded outcome (memoized) or runs live and journals the outcome before the
function continues.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import inspect
import json
import logging
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, ParamSpec, TypeVar, cast, overload

from pydantic import BaseModel, ConfigDict

from agentkit._redact import RedactingFilter
from agentkit.durable._clock import check_seconds
from agentkit.durable._execution_state import (
    Execution,
    current_step,
    failure_json,
    is_engine_signal,
)
from agentkit.durable._flow import plan_start
from agentkit.durable._function import DurableFunction
from agentkit.durable._ids import new_id, new_token
from agentkit.durable._infer import Recordable, infer
from agentkit.durable._replay import check_length
from agentkit.durable._serde import adapter_for, fingerprint, load, return_annotation, round_trip
from agentkit.errors import (
    EventTimeout,
    NonRetriableError,
    StepFailed,
    StepSerializationError,
    TokenTimeout,
    UsageError,
)
from agentkit.retry import RetryPolicy
from agentkit.store import CompletionRecord, RunRecord, StepKind, StepRecord, Store, TokenRecord
from agentkit.store._flow_rules import FlowPlan
from agentkit.store._limits import MAX_NAME_LENGTH
from agentkit.store._records import error_json

RequestT = TypeVar("RequestT")
ResponseT = TypeVar("ResponseT")

logger = logging.getLogger("agentkit.steps")
logger.addFilter(RedactingFilter())  # step errors may quote what a provider echoed

T = TypeVar("T")
P = ParamSpec("P")
OnTimeout = Literal["raise", "none"]

_NEVER_RETRIED = (NonRetriableError, StepSerializationError, UsageError)


def _timeout(call: str, timeout: timedelta | float | None) -> float | None:
    if timeout is None:
        return None
    return check_seconds(f"{call}: timeout", timeout)


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, Exception) and not isinstance(exc, _NEVER_RETRIED)


#: Executions in flight in this process from which a step's write joins the
#: database thread's group commit (`Store.append_step_async`). Below it the
#: write is made at once: for a lone run, handing it to the thread and back
#: cost 3x a step (bench/step_overhead.py); for many runs, the group wins.
GROUP_WRITES_FROM = 16


async def _append_step(
    ex: Execution, step: StepRecord, token: TokenRecord | None = None
) -> StepRecord:
    if len(ex.kit._executors) >= GROUP_WRITES_FROM:
        return await ex.store.append_step_async(step, token)
    return ex.store.append_step(step, token)


class Token(BaseModel):
    """A human-in-the-loop token created by `Steps.create_token`.

    ``value`` is the secret to hand to whoever completes it (``kit.complete_token``,
    ``agentkit tokens complete``).
    """

    # Built on first use, not at import: the first pydantic model built in a
    # process pays for pydantic's own set-up (plugins, schema machinery), which
    # a worker resuming a run may never need (bench/import_time.py).
    model_config = ConfigDict(defer_build=True)

    value: str
    step_key: str
    expires_at: float | None
    description: str | None = None


class Event(BaseModel):
    """An event delivered to a ``wait_for_event`` step."""

    model_config = ConfigDict(defer_build=True)  # as Token's

    id: str
    name: str
    data: Any
    received_at: float


@dataclass
class Context:
    """Handed to every durable function as its first argument.

    Attributes:
        run_id: id of the run being executed.
        function_id: id of the durable function.
        step: the step API (`Steps`).
    """

    run_id: str
    function_id: str
    step: Steps

    @property
    def is_replaying(self) -> bool:
        """True while journaled steps remain to be replayed in this execution."""
        return self.step._ex.journal.has_unconsumed()

    @property
    def store(self) -> Store:
        """The store this run is kept in.

        For layers above the engine that keep records beside the journal
        (conversation threads, memories). Read it through a step when what is
        read must be the same on replay, and write it only inside a step.
        """
        return self.step._ex.store

    def now(self) -> float:
        """The engine clock's time (epoch seconds); inside a step, for what it writes."""
        return self.step._ex.clock.now()


class Steps:
    """Durable steps. Obtain it as ``ctx.step``; see the README for the semantics."""

    def __init__(self, execution: Execution, retry: RetryPolicy) -> None:
        self._ex = execution
        self._retry = retry

    def with_retry(self, policy: RetryPolicy) -> Steps:
        """The same step API with another retry policy for ``run`` steps."""
        return Steps(self._ex, policy)

    @property
    def idempotency_key(self) -> str:
        """A key unique to the running step, stable across its re-executions.

        Pass it to external APIs (payments, e-mail) so that a step re-run after a
        crash does not repeat the side effect.
        """
        scope = current_step.get()
        if scope is None:
            raise UsageError("ctx.step.idempotency_key is only available inside a step's body")
        return f"{scope[0]}/{scope[1]}"

    def peek_key(self, step_id: str) -> str:
        """The key the next call with ``step_id`` will get (``id``, ``id#1``, ...)."""
        count = self._ex.journal.counters.get(step_id, 0)
        return step_id if count == 0 else f"{step_id}#{count}"

    def completions(self, keys: Collection[str] | None = None) -> list[CompletionRecord]:
        """This run's stored model-call attempts (of ``keys`` only, if given), oldest first."""
        found = self._ex.store.list_completions(self._ex.run.id)
        return found if keys is None else [c for c in found if c.step_key in keys]

    def referenced_completion(self, key: str) -> str | None:
        """The id of the completion a journaled ``infer`` step answered with."""
        entry = self._ex.journal.entries.get(key)
        if entry is None or entry.kind != "infer" or entry.status != "completed":
            return None
        return str(json.loads(entry.output or "{}")["completion_id"])

    # -- run ----------------------------------------------------------------

    async def run(
        self, step_id: str, fn: Callable[..., Awaitable[T] | T], /, *args: Any, **kwargs: Any
    ) -> T:
        """Run ``fn(*args, **kwargs)`` once as a memoized, retried step.

        Sync callables run in a worker thread. The result round-trips through
        JSON by ``fn``'s return annotation, and that value is returned.

        Raises:
            StepFailed: the last attempt failed (also on every replay).
            StepSerializationError: the result cannot be journaled.
        """
        ex = self._ex
        ex.enter(step_id)
        key = ex.journal.next_key(step_id)
        adapter = adapter_for(return_annotation(fn), f"step {key!r}")
        fp = fingerprint(args, kwargs)
        entry = ex.journal.lookup(key, "run", fp, (args, kwargs))
        if entry is None:
            await ex.before_live(key, "run")
            if ex.journal.observer is not None:
                fn = ex.journal.observer.live_callee(key, "run", fn)
            ex.live_step_started()
            logger.debug("run %s: step %r started", ex.run.id, key)
            if ex.observers:
                ex.step_started(key, "run")
            try:
                entry = await self._run_live(key, fp, fn, args, kwargs, adapter)
            except StepFailed as failed:  # journaled, and told, by _run_live
                logger.warning("run %s: %s", ex.run.id, failed)
                raise
            except BaseException:
                if ex.observers:
                    ex.step_ended(key, None)
                raise
            finally:
                ex.live_step_ended()
            logger.debug("run %s: step %r %s", ex.run.id, key, entry.status)
        if entry.status == "failed":
            raise ex.step_failed(entry)
        return cast(T, load(adapter, entry.output or "null", f"step {key!r}"))

    async def _run_live(
        self,
        key: str,
        fp: str,
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        adapter: Any,
    ) -> StepRecord:
        ex = self._ex
        seq = ex.journal.allocate_seq()
        started = ex.clock.now()
        attempts = 0

        async def attempt() -> Any:
            nonlocal attempts
            attempts += 1
            scope = current_step.set((ex.run.id, key))
            try:
                if inspect.iscoroutinefunction(fn):
                    value = await fn(*args, **kwargs)
                else:
                    value = await asyncio.to_thread(fn, *args, **kwargs)
                if inspect.isawaitable(value):
                    value = await value
                return value
            finally:
                current_step.reset(scope)

        record = StepRecord(
            run_id=ex.run.id,
            key=key,
            kind="run",
            status="completed",
            seq=seq,
            fingerprint=fp,
            started_at=started,
        )
        try:
            value = await self._attempts(attempt)
        except (StepSerializationError, UsageError):
            raise
        except BaseException as exc:
            # Any exception of the body, SystemExit and user BaseExceptions too, is
            # the step's failure: journaled, so no worker dies or loops on it. Only
            # the engine's own signals pass through.
            if is_engine_signal(exc):
                raise
            record.status = "failed"
            record.error = failure_json(exc)
            record.attempts, record.ended_at = attempts, ex.clock.now()
            stored = await _append_step(ex, record)
            ex.journal.record(stored)
            if ex.observers:
                ex.step_ended(key, stored)
            if stored.status == "failed":
                raise ex.step_failed(stored) from exc
            return stored  # another worker journaled a success first: that one counts
        # A result that cannot be journaled is a bug in the step: fail the run at
        # once, journal nothing, so that fixed code can run the step again.
        record.output, _ = round_trip(adapter, value, f"step {key!r}")
        record.attempts, record.ended_at = attempts, ex.clock.now()
        stored = await _append_step(ex, record)
        ex.journal.record(stored)
        if ex.observers:
            ex.step_ended(key, stored)
        return stored

    async def _attempts(self, attempt: Callable[[], Awaitable[Any]]) -> Any:
        clock = self._ex.clock
        return await self._retry.call(
            attempt, retryable=_retryable, sleep=clock.sleep, clock=clock.now
        )

    # -- model calls --------------------------------------------------------

    async def infer(
        self,
        step_id: str,
        model: Recordable[RequestT, ResponseT],
        request: RequestT,
        *,
        stream: Callable[[Any], Any] | None = None,
    ) -> ResponseT:
        """Call a model as a durable step; the only way an agent talks to a model.

        ``model`` is anything `Recordable` (`agentkit.models.Model`,
        `FallbackModel`); retries, rate limits and failover are the model's.
        Every attempt's raw exchange is stored; the journal points at the
        successful one, and the response is parsed from it — on replay too, so
        no model is called again. ``stream`` receives text and tool-call deltas
        as they arrive on the live call.

        Raises:
            StepFailed: every attempt failed (journaled; raised again on replay).
            NonDeterminismError: on replay, the request differs from the recorded one.
        """
        return await infer(self._ex, step_id, model, request, stream)

    # -- waits --------------------------------------------------------------

    async def _wait(
        self,
        key: str,
        kind: StepKind,
        fp: str,
        make: Callable[[int], tuple[StepRecord, TokenRecord | None, RunRecord | None]],
        *,
        suspend: bool = True,
        child_plan: FlowPlan | None = None,
    ) -> StepRecord:
        """Journal a wait on first request; suspend until it is resolved."""
        ex = self._ex
        entry = ex.journal.lookup(key, kind, fp)
        if entry is None:
            await ex.before_live(key, kind)
            if ex.observers:
                ex.step_started(key, kind)
            wait, token, child = make(ex.journal.allocate_seq())
            if child is not None:
                entry = ex.store.start_child(child, wait, child_plan)
            else:
                entry = await _append_step(ex, wait, token)
            ex.journal.record(entry)
            if ex.observers:
                ex.step_ended(key, entry)
            ex.kit._notify()
        if suspend:
            entry = self._settle(entry)
        return entry

    def _settle(self, entry: StepRecord) -> StepRecord:
        """Resolve an expired wait, or suspend on an open one."""
        ex = self._ex
        if entry.status != "waiting":
            return entry
        if entry.wake_at is None or entry.wake_at > ex.clock.now():
            raise ex.suspend(entry)
        if entry.kind == "sleep":
            resolved = ex.store.resolve_wait(
                entry.run_id, entry.key, "completed", ex.clock.now(), output="null"
            )
        else:
            error_type = {"token": TokenTimeout, "event": EventTimeout}[entry.kind].__name__
            resolved = ex.store.resolve_wait(
                entry.run_id,
                entry.key,
                "failed",
                ex.clock.now(),
                error=error_json(error_type, f"no answer before {entry.wake_at:.3f}"),
            )
        if resolved is None:  # resolved concurrently by a token, event or child
            resolved = next(s for s in ex.store.load_journal(entry.run_id) if s.key == entry.key)
        ex.journal.record(resolved)
        return self._settle(resolved)

    def _waiting(self, key: str, kind: StepKind, seq: int, fp: str, **fields: Any) -> StepRecord:
        return StepRecord(
            run_id=self._ex.run.id,
            key=key,
            kind=kind,
            status="waiting",
            seq=seq,
            fingerprint=fp,
            started_at=self._ex.clock.now(),
            **fields,
        )

    async def sleep(self, step_id: str, duration: timedelta | float) -> None:
        """Suspend the run for ``duration`` (a timedelta or seconds)."""
        self._ex.enter(step_id)
        # A negative duration is a deadline already past (asyncio.sleep does the same).
        seconds = check_seconds(f"ctx.step.sleep({step_id!r}): duration", duration, sign="any")
        await self._sleep(step_id, self._ex.clock.now() + seconds)

    async def sleep_until(self, step_id: str, when: datetime | float) -> None:
        """Suspend the run until ``when`` (an aware datetime or epoch seconds)."""
        self._ex.enter(step_id)
        if isinstance(when, datetime):
            if when.tzinfo is None:
                raise UsageError(f"sleep_until({step_id!r}) needs a timezone-aware datetime")
            when = when.timestamp()
        await self._sleep(
            step_id, check_seconds(f"ctx.step.sleep_until({step_id!r}): when", when, sign="any")
        )

    async def _sleep(self, step_id: str, wake_at: float) -> None:
        key = self._ex.journal.next_key(step_id)
        fp = fingerprint("sleep")  # the deadline may be computed from the clock
        await self._wait(
            key,
            "sleep",
            fp,
            lambda seq: (self._waiting(key, "sleep", seq, fp, wake_at=wake_at), None, None),
        )

    async def create_token(
        self,
        step_id: str,
        *,
        timeout: timedelta | float | None = timedelta(days=7),
        schema: Any = None,
        description: str | None = None,
    ) -> Token:
        """Create a token without waiting yet, to send it somewhere in a step first.

        Then ``await ctx.step.wait_for_token(token)``.
        """
        ex = self._ex
        ex.enter(step_id)
        timeout_s = _timeout(f"ctx.step.create_token({step_id!r})", timeout)
        key = ex.journal.next_key(step_id)
        json_schema = (
            None if schema is None else adapter_for(schema, f"token {key!r}").json_schema()
        )
        fp = fingerprint("token", json_schema)

        def make(seq: int) -> tuple[StepRecord, TokenRecord | None, RunRecord | None]:
            now = ex.clock.now()
            expires = None if timeout_s is None else now + timeout_s
            value = new_token()
            token = TokenRecord(
                token=value,
                run_id=ex.run.id,
                step_key=key,
                status="pending",
                created_at=now,
                expires_at=expires,
                description=description,
                schema=None if json_schema is None else json.dumps(json_schema),
            )
            return (
                self._waiting(key, "token", seq, fp, wake_at=expires, wait_ref=value),
                token,
                None,
            )

        entry = await self._wait(key, "token", fp, make, suspend=False)
        return Token(
            value=entry.wait_ref or "",
            step_key=key,
            expires_at=entry.wake_at,
            description=description,
        )

    @overload
    async def wait_for_token(
        self,
        step: str,
        *,
        timeout: timedelta | float | None = ...,
        schema: type[T],
        description: str | None = ...,
        on_timeout: OnTimeout = ...,
    ) -> T: ...
    @overload
    async def wait_for_token(
        self,
        step: str | Token,
        *,
        timeout: timedelta | float | None = ...,
        schema: Any = ...,
        description: str | None = ...,
        on_timeout: OnTimeout = ...,
    ) -> Any: ...

    async def wait_for_token(
        self,
        step: str | Token,
        *,
        timeout: timedelta | float | None = timedelta(days=7),
        schema: Any = None,
        description: str | None = None,
        on_timeout: OnTimeout = "raise",
    ) -> Any:
        """Suspend until a human (or system) completes a token, and return its payload.

        ``step`` is a step id (the token is created here) or a `Token` made by
        `create_token`. The payload is validated against ``schema`` when the
        token is completed and parsed into it here.

        Raises:
            TokenTimeout: nobody completed it in time (unless ``on_timeout="none"``).
        """
        if not isinstance(step, Token):
            _timeout(f"ctx.step.wait_for_token({step!r})", timeout)
        token = (
            step
            if isinstance(step, Token)
            else await self.create_token(
                step, timeout=timeout, schema=schema, description=description
            )
        )
        entry = self._settle(self._ex.journal.entries[token.step_key])
        if entry.status == "failed":
            if on_timeout == "none":
                return None
            raise TokenTimeout(entry.key, "the token was not completed before it expired")
        adapter = adapter_for(Any if schema is None else schema, f"token {entry.key!r}")
        return load(adapter, entry.output or "null", f"token {entry.key!r}")

    async def wait_for_event(
        self,
        name: str,
        *,
        match: Mapping[str, Any] | None = None,
        timeout: timedelta | float | None = None,
        step_id: str | None = None,
        on_timeout: OnTimeout = "raise",
    ) -> Event | None:
        """Suspend until an event called ``name`` whose data matches ``match`` arrives.

        ``match`` maps dotted paths in the event data to required values. Only
        events sent after this wait is journaled can match it.

        Raises:
            EventTimeout: none came in time (unless ``on_timeout="none"``).
        """
        ex = self._ex
        step_id = step_id or f"event:{name}"
        ex.enter(step_id)
        check_length("event name", name, MAX_NAME_LENGTH)
        timeout_s = _timeout(f"ctx.step.wait_for_event({name!r})", timeout)
        key = ex.journal.next_key(step_id)
        match_json = json.dumps(dict(match or {}), sort_keys=True, default=str)
        fp = fingerprint("event", name, match_json)

        def make(seq: int) -> tuple[StepRecord, TokenRecord | None, RunRecord | None]:
            deadline = None if timeout_s is None else ex.clock.now() + timeout_s
            wait = self._waiting(
                key, "event", seq, fp, wake_at=deadline, wait_ref=name, wait_match=match_json
            )
            return wait, None, None

        entry = await self._wait(key, "event", fp, make)
        if entry.status == "failed":
            if on_timeout == "none":
                return None
            raise EventTimeout(entry.key, f"no event {name!r} matching {match_json} arrived")
        return Event.model_validate_json(entry.output or "{}")

    async def send_event(self, name: str, data: Any = None, *, step_id: str | None = None) -> None:
        """Send an event from inside the run, as a step: a replay does not send it again.

        The event's id is the step's idempotency key, so even a step re-run
        after a crash starts the functions it triggers (and wakes waits) once.
        """
        kit = self._ex.kit

        async def send() -> bool:
            digest = hashlib.sha256(self.idempotency_key.encode()).hexdigest()[:40]
            await kit.send_event(name, data, id=f"evt_{digest}")
            return True

        sent: bool = await self.run(step_id or f"send:{name}", send)
        assert sent  # journaled True: the event went out

    async def invoke(
        self, step_id: str, function: DurableFunction[P, T], /, *args: P.args, **input: P.kwargs
    ) -> T:
        """Start ``function`` as a child run and suspend until it ends; return its output.

        The input is typed and checked by ``function``'s parameters, as for
        `AgentKit.start`.

        A child of a flow-controlled function takes its concurrency slot,
        throttle turn, priority and cancel_on like any start; it is never
        debounced (this run waits for that very child).

        Raises:
            StepFailed: the child run failed or was cancelled.
        """
        ex = self._ex
        ex.enter(step_id)
        if not isinstance(function, DurableFunction):
            raise UsageError(f"invoke({step_id!r}) needs a durable function, got {function!r}")
        key = ex.journal.next_key(step_id)
        input_json = function.input_codec.encode(args, input)
        fp = fingerprint("invoke", function.id, input_json)
        plan, priority = None, 0
        if not function.flow.is_plain:
            plan, priority = plan_start(function.id, function.flow, json.loads(input_json))
            plan = dataclasses.replace(plan, debounce=None)

        def make(seq: int) -> tuple[StepRecord, TokenRecord | None, RunRecord | None]:
            now = ex.clock.now()
            child = RunRecord(
                id=new_id("run"),
                function_id=function.id,
                status="queued",
                input=input_json,
                created_at=now,
                updated_at=now,
                parent_run_id=ex.run.id,
                parent_step_key=key,
                root_run_id=ex.run.root_run_id or ex.run.id,
                traceparent=ex.run.traceparent,  # a child run joins its parent's trace
                priority=priority,
            )
            return self._waiting(key, "invoke", seq, fp, wait_ref=child.id), None, child

        entry = await self._wait(key, "invoke", fp, make, child_plan=plan)
        if entry.status == "failed":
            raise ex.step_failed(entry)
        return cast(T, load(function.output_adapter, entry.output or "null", f"child of {key!r}"))
