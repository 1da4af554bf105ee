"""Durable functions as registered with `AgentKit.function`, and retry policies."""

from __future__ import annotations

import random
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Concatenate, Generic, ParamSpec, TypeVar

from pydantic import TypeAdapter

from agentkit.durable._serde import InputCodec, adapter_for, return_annotation
from agentkit.errors import ConfigError

if TYPE_CHECKING:
    from agentkit._tool_durable import DurableFunctionTool
    from agentkit.durable._context import Context

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class RetryPolicy:
    """How often a failing step is attempted, and how long to wait in between.

    The wait before attempt ``n + 1`` is ``min(max_backoff, initial_backoff *
    2 ** (n - 1))`` plus a uniform random jitter in ``[0, jitter]`` seconds.
    `NonRetriableError` ends the attempts at once.
    """

    max_attempts: int = 4
    initial_backoff: float = 1.0
    max_backoff: float = 60.0
    jitter: float = 1.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ConfigError(f"max_attempts must be at least 1, got {self.max_attempts}")
        if self.initial_backoff < 0 or self.max_backoff < 0 or self.jitter < 0:
            raise ConfigError("backoff and jitter must not be negative")

    @classmethod
    def from_retries(cls, retries: int) -> RetryPolicy:
        """``retries`` extra attempts after the first."""
        if retries < 0:
            raise ConfigError(f"retries must not be negative, got {retries}")
        return cls(max_attempts=retries + 1)

    def delay(self, failed_attempts: int) -> float:
        """Seconds to wait after ``failed_attempts`` failures."""
        base = min(self.max_backoff, self.initial_backoff * 2 ** (failed_attempts - 1))
        jitter = random.uniform(0, self.jitter) if self.jitter else 0.0
        return float(base + jitter)


class DurableFunction(Generic[P, R]):
    """A function registered with a kit; start it with `AgentKit.start` / `AgentKit.run`.

    Attributes:
        id: stable id stored with each run; renaming it orphans existing runs.
        fn: the user's coroutine function ``async def f(ctx, ...)``.
        retry: default policy for the steps of its runs.
    """

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
        self.__doc__ = fn.__doc__
        self.__name__ = getattr(fn, "__name__", function_id)

    def __repr__(self) -> str:
        return f"<DurableFunction {self.id!r}>"

    def as_tool(
        self, *, name: str | None = None, description: str | None = None, **options: Any
    ) -> DurableFunctionTool:
        """This function as a tool a model may call; each call is a child run (``invoke``)."""
        # The agent layer sits above the engine; import it only when asked for.
        from agentkit._tool_durable import function_as_tool

        return function_as_tool(self, name=name, description=description, **options)

    async def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        raise TypeError(
            f"durable function {self.id!r} is not called directly: use "
            f"`await kit.run({self.__name__}, ...)`, `await kit.start(...)`, or "
            f"`await ctx.step.invoke('id', {self.__name__}, ...)` inside another function"
        )
