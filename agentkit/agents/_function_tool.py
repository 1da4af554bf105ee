"""Durable functions as tools: a model's call becomes a child run (``ctx.step.invoke``).

The child may itself sleep, wait for an event or wait for a human; the agent's
run waits for it without holding memory, and the child's output (as JSON) is
the tool result.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from agentkit.agents._schema import build_arguments_schema, parse_docstring, signature_of
from agentkit.agents._tool import (
    ApprovalPolicy,
    OnApprovalTimeout,
    Tool,
    ToolInvocation,
    render_result,
)
from agentkit.durable import Context, DurableFunction
from agentkit.errors import ConfigError

__all__ = ["DurableFunctionTool", "function_as_tool"]


class DurableFunctionTool(Tool):
    """A tool whose call starts a durable function as a child run.

    Retries and timeouts are those of the child's own steps.
    """

    def __init__(
        self,
        function: DurableFunction[..., Any],
        *,
        name: str | None = None,
        description: str | None = None,
        needs_approval: bool | ApprovalPolicy = False,
        strict: bool = True,
        approval_timeout: timedelta | float | None = None,
        on_approval_timeout: OnApprovalTimeout | None = None,
    ) -> None:
        if not isinstance(function, DurableFunction):
            raise ConfigError(f"function_as_tool needs a durable function, got {function!r}")
        tool_name = name or function.__name__
        owner = f"tool {tool_name!r}"
        params, hints = signature_of(function.fn, owner)
        summary, arg_docs = parse_docstring(function.fn.__doc__)
        visible = [p for p in params[1:] if hints.get(p.name) is not Context]
        super().__init__(
            name=tool_name,
            description=description or summary or tool_name,
            arguments=build_arguments_schema(owner, visible, hints, arg_docs, strict=strict),
            needs_approval=needs_approval,
            approval_timeout=approval_timeout,
            on_approval_timeout=on_approval_timeout,
        )
        self.function = function

    async def execute(self, invocation: ToolInvocation) -> str:
        """``ctx.step.invoke`` the function; its output is the result text."""
        output = await invocation.ctx.step.invoke(
            invocation.step_id, self.function, **invocation.kwargs
        )
        return render_result(output, self.function.output_adapter, f"tool {self.name!r}")


def function_as_tool(
    function: DurableFunction[..., Any],
    *,
    name: str | None = None,
    description: str | None = None,
    needs_approval: bool | ApprovalPolicy = False,
    strict: bool = True,
    approval_timeout: timedelta | float | None = None,
    on_approval_timeout: OnApprovalTimeout | None = None,
) -> DurableFunctionTool:
    """Make a durable function callable by a model.

    The schema comes from the function's parameters after ``ctx``; the
    description from its docstring unless given. Each call is
    ``ctx.step.invoke(f"{agent}/tool/{name}", function, **arguments)``.

    Args:
        function: A function registered with ``@kit.function``.
        name: The tool's name (default: the Python function's name).
        description: What the model reads.
        needs_approval: True, or a policy ``(arguments, ctx) -> bool``.
        strict: Send the schema in OpenAI strict form when the types allow it.
        approval_timeout: How long a human has to decide (default: the agent's).
        on_approval_timeout: ``"reject"`` or ``"fail"`` (default: the agent's).
    """
    return DurableFunctionTool(
        function,
        name=name,
        description=description,
        needs_approval=needs_approval,
        strict=strict,
        approval_timeout=approval_timeout,
        on_approval_timeout=on_approval_timeout,
    )
