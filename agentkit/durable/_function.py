"""Durable functions as registered with `AgentKit.function`.

Their steps' `RetryPolicy` is `agentkit.retry`'s, shared with model calls;
its field defaults are the steps' (4 attempts, from 1 s).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Concatenate, Generic, Literal, ParamSpec, TypeVar

from pydantic import TypeAdapter

from agentkit.durable._flow import FlowOptions
from agentkit.durable._serde import InputCodec, adapter_for, return_annotation
from agentkit.errors import UsageError
from agentkit.retry import RetryPolicy

if TYPE_CHECKING:
    from agentkit.durable._context import Context
    from agentkit.durable._triggers import Trigger

P = ParamSpec("P")
# Covariant, so that `print(await kit.run(f))` type-checks: mypy infers R from the
# call's context (object), and an invariant R would then reject DurableFunction[P, str].
R = TypeVar("R", covariant=True)
OnConflict = Literal["raise", "return_existing"]


@dataclass(frozen=True)
class StartOptions:
    """How `AgentKit.start` starts a run; set with `DurableFunction.options`.

    Attributes:
        idempotency_key: a second start with the same key (for the same function)
            does not start another run.
        on_conflict: what that second start does when its input differs from the
            input of the run that owns the key: ``"raise"`` `IdempotencyConflict`,
            or ``"return_existing"`` to return the existing run anyway.
    """

    idempotency_key: str | None = None
    on_conflict: OnConflict = "raise"


class DurableFunction(Generic[P, R]):
    """A function registered with a kit; start it with `AgentKit.start` / `AgentKit.run`.

    Attributes:
        id: stable id stored with each run; renaming it orphans existing runs.
        fn: the user's coroutine function ``async def f(ctx, ...)``.
        retry: default policy for the steps of its runs.
        flow: its flow-control options (concurrency, throttle, debounce, ...).
        trigger: the event or schedule that starts it, if any.
    """

    flow: FlowOptions = FlowOptions()
    trigger: Trigger | None = None

    def __init__(
        self,
        fn: Callable[Concatenate[Context, P], Coroutine[Any, Any, R]],
        function_id: str,
        retry: RetryPolicy,
    ) -> None:
        self.fn = fn
        self.id = function_id
        self.retry = retry
        self.input_codec = InputCodec(fn, function_id)
        self.output_adapter: TypeAdapter[Any] = adapter_for(
            return_annotation(fn), f"durable function {function_id!r}"
        )
        self.start_options = StartOptions()
        self.__doc__ = fn.__doc__
        self.__name__ = getattr(fn, "__name__", function_id)

    def __repr__(self) -> str:
        if self.start_options == StartOptions():
            return f"<DurableFunction {self.id!r}>"
        return f"<DurableFunction {self.id!r} with {self.start_options}>"

    def options(
        self, *, idempotency_key: str | None = None, on_conflict: OnConflict = "raise"
    ) -> DurableFunction[P, R]:
        """This function with start options, for `AgentKit.start` / `AgentKit.run`.

        ``kit.start(research.options(idempotency_key="order-7"), topic="x")``
        starts at most one run for the key. The view is typed like the function,
        so the input is still checked against its parameters.

        Args:
            idempotency_key: at most one run of this function per key.
            on_conflict: when a run already owns the key but was started with
                another input: ``"raise"`` `IdempotencyConflict` (the default),
                or ``"return_existing"`` to return that run.
        """
        if idempotency_key is not None and not isinstance(idempotency_key, str):
            raise UsageError(f"idempotency_key must be a string, got {idempotency_key!r}")
        if on_conflict not in ("raise", "return_existing"):
            raise UsageError(
                f"on_conflict must be 'raise' or 'return_existing', got {on_conflict!r}"
            )
        view = copy.copy(self)
        view.start_options = StartOptions(idempotency_key, on_conflict)
        return view

    async def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        raise TypeError(
            f"durable function {self.id!r} is not called directly: use "
            f"`await kit.run({self.__name__}, ...)`, `await kit.start(...)`, or "
            f"`await ctx.step.invoke('id', {self.__name__}, ...)` inside another function"
        )
