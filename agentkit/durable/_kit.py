"""`AgentKit`: the registry of durable functions and the entry point to runs."""

from __future__ import annotations

import asyncio
import inspect
import json
import os
import socket
import warnings
from collections.abc import Callable, Coroutine, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Concatenate, Generic, ParamSpec, TypeVar, cast

import pydantic_core

from agentkit.durable._clock import Clock, SystemClock, check_seconds
from agentkit.durable._flow import (
    CancelOn,
    Concurrency,
    Debounce,
    Priority,
    Throttle,
    flow_options,
    plan_start,
)
from agentkit.durable._function import DurableFunction, StartOptions
from agentkit.durable._ids import new_id
from agentkit.durable._observers import RunObserver, start_traceparent
from agentkit.durable._replay import check_length, fork_prefix
from agentkit.durable._serde import load
from agentkit.durable._triggers import (
    EVENT_PARAMETER,
    EventTrigger,
    Trigger,
    check_trigger,
    event_matches,
)
from agentkit.durable._worker import DEFAULT_CONCURRENCY, Worker
from agentkit.errors import (
    ConfigError,
    FunctionNotFound,
    IdempotencyConflict,
    RunCancelledError,
    RunFailedError,
    RunNotFound,
    StepSerializationError,
    TokenNotFound,
    TokenPayloadInvalid,
    UsageError,
)
from agentkit.retry import RetryPolicy
from agentkit.store import (
    CompletionRecord,
    EventRecord,
    RunRecord,
    RunStatus,
    StepRecord,
    Store,
    TokenRecord,
    TokenStatus,
    database_url_from_env,
)
from agentkit.store._limits import MAX_KEY_LENGTH, MAX_NAME_LENGTH, MAX_WORKER_ID_LENGTH
from agentkit.store._rules import check_token_completable

if TYPE_CHECKING:
    from agentkit.durable._context import Context
    from agentkit.durable._executor import Executor

P = ParamSpec("P")
R = TypeVar("R")
# What `AgentKit.function` decorates: ``async def f(ctx: Context, ...) -> R``.
UserFunction = Callable[Concatenate["Context", P], Coroutine[Any, Any, R]]


def refuse_running_loop(call: str, instead: str) -> None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    raise UsageError(
        f"{call} cannot run inside a running event loop (Jupyter, async code): "
        f"use `{instead}` there instead"
    )


def check_worker_settings(concurrency: object, poll_interval: object) -> None:
    """Refuse worker settings that would never claim a run or spin without pause.

    Raises:
        ConfigError: naming the setting and its value.
    """
    if not isinstance(concurrency, int) or isinstance(concurrency, bool) or concurrency < 1:
        raise ConfigError(f"concurrency must be an integer of at least 1, got {concurrency!r}")
    check_seconds("poll_interval", poll_interval, sign="positive", error=ConfigError)


class RunHandle(Generic[R]):
    """A reference to a run: its id, status, result, and cancellation."""

    def __init__(self, kit: AgentKit, run_id: str) -> None:
        self.kit = kit
        self.id = run_id

    def __repr__(self) -> str:
        return f"<RunHandle {self.id}>"

    def record(self) -> RunRecord:
        """The run as stored now."""
        run = self.kit.store.get_run(self.id)
        if run is None:
            raise RunNotFound(self.id)
        return run

    def status(self) -> RunStatus:
        """queued, running, waiting, completed, failed or cancelled."""
        return self.record().status

    async def result(self, timeout: float | None = None, poll_interval: float = 0.05) -> R:
        """Wait for the run to end and return its output.

        This only watches the store; a worker (in this or another process) must
        execute the run. `AgentKit.run` does both.

        Raises:
            RunFailedError: the run failed.
            RunCancelledError: the run was cancelled.
            TimeoutError: ``timeout`` seconds passed first.
        """
        if timeout is not None:
            check_seconds("RunHandle.result: timeout", timeout)
        check_seconds("RunHandle.result: poll_interval", poll_interval, sign="positive")
        async with asyncio.timeout(timeout):
            while True:
                run = self.record()
                if run.is_terminal:
                    return cast(R, self.kit._decode_output(run))
                await asyncio.sleep(poll_interval)

    def cancel(self) -> bool:
        """Cancel the run and its children; False if it had already ended."""
        return self.kit.cancel(self.id)

    def tokens(self, status: TokenStatus | None = "pending") -> list[TokenRecord]:
        """This run's tokens (by default the ones still waiting for an answer)."""
        return self.kit.store.list_tokens(run_id=self.id, status=status)


