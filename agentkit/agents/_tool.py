"""Tools: typed Python functions a model may call, each call one durable step.

``@tool`` reads a function's signature (pydantic) and docstring into a
`ToolSpec`. Parameters typed `Context` (and the agent's state type) are
injected and never shown to the model. When an agent calls the tool, the
arguments are validated first; the call itself runs inside one
``ctx.step.run``, so its result is journaled and a completed call never runs
again, across crashes and replays.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal, overload

import pydantic_core
from pydantic import BaseModel, TypeAdapter

from agentkit.agents._schema import (
    ArgumentsSchema,
    build_arguments_schema,
    check_tool_name,
    parse_docstring,
    signature_of,
)
from agentkit.agents._state import apply_patch, diff_state, patched_state
from agentkit.durable import Context, RetryPolicy
from agentkit.errors import AgentkitError, ConfigError, NonRetriableError, StepSerializationError
from agentkit.models import ToolSpec

if TYPE_CHECKING:
    from agentkit.durable import Steps

__all__ = [
    "ApprovalPolicy",
    "FunctionTool",
    "OnApprovalTimeout",
    "Tool",
    "ToolInvocation",
    "ToolRetry",
    "tool",
]

ApprovalPolicy = Callable[[dict[str, Any], Context], bool]
"""Decides per call whether a human must approve it: ``policy(arguments, ctx) -> bool``.

It sees the validated arguments and runs in every execution of the run, so it
must be deterministic (no clock, no I/O).
"""
OnApprovalTimeout = Literal["reject", "fail"]


class ToolRetry(AgentkitError):
    """Raised by a tool to ask the model to call again; the message is what the model reads.

    Example::

        @tool
        def lookup(city: str) -> str:
            if city not in KNOWN:
                raise ToolRetry(f"unknown city {city!r}; pick one of {sorted(KNOWN)}")
    """


class ToolRetryRequested(NonRetriableError):
    """The journaled form of a `ToolRetry`: the step fails without further attempts."""


@dataclass(frozen=True)
class ToolInvocation:
    """One validated tool call, ready to run as a step.

    Attributes:
        ctx: The run context.
        step_id: The step id (``f"{agent}/tool/{tool}"``); the engine adds ``#n``.
        arguments: The model's arguments, as JSON (the step's input fingerprint).
        kwargs: The validated keyword arguments.
        state: The agent's state object, when the tool takes it.
    """

    ctx: Context
    step_id: str
    arguments: dict[str, Any]
    kwargs: dict[str, Any]
    state: BaseModel | None = None


def render_result(value: Any, adapter: TypeAdapter[Any], owner: str) -> str:
    """The tool result text: a string as it is, anything else as JSON."""
    if isinstance(value, str):
        return value
    try:
        return adapter.dump_json(value, warnings=False).decode()
    except pydantic_core.PydanticSerializationError as exc:
        raise StepSerializationError(
            f"{owner} returned {type(value).__name__}, which is not JSON-serializable ({exc})"
        ) from exc


class Tool:
    """A function a model may call. Build one with `tool` or `function_as_tool`.

    Attributes:
        name: The name the model calls it by.
        description: What the model reads about it.
        arguments: The arguments schema and validator.
        needs_approval: True, False, or an `ApprovalPolicy`.
        approval_timeout: How long a human has to decide (None: the agent's setting).
        on_approval_timeout: ``"reject"`` or ``"fail"`` (None: the agent's setting).
    """

    takes_state: bool = False

    def __init__(
        self,
        *,
        name: str,
        description: str,
        arguments: ArgumentsSchema,
        needs_approval: bool | ApprovalPolicy = False,
        approval_timeout: timedelta | float | None = None,
        on_approval_timeout: OnApprovalTimeout | None = None,
    ) -> None:
        self.name = check_tool_name(name)
        self.description = description
        self.arguments = arguments
        self.needs_approval = needs_approval
        self.approval_timeout = approval_timeout
        self.on_approval_timeout = on_approval_timeout

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"

    @property
    def strict(self) -> bool:
        """Whether the schema is sent in strict form."""
        return self.arguments.strict

    @property
    def spec(self) -> ToolSpec:
        """The tool as the model sees it."""
        return ToolSpec(
            name=self.name,
            description=self.description,
            parameters=self.arguments.parameters,
            strict=self.arguments.strict,
        )

    def validate(self, arguments: dict[str, Any]) -> dict[str, Any]:
        """Validate the model's arguments into keyword arguments.

        Raises:
            pydantic.ValidationError: they do not fit the schema.
        """
        return self.arguments.validate(arguments)

    def requires_approval(self, kwargs: dict[str, Any], ctx: Context) -> bool:
        """Whether this call waits for a human first."""
        if isinstance(self.needs_approval, bool):
            return self.needs_approval
        return bool(self.needs_approval(kwargs, ctx))

    def bind_state(self, state_type: type[BaseModel] | None) -> Tool:
        """This tool for an agent whose state has type ``state_type``."""
        return self

    async def execute(self, invocation: ToolInvocation) -> str:
        """Run the call as a durable step and return the result text.

        Raises:
            StepFailed: the call failed (journaled; the agent tells the model).
        """
        raise NotImplementedError


class FunctionTool(Tool):
    """A tool backed by a Python function (sync functions run in a thread).

    Calling the object calls the function directly, which keeps tools unit-testable.
    """

    def __init__(
        self,
        fn: Callable[..., Any],
        *,
        name: str | None = None,
        description: str | None = None,
        needs_approval: bool | ApprovalPolicy = False,
        timeout: timedelta | float | None = None,
        retries: int | RetryPolicy | None = 0,
        strict: bool = True,
        approval_timeout: timedelta | float | None = None,
        on_approval_timeout: OnApprovalTimeout | None = None,
        state_type: type[BaseModel] | None = None,
    ) -> None:
        tool_name: str = name or str(getattr(fn, "__name__", ""))
        owner = f"tool {tool_name!r}"
        params, hints = signature_of(fn, owner)
        summary, arg_docs = parse_docstring(fn.__doc__)
        self.context_params = [p.name for p in params if hints.get(p.name) is Context]
        self.state_param = _state_param(params, hints, state_type)
        injected = {*self.context_params, self.state_param}
        visible = [p for p in params if p.name not in injected]
        super().__init__(
            name=tool_name,
            description=description or summary or tool_name,
            arguments=build_arguments_schema(owner, visible, hints, arg_docs, strict=strict),
            needs_approval=needs_approval,
            approval_timeout=approval_timeout,
            on_approval_timeout=on_approval_timeout,
        )
        self.fn = fn
        self.timeout = None if timeout is None else _seconds(timeout)
        if isinstance(retries, int):
            retries = RetryPolicy.from_retries(retries)
        self.retry = retries
        self.requested_strict = strict
        self.takes_state = self.state_param is not None
        self.result_adapter: TypeAdapter[Any] = TypeAdapter(hints.get("return", Any))
        self.__doc__ = fn.__doc__

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.fn(*args, **kwargs)

    def bind_state(self, state_type: type[BaseModel] | None) -> Tool:
        """A copy that injects the agent's state where a parameter is typed with it."""
        params, hints = signature_of(self.fn, f"tool {self.name!r}")
        if _state_param(params, hints, state_type) is None:
            return self
        return FunctionTool(
            self.fn,
            name=self.name,
            description=self.description,
            needs_approval=self.needs_approval,
            timeout=self.timeout,
            retries=self.retry,
            strict=self.requested_strict,
            approval_timeout=self.approval_timeout,
            on_approval_timeout=self.on_approval_timeout,
            state_type=state_type,
        )

    def _steps(self, ctx: Context) -> Steps:
        return ctx.step if self.retry is None else ctx.step.with_retry(self.retry)

    async def execute(self, invocation: ToolInvocation) -> str:
        """One ``ctx.step.run``; its journaled value is the result text (and the state)."""
        body = _Body(self, invocation)
        steps = self._steps(invocation.ctx)
        if self.state_param is None:
            return await steps.run(invocation.step_id, body.run, invocation.arguments)
        outcome: dict[str, Any] = await steps.run(
            invocation.step_id, body.run_with_state, invocation.arguments
        )
        state = invocation.state
        if state is not None:
            if "patch" in outcome:
                patch = outcome["patch"]
            else:  # journaled before patches: the whole state after the call
                patch = diff_state(state, type(state).model_validate(outcome["state"]))
            apply_patch(state, patch, f"tool {self.name!r}")
        return str(outcome["content"])


def _state_param(
    params: list[inspect.Parameter], hints: dict[str, Any], state_type: type[BaseModel] | None
) -> str | None:
    if state_type is None:
        return None
    for param in params:
        hint = hints.get(param.name)
        if isinstance(hint, type) and issubclass(hint, BaseModel) and issubclass(state_type, hint):
            return param.name
    return None


def _seconds(value: timedelta | float) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class _Body:
    """The body of a tool step. Bound methods, so the engine caches their annotations."""

    def __init__(self, tool: FunctionTool, invocation: ToolInvocation) -> None:
        self.tool = tool
        self.invocation = invocation

    async def run(self, arguments: dict[str, Any], state: BaseModel | None = None) -> str:
        tool, invocation = self.tool, self.invocation
        kwargs = dict(invocation.kwargs)
        for name in tool.context_params:
            kwargs[name] = invocation.ctx
        if tool.state_param is not None:
            kwargs[tool.state_param] = state
        try:
            value = await self._call(kwargs)
        except ToolRetry as exc:
            raise ToolRetryRequested(str(exc)) from exc
        return render_result(value, tool.result_adapter, f"tool {tool.name!r}")

    async def run_with_state(self, arguments: dict[str, Any]) -> dict[str, Any]:
        """The result and the state patch the call made (see `agentkit.agents._state`).

        The body works on a copy; the patched state is validated here, so a
        call that would leave an invalid state fails as a step and changes nothing.
        """
        state = self.invocation.state
        if state is None:
            return {"content": await self.run(arguments), "patch": {}}
        work = state.model_copy(deep=True)
        content = await self.run(arguments, work)
        patch = diff_state(state, work)
        patched_state(state, patch, f"tool {self.tool.name!r}")
        return {"content": content, "patch": patch}

    async def _call(self, kwargs: dict[str, Any]) -> Any:
        fn, timeout = self.tool.fn, self.tool.timeout
        if inspect.iscoroutinefunction(fn):
            pending: Any = fn(**kwargs)
        else:
            pending = asyncio.to_thread(fn, **kwargs)
        scope = asyncio.timeout(timeout)
        try:
            async with scope:
                value = await pending
                if inspect.isawaitable(value):
                    value = await value
        except TimeoutError as exc:
            if scope.expired():
                raise TimeoutError(
                    f"tool {self.tool.name!r} did not finish within {timeout:g} s"
                ) from exc
            raise
        return value


@overload
def tool(fn: Callable[..., Any], /) -> FunctionTool: ...
@overload
def tool(
    *,
    name: str | None = ...,
    description: str | None = ...,
    needs_approval: bool | ApprovalPolicy = ...,
    timeout: timedelta | float | None = ...,
    retries: int | RetryPolicy | None = ...,
    strict: bool = ...,
    approval_timeout: timedelta | float | None = ...,
    on_approval_timeout: OnApprovalTimeout | None = ...,
) -> Callable[[Callable[..., Any]], FunctionTool]: ...


def tool(
    fn: Callable[..., Any] | None = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
    needs_approval: bool | ApprovalPolicy = False,
    timeout: timedelta | float | None = None,
    retries: int | RetryPolicy | None = 0,
    strict: bool = True,
    approval_timeout: timedelta | float | None = None,
    on_approval_timeout: OnApprovalTimeout | None = None,
) -> FunctionTool | Callable[[Callable[..., Any]], FunctionTool]:
    """Turn a typed function (sync or async) into a `FunctionTool`; bare or with options.

    Args:
        fn: The function, when used bare (``@tool``).
        name: The tool's name (default: the function's name).
        description: What the model reads (default: the docstring's first paragraph).
        needs_approval: True, or a policy ``(arguments, ctx) -> bool``: a human
            approves each call through a token before it runs.
        timeout: Seconds (or a timedelta) one attempt may take.
        retries: Extra attempts after a failure (default 0: the error goes back
            to the model), a `RetryPolicy`, or None for the durable function's policy.
        strict: Send the schema in OpenAI strict form (falls back to a loose
            schema when the parameter types have no strict form).
        approval_timeout: How long a human has to decide (default: the agent's).
        on_approval_timeout: ``"reject"`` or ``"fail"`` (default: the agent's).
    """

    def make(function: Callable[..., Any]) -> FunctionTool:
        if not callable(function):
            raise ConfigError(f"@tool needs a function, got {function!r}")
        return FunctionTool(
            function,
            name=name,
            description=description,
            needs_approval=needs_approval,
            timeout=timeout,
            retries=retries,
            strict=strict,
            approval_timeout=approval_timeout,
            on_approval_timeout=on_approval_timeout,
        )

    if fn is not None:
        return make(fn)
    return make