class AgentKit:
    """Registry of durable functions, bound to one store.

    Args:
        database_url: SQLAlchemy URL; default ``AGENTKIT_DATABASE_URL`` or
            ``sqlite:///.agentkit/agentkit.db``.
        store: a ready `Store` instead of a URL (e.g. `InMemoryStore`).
        clock: time source (tests pass a `ManualClock`).
        lease_ttl: seconds a worker holds a run without renewing its lease;
            a run whose worker died is resumed elsewhere after this long.
        worker_id: name of this process's worker in leases.
        auto_migrate: migrate a database made by an older agentkit on open
            (otherwise it is refused, and ``agentkit db upgrade`` migrates it).
        observers: `RunObserver`s told of executions and steps as they happen
            (e.g. `agentkit.otel.OTelObserver`); ``kit.observers`` is the list.
    """

    # What `function` registers; a layer above may add methods to its functions
    # (the agent layer's kit gives them ``as_tool``).
    function_type: type[DurableFunction[..., Any]] = DurableFunction

    def __init__(
        self,
        database_url: str | None = None,
        *,
        store: Store | None = None,
        clock: Clock | None = None,
        lease_ttl: float = 30.0,
        worker_id: str | None = None,
        auto_migrate: bool = False,
        observers: Iterable[RunObserver] = (),
    ) -> None:
        if store is not None and database_url is not None:
            raise ConfigError("pass either database_url or store, not both")
        lease_ttl = check_seconds("lease_ttl", lease_ttl, sign="positive", error=ConfigError)
        if worker_id is not None:
            if not isinstance(worker_id, str) or not worker_id:
                raise ConfigError(f"worker_id must be a non-empty string, got {worker_id!r}")
            check_length("worker_id", worker_id, MAX_WORKER_ID_LENGTH, ConfigError)
        if store is not None and auto_migrate:
            raise ConfigError("auto_migrate applies to a database_url; migrate the store you pass")
        self.store: Store = store or _sql_store(database_url_from_env(database_url), auto_migrate)
        self.clock: Clock = clock or SystemClock()
        self.lease_ttl = lease_ttl
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{new_id('w')[-8:]}"
        self.functions: dict[str, DurableFunction[..., Any]] = {}
        self._wakers: set[asyncio.Event] = set()
        self._executors: dict[str, Executor] = {}
        self.observers: list[RunObserver] = list(observers)
        for observer in self.observers:
            if not isinstance(observer, RunObserver):
                raise ConfigError(f"observers must be RunObserver instances, got {observer!r}")

    # -- functions ----------------------------------------------------------

    def function(
        self,
        id: str | None = None,
        *,
        retries: int = 3,
        retry: RetryPolicy | None = None,
        concurrency: Concurrency | list[Concurrency] | None = None,
        throttle: Throttle | None = None,
        debounce: Debounce | None = None,
        priority: Priority | None = None,
        cancel_on: list[CancelOn] | None = None,
        trigger: Trigger | None = None,
    ) -> Callable[[UserFunction[P, R]], DurableFunction[P, R]]:
        """Register ``async def f(ctx, ...)`` as a durable function.

        Args:
            id: stable id (default: the function's ``__name__``).
            retries: extra attempts for each failing step (default policy).
            retry: a full `RetryPolicy`, instead of ``retries``.
            concurrency: at most so many runs executing at once (per key).
            throttle: at most so many starts per period (per key); excess delayed.
            debounce: a burst of starts becomes one run with the last input.
            priority: due runs claimed in priority order (with aging).
            cancel_on: events that cancel a run while it has not ended.
            trigger: `on_event(...)` or `cron(...)`: what starts it by itself.

        Raises:
            ConfigError: a bad option, naming it.
        """

        def register(fn: UserFunction[P, R]) -> DurableFunction[P, R]:
            if not asyncio.iscoroutinefunction(fn):
                raise ConfigError(f"durable function {fn!r} must be an `async def` function")
            function_id = id or fn.__name__
            if not isinstance(function_id, str) or not function_id:
                raise ConfigError(f"a function id must be a non-empty string, got {function_id!r}")
            check_length("function id", function_id, MAX_NAME_LENGTH, ConfigError)
            if function_id in self.functions and self.functions[function_id].fn is not fn:
                raise ConfigError(f"a durable function with id {function_id!r} already exists")
            # function_type is DurableFunction or a subclass of it, built from the same fn.
            function = cast(
                DurableFunction[P, R],
                self.function_type(fn, function_id, retry or RetryPolicy.from_retries(retries)),
            )
            parameters = list(inspect.signature(fn).parameters)[1:]
            function.flow = flow_options(
                function_id,
                parameters,
                concurrency=concurrency,
                throttle=throttle,
                debounce=debounce,
                priority=priority,
                cancel_on=cancel_on,
            )
            function.trigger = check_trigger(function_id, trigger, parameters)
            self.functions[function_id] = function
            return function

        return register

    def get_function(self, function_id: str) -> DurableFunction[..., Any]:
        """The registered function, or FunctionNotFound."""
        try:
            return self.functions[function_id]
        except KeyError:
            raise FunctionNotFound(function_id, list(self.functions)) from None

    def _check_registered(self, function: DurableFunction[..., Any]) -> None:
        if not isinstance(function, DurableFunction):
            raise ConfigError(
                f"{function!r} is not a durable function; decorate it with @kit.function()"
            )
        registered = self.functions.get(function.id)
        # `function.options(...)` is a copy: the same function if it wraps the same fn.
        if registered is None or registered.fn is not function.fn:
            raise ConfigError(f"durable function {function.id!r} is registered on another kit")

    # -- runs ---------------------------------------------------------------

    async def start(
        self, function: DurableFunction[P, R], /, *args: P.args, **input: P.kwargs
    ) -> RunHandle[R]:
        """Queue a run of ``function`` with its input; a worker executes it. Returns at once.

        The input is checked against the function's parameters (and validated by
        their annotations) before any run is created. Start options come from
        `DurableFunction.options`: with ``idempotency_key``, a second start of
        the same function with the same key returns the first run, and raises
        `IdempotencyConflict` if its input differs (unless
        ``on_conflict="return_existing"``).

        Raises:
            UsageError: the input does not fit the function's signature.
            IdempotencyConflict: the key belongs to a run with another input.
        """
        return await self._start(function, args, input)

    async def _start(
        self,
        function: DurableFunction[..., R],
        args: tuple[Any, ...],
        input: dict[str, Any],
        *,
        stacklevel: int = 3,
    ) -> RunHandle[R]:
        self._check_registered(function)
        options = function.start_options
        if "idempotency_key" in input and not function.input_codec.has_parameter("idempotency_key"):
            # Deprecated in 0.2: start options now travel with the function, so
            # that ``**input`` can be typed by the function's parameters.
            warnings.warn(
                "kit.start(fn, idempotency_key=k, ...) is deprecated; use "
                "kit.start(fn.options(idempotency_key=k), ...)",
                DeprecationWarning,
                stacklevel=stacklevel,
            )
            key = input.pop("idempotency_key")
            if key is not None:
                options = StartOptions(key, options.on_conflict)
        key = options.idempotency_key
        if key is not None:
            check_length("idempotency key", key, MAX_KEY_LENGTH)
        input_json = function.input_codec.encode(args, input)
        now = self.clock.now()
        record = RunRecord(
            id=new_id("run"),
            function_id=function.id,
            status="queued",
            input=input_json,
            created_at=now,
            updated_at=now,
            idempotency_key=key,
            traceparent=start_traceparent(self.observers) if self.observers else None,
        )
        stored, created = self._create(function, record)
        if not created and key is not None and options.on_conflict == "raise":
            codec = function.input_codec
            existing, new = codec.fingerprint(stored.input), codec.fingerprint(input_json)
            if existing != new:
                raise IdempotencyConflict(key, function.id, stored.id, existing, new)
        self._notify()
        return RunHandle(self, stored.id)

    def _create(
        self, function: DurableFunction[..., Any], record: RunRecord
    ) -> tuple[RunRecord, bool]:
        """Store a new run, under the function's flow plan if it has one.

        A debounced start returns the pending run it folded into (the run that
        will execute, with this input), and False.
        """
        if function.flow.is_plain:
            return self.store.create_run(record)
        plan, priority = plan_start(function.id, function.flow, json.loads(record.input))
        record.priority = priority
        return self.store.create_flow_run(record, plan)

    async def start_many(
        self, function: DurableFunction[..., R], inputs: Iterable[Mapping[str, Any]], /
    ) -> list[RunHandle[R]]:
        """Queue one run of ``function`` per input (keyword arguments).

        Every input is checked against the function's parameters before any run
        is created, so bad input creates none. The runs share one start time;
        a plain function's are stored in one transaction (much faster than
        ``start`` in a loop for thousands of runs), a flow-controlled one's
        one transaction each, in input order, as each start moves its keys'
        state (a throttle plans the runs one interval apart, in input order).

        Raises:
            UsageError: an input does not fit the function's signature (the
                message names its position), or the function carries an
                idempotency key (one key cannot name many runs).
        """
        self._check_registered(function)
        if function.start_options.idempotency_key is not None:
            raise UsageError(
                f"start_many cannot start durable function {function.id!r} with an "
                "idempotency key: one key would name every run; use start() per run"
            )
        now = self.clock.now()
        traceparent = start_traceparent(self.observers) if self.observers else None
        records: list[RunRecord] = []
        for index, input in enumerate(inputs):
            if not isinstance(input, Mapping):
                raise UsageError(
                    f"start_many: input {index} is a {type(input).__name__}, "
                    "not a mapping of keyword arguments"
                )
            try:
                input_json = function.input_codec.encode((), dict(input))
            except UsageError as exc:
                raise UsageError(f"start_many: input {index}: {exc}") from exc
            records.append(
                RunRecord(
                    id=new_id("run"),
                    function_id=function.id,
                    status="queued",
                    input=input_json,
                    created_at=now,
                    updated_at=now,
                    traceparent=traceparent,
                )
            )
        if function.flow.is_plain:
            stored = self.store.create_runs(records)
        else:
            stored = [self._create(function, record) for record in records]
        self._notify()
        return [RunHandle(self, run.id) for run, _ in stored]

    async def run(self, function: DurableFunction[P, R], /, *args: P.args, **input: P.kwargs) -> R:
        """Start a run and execute it (and its children) here until it ends.

        Raises:
            RunFailedError: the run failed.
            RunCancelledError: the run was cancelled.
        """
        return await self._run(function, args, input)

    async def _run(
        self, function: DurableFunction[..., R], args: tuple[Any, ...], input: dict[str, Any]
    ) -> R:
        handle = await self._start(function, args, input, stacklevel=4)
        return await self.drive(handle)

    def run_sync(self, function: DurableFunction[P, R], /, *args: P.args, **input: P.kwargs) -> R:
        """`run` for scripts: start a run and execute it here, without ``await``.

        It runs its own event loop (``asyncio.run``), so it cannot be called
        where one is already running (Jupyter, async code): there, ``await
        kit.run(...)`` instead.

        Raises:
            UsageError: called inside a running event loop.
            RunFailedError: the run failed.
            RunCancelledError: the run was cancelled.
        """
        refuse_running_loop("kit.run_sync(...)", "await kit.run(...)")
        return asyncio.run(self._run(function, args, input))

    async def drive(self, handle: RunHandle[R], *, poll_interval: float = 0.2) -> R:
        """Execute an existing run and its descendants in this process until it ends."""
        check_seconds("poll_interval", poll_interval, sign="positive", error=ConfigError)
        worker = Worker(self, poll_interval=poll_interval, root_run_id=handle.id)
        await worker.run(until=lambda: handle.record().is_terminal)
        return cast(R, self._decode_output(handle.record()))

    def get_run(self, run_id: str) -> RunHandle[Any]:
        """A handle on an existing run; RunNotFound if the id names none."""
        handle: RunHandle[Any] = RunHandle(self, run_id)
        handle.record()
        return handle

    def list_runs(
        self, *, status: RunStatus | None = None, function_id: str | None = None, limit: int = 50
    ) -> list[RunRecord]:
        """Runs, newest first."""
        return self.store.list_runs(status=status, function_id=function_id, limit=limit)

    def journal(self, run_id: str) -> list[StepRecord]:
        """The journal of a run (RunNotFound if the id names none)."""
        self.get_run(run_id)
        return self.store.load_journal(run_id)

    def completions(self, run_id: str) -> list[CompletionRecord]:
        """Every stored model-call attempt of a run, oldest first."""
        self.get_run(run_id)
        return self.store.list_completions(run_id)

    def cancel(self, run_id: str) -> bool:
        """Cancel a run that has not ended, with its children and open tokens."""
        self.get_run(run_id)
        cancelled = self.store.cancel_run(run_id, self.clock.now())
        for executor in list(self._executors.values()):
            current = self.store.get_run(executor.run.id)
            if current is not None and current.status == "cancelled":
                executor.stop("cancelled")
        self._notify()
        return cancelled

    def fork(
        self,
        run_id: str,
        *,
        from_step: str,
        results: Mapping[str, Any] | None = None,
        function: DurableFunction[..., Any] | None = None,
    ) -> RunHandle[Any]:
        """A new run that reuses ``run_id``'s journal before ``from_step``, then goes live.

        The new run has the same input. Steps journaled before ``from_step``
        are copied (their model calls keep pointing at the stored completions,
        so nothing is paid again); ``from_step`` and what follows run live
        when a worker executes the fork (``await kit.drive(handle)``). The
        original run is not touched.

        Args:
            run_id: The run to fork.
            from_step: The first step to run again (a key: ``agent/tool/search#1``).
            results: Step results to use instead of the recorded ones, by key
                (``from_step`` included: the fork then continues after it).
            function: Another registered function to run (e.g. the same agent
                with another model); by default the run's own function.

        Raises:
            RunNotFound: no run has this id.
            UsageError: see `fork_prefix` (unknown step, bad override, open wait).
        """

        source = self.get_run(run_id).record()
        target = function or self.get_function(source.function_id)
        self._check_registered(target)
        encoded = {
            key: pydantic_core.to_json(value).decode() for key, value in (results or {}).items()
        }
        now = self.clock.now()
        run = RunRecord(
            id=new_id("run"),
            function_id=target.id,
            status="queued",
            input=source.input,
            created_at=now,
            updated_at=now,
        )
        journal = fork_prefix(self.store.load_journal(run_id), from_step, encoded, run.id)
        self.store.create_forked_run(run, journal)
        self._notify()
        return RunHandle(self, run.id)

    def resume(self, run_id: str) -> RunHandle[Any]:
        """Queue a failed run again, once the cause of its failure is fixed.

        The step whose failure failed the run runs again; every completed step
        is kept, so no model call is paid twice. A failed child that failed
        the run through ``invoke`` is resumed too. A run that failed outside any
        step (or by `NonDeterminismError`, after a code fix) replays its whole
        journal. A worker then continues the run (``await kit.drive(handle)``
        does it here).

        Raises:
            RunNotFound: no run has this id.
            UsageError: the run is not failed (the message says what it is).
        """
        self.store.resume_run(run_id, self.clock.now())
        self._notify()
        return RunHandle(self, run_id)

    def _decode_output(self, run: RunRecord) -> Any:
        if run.status == "failed":
            error = json.loads(run.error or "{}")
            raise RunFailedError(run.id, error.get("type", "Error"), error.get("message", ""))
        if run.status == "cancelled":
            raise RunCancelledError(run.id)
        if run.status != "completed":
            raise RunFailedError(run.id, "NotFinished", f"run is {run.status}")
        function = self.functions.get(run.function_id)
        if function is None:
            return json.loads(run.output or "null")
        return load(function.output_adapter, run.output or "null", f"run {run.id!r}")

    # -- tokens and events --------------------------------------------------

    def complete_token(self, token: str, data: Any = None) -> TokenRecord:
        """Complete a token with a payload; its run resumes.

        Raises:
            TokenNotFound, TokenAlreadyCompleted, TokenExpired, TokenRunNotWaiting,
            TokenPayloadInvalid: and nothing is changed.
        """
        record = self.store.get_token(token)
        if record is None:
            raise TokenNotFound(token)
        now = self.clock.now()
        try:
            payload = self._token_payload(record, data)
        except (StepSerializationError, TokenPayloadInvalid):
            # The token's own state is the error to report first. Checked here
            # only on this path: the store checks it again in its transaction.
            check_token_completable(record, self.store.get_run(record.run_id), now)
            raise
        completed = self.store.complete_token(token, payload, now)
        self._notify()
        return completed

    @staticmethod
    def _token_payload(record: TokenRecord, data: Any) -> str:
        """``data`` as the token's JSON payload, checked against its schema."""
        try:
            payload = pydantic_core.to_json(data).decode()
        except pydantic_core.PydanticSerializationError as exc:
            raise StepSerializationError(
                f"token payload {type(data).__name__} is not JSON-serializable"
            ) from exc
        if record.schema is not None:
            import jsonschema  # only token completion needs it; keeps start-up fast

            validator = jsonschema.Draft202012Validator(json.loads(record.schema))
            errors = sorted(validator.iter_errors(json.loads(payload)), key=lambda e: e.path)
            if errors:
                details = [
                    {"path": "/".join(str(p) for p in e.path) or "<root>", "message": e.message}
                    for e in errors
                ]
                summary = "; ".join(f"{d['path']}: {d['message']}" for d in details)
                raise TokenPayloadInvalid(
                    f"payload for token of step {record.step_key!r} does not match its "
                    f"schema: {summary}",
                    details,
                )
        return payload

    def list_tokens(
        self, *, status: TokenStatus | None = None, run_id: str | None = None, limit: int = 100
    ) -> list[TokenRecord]:
        """Tokens, newest first."""
        return self.store.list_tokens(status=status, run_id=run_id, limit=limit)

    async def send_event(self, name: str, data: Any = None, *, id: str | None = None) -> list[str]:
        """Send an event: start the functions it triggers, cancel, and wake waits.

        Every function with a matching ``trigger=on_event(...)`` is started
        once per event id; runs with a matching ``cancel_on`` are cancelled;
        every open ``wait_for_event`` that matches is woken. Sending an event
        again with the same ``id`` (after a crash) starts and wakes nothing twice.

        Args:
            name: the event name.
            data: its JSON-serializable payload.
            id: the event's id (default: a new one); the idempotency key of its effects.

        Returns:
            The ids of the runs it started, then of those it woke.
        """
        if not isinstance(name, str) or not name:
            raise UsageError(f"an event name must be a non-empty string, got {name!r}")
        check_length("event name", name, MAX_NAME_LENGTH)
        if id is not None:
            if not isinstance(id, str) or not id:
                raise UsageError(f"an event id must be a non-empty string, got {id!r}")
            check_length("event id", id, 64)
        data_json = pydantic_core.to_json(data).decode()
        parsed = json.loads(data_json)
        event = EventRecord(
            id=id or new_id("evt"), name=name, data=data_json, received_at=self.clock.now()
        )
        started = self._start_triggered(event, parsed)
        for run_id, match in self.store.cancel_on_waits(name):
            if event_matches(json.loads(match), parsed):
                self.cancel(run_id)

        def matches(wait: StepRecord) -> bool:
            return event_matches(json.loads(wait.wait_match or "{}"), parsed)

        woken = [] if self.store.has_event(event.id) else self.store.record_event(event, matches)
        self._notify()
        return started + woken

    def _start_triggered(self, event: EventRecord, data: Any) -> list[str]:
        """Start each function this event triggers, once per event id."""
        started: list[str] = []
        payload = {"id": event.id, "name": event.name, "data": data, "ts": event.received_at}
        for function in list(self.functions.values()):
            trigger = function.trigger
            if not isinstance(trigger, EventTrigger) or trigger.event != event.name:
                continue
            if not trigger.matches(data):
                continue
            record = RunRecord(
                id=new_id("run"),
                function_id=function.id,
                status="queued",
                input=function.input_codec.encode((), {EVENT_PARAMETER: payload}),
                created_at=event.received_at,
                updated_at=event.received_at,
                idempotency_key=f"event:{event.id}",
            )
            stored, created = self._create(function, record)
            if created:
                started.append(stored.id)
        return started

    def _start_cron_tick(
        self, function: DurableFunction[..., Any], tick: float
    ) -> RunRecord | None:
        """Start the run of a cron function's tick, unless it ran (see `fire_cron_ticks`)."""
        now = self.clock.now()
        record = RunRecord(
            id=new_id("run"),
            function_id=function.id,
            status="queued",
            input=function.input_codec.encode((), {}),
            created_at=now,
            updated_at=now,
            idempotency_key=f"cron:{tick:.0f}",
        )
        plan, record.priority = plan_start(function.id, function.flow, {})
        return self.store.advance_cron(function.id, tick, record, plan)

    # -- workers ------------------------------------------------------------

    async def worker(
        self,
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        poll_interval: float = 0.5,
        stop_when_idle: bool = False,
    ) -> None:
        """Execute due runs until cancelled (or, with ``stop_when_idle``, until none is due)."""
        check_worker_settings(concurrency, poll_interval)
        worker = Worker(self, concurrency=concurrency, poll_interval=poll_interval)
        await worker.run(stop_when_idle=stop_when_idle)

    def _notify(self) -> None:
        for wake in self._wakers:
            wake.set()

    def close(self) -> None:
        """Release the store's connections."""
        self.store.close()


def _sql_store(url: str, auto_migrate: bool) -> Store:
    # SQLAlchemy loads only for a kit that opens a database, not on import.
    from agentkit.store import SQLStore

    return SQLStore(url, auto_migrate=auto_migrate)
