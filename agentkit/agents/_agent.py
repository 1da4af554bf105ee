"""`Agent`: a model, a system prompt and tools, looping inside a durable function.

``await agent.run(input, ctx=ctx)`` calls ``ctx.step.infer(f"{name}/infer")``,
runs the tool calls the model asks for (each one step,
``f"{name}/tool/{tool}"``), and infers again until the model answers without
tool calls, or ``max_iter`` model calls were made. Everything the loop decides
between steps is a function of journaled step results, so a replay takes the
same path without calling a model or a tool again.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar, overload

from pydantic import BaseModel

from agentkit.agents._handoff import handoff_tools
from agentkit.agents._history import HistoryProcessor, history_processors
from agentkit.agents._output import OutputSpec
from agentkit.agents._tool import OnApprovalTimeout, Tool
from agentkit.agents._toolset import Toolset, expand_tools
from agentkit.errors import AgentkitError, ConfigError
from agentkit.models import Message, ModelResponse, ToolCallPart, ToolResultPart, Usage

if TYPE_CHECKING:
    from agentkit.durable import Context
    from agentkit.models import Model

__all__ = [
    "Agent",
    "AgentHooks",
    "AgentInput",
    "AgentResult",
    "MaxIterationsExceeded",
    "OutputValidationError",
]

OutputT = TypeVar("OutputT")
AgentInput = str | Message | list[Message]
"""What an agent run starts from: a user text, one message, or a conversation."""
_NAME = re.compile(r"^[A-Za-z0-9_.:-]+$")


class AgentResult(BaseModel, Generic[OutputT]):
    """What an agent run produced.

    ``usage`` and ``cost_usd`` come from the completions stored for this run's
    ``infer`` steps, so they are the same after a replay as on the first run.

    Attributes:
        output: The final answer: its text, or an ``output_type`` instance.
        messages: The whole conversation, system prompt first.
        tool_calls: Every tool call the model made, in order.
        tool_results: Their results, in the same order.
        usage: Tokens of the completions the conversation is made of (the
            successful attempt of each model call).
        cost_usd: USD of every stored attempt of these model calls, failed
            attempts and retries included; None when no attempt had a known price.
        model_calls: How many times the model was called (infer steps).
        handoff: The agent the model transferred the conversation to, if any.
    """

    output: OutputT
    messages: list[Message]
    tool_calls: list[ToolCallPart]
    tool_results: list[ToolResultPart]
    usage: Usage
    cost_usd: float | None
    model_calls: int
    handoff: str | None = None


class OnStart(Protocol):
    """``on_start(ctx, agent, messages)``: the loop is about to call the model first."""

    def __call__(
        self, ctx: Context, agent: Agent[Any], messages: list[Message], /
    ) -> Awaitable[None] | None: ...


class OnResponse(Protocol):
    """``on_response(ctx, agent, response)``: after each model call."""

    def __call__(
        self, ctx: Context, agent: Agent[Any], response: ModelResponse, /
    ) -> Awaitable[None] | None: ...


class OnFinish(Protocol):
    """``on_finish(ctx, agent, result)``: the loop ends with a final answer."""

    def __call__(
        self, ctx: Context, agent: Agent[Any], result: AgentResult[Any], /
    ) -> Awaitable[None] | None: ...


@dataclass(frozen=True)
class AgentHooks:
    """Lifecycle callbacks, sync or async.

    They run in every execution of the run, replays included (``ctx.is_replaying``
    tells which), like any code between steps: keep side effects that must not
    repeat in steps.
    """

    on_start: OnStart | None = None
    on_response: OnResponse | None = None
    on_finish: OnFinish | None = None


class MaxIterationsExceeded(AgentkitError):
    """The agent made ``max_iter`` model calls without reaching a final answer.

    Attributes:
        agent_name: The agent.
        max_iter: Its limit.
        messages: The conversation so far.
        usage: Tokens used so far; ``cost_usd`` likewise.
    """

    def __init__(
        self,
        agent_name: str,
        max_iter: int,
        messages: list[Message],
        usage: Usage,
        cost_usd: float | None,
    ) -> None:
        super().__init__(
            f"agent {agent_name!r} made {max_iter} model call(s) (max_iter) without a final answer"
        )
        self.agent_name = agent_name
        self.max_iter = max_iter
        self.messages = messages
        self.usage = usage
        self.cost_usd = cost_usd


class OutputValidationError(AgentkitError):
    """The model's final answer did not fit ``output_type``, after the allowed retries."""

    def __init__(self, agent_name: str, text: str, problems: str) -> None:
        super().__init__(
            f"agent {agent_name!r}: the final answer does not match its output type: {problems}"
        )
        self.agent_name = agent_name
        self.text = text
        self.problems = problems


SystemPrompt = str | Callable[[Any], str]
"""A system prompt, or a function of the agent's state (None without state) returning one."""


class Agent(Generic[OutputT]):
    """A model with a system prompt and tools, run with ``await agent.run(input, ctx=ctx)``.

    Args:
        name: Stable name; step keys are ``f"{name}/infer"``, ``f"{name}/tool/{tool}"``
            and ``f"{name}/approve/{tool}"``. Renaming an agent orphans its running runs.
        system: The system prompt, or a function of the state returning it.
        model: A `Model` (a `FallbackModel` is one).
        tools: `Tool` objects, plain functions (wrapped with ``tool``) or `Toolset`
            groups (a toolset listed per run, such as an MCP server's, is listed
            once at the start of each run, through a step).
        tool_choice: ``"auto"``, ``"none"``, ``"required"`` or a tool's name. It
            applies until the model first calls a tool, then ``"auto"`` (a
            forced choice on every turn would never let the model answer).
        output_type: A type (pydantic model, dataclass, ``list[str]``...) for a
            structured answer, sent as the request's JSON schema and validated.
        max_iter: Most model calls per run; then `MaxIterationsExceeded`.
        hooks: `AgentHooks`.
        state_type: Type of the state passed to ``run``; tool parameters of this
            type receive it, and changes tools make are journaled with their result.
        approval_timeout: How long a human has to approve a gated call (None: forever).
        on_approval_timeout: ``"reject"`` tells the model the call was not
            approved; ``"fail"`` fails the run with `TokenTimeout`.
        output_retries: How many invalid structured answers the model may correct.
        temperature: Sampling temperature for every call.
        max_tokens: Output token cap for every call.
        history: History processors (callables over the message list, see
            `agentkit.agents.AgentTurn`), applied in order before every model
            call; they shape what the model sees, never what the run keeps.
            In a network, ``"full"`` (default) or ``"own"`` says what of the
            network's conversation the agent starts from.
        handoffs: Agents (or `Handoff` objects) the model may transfer the
            conversation to with ``transfer_to_<name>`` tools; the run ends
            after a transfer, with `AgentResult.handoff` naming the target.
    """

    @overload
    def __init__(
        self: Agent[str],
        name: str,
        system: SystemPrompt,
        model: Model,
        tools: Sequence[Tool | Toolset | Callable[..., Any]] = ...,
        *,
        tool_choice: str | None = ...,
        output_type: None = ...,
        max_iter: int = ...,
        hooks: AgentHooks | None = ...,
        state_type: type[BaseModel] | None = ...,
        approval_timeout: timedelta | float | None = ...,
        on_approval_timeout: OnApprovalTimeout = ...,
        output_retries: int = ...,
        temperature: float | None = ...,
        max_tokens: int | None = ...,
        history: HistoryProcessor | Sequence[HistoryProcessor] | None = ...,
        handoffs: Sequence[Any] = ...,
    ) -> None: ...
    @overload
    def __init__(
        self: Agent[OutputT],
        name: str,
        system: SystemPrompt,
        model: Model,
        tools: Sequence[Tool | Toolset | Callable[..., Any]] = ...,
        *,
        tool_choice: str | None = ...,
        output_type: type[OutputT],
        max_iter: int = ...,
        hooks: AgentHooks | None = ...,
        state_type: type[BaseModel] | None = ...,
        approval_timeout: timedelta | float | None = ...,
        on_approval_timeout: OnApprovalTimeout = ...,
        output_retries: int = ...,
        temperature: float | None = ...,
        max_tokens: int | None = ...,
        history: HistoryProcessor | Sequence[HistoryProcessor] | None = ...,
        handoffs: Sequence[Any] = ...,
    ) -> None: ...

    def __init__(
        self,
        name: str,
        system: SystemPrompt,
        model: Model,
        tools: Sequence[Tool | Toolset | Callable[..., Any]] = (),
        *,
        tool_choice: str | None = None,
        output_type: Any = None,
        max_iter: int = 10,
        hooks: AgentHooks | None = None,
        state_type: type[BaseModel] | None = None,
        approval_timeout: timedelta | float | None = timedelta(days=7),
        on_approval_timeout: OnApprovalTimeout = "reject",
        output_retries: int = 2,
        temperature: float | None = None,
        max_tokens: int | None = None,
        history: HistoryProcessor | Sequence[HistoryProcessor] | None = None,
        handoffs: Sequence[Any] = (),
    ) -> None:
        if not _NAME.match(name):
            raise ConfigError(
                f"agent name {name!r} must be letters, digits, '_', '.', ':' or '-' "
                "(it is part of step keys)"
            )
        if max_iter < 1:
            raise ConfigError(f"max_iter must be at least 1, got {max_iter}")
        if output_retries < 0:
            raise ConfigError(f"output_retries must not be negative, got {output_retries}")
        self.name = name
        self.system = system
        self.model = model
        self.tools, self.toolsets = expand_tools(tools)
        self.tool_choice = tool_choice
        self.output_type = output_type
        self.max_iter = max_iter
        self.hooks = hooks or AgentHooks()
        self.state_type = state_type
        self.approval_timeout = approval_timeout
        self.on_approval_timeout: OnApprovalTimeout = on_approval_timeout
        self.output_retries = output_retries
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.history = history_processors(name, history)
        self.handoffs = handoff_tools(name, handoffs)
        self.bound_tools = _bind([*self.tools, *self.handoffs], state_type, name)
        if tool_choice not in (None, "auto", "none", "required") and (
            tool_choice not in self.bound_tools
        ):
            raise ConfigError(f"agent {name!r}: tool_choice {tool_choice!r} names no tool")
        self.output_spec = None if output_type is None else OutputSpec(output_type)
        # The parametrized result model, so the output validates into its type
        # (and round-trips as a durable function's output).
        generic: Any = AgentResult
        self.result_type: type[AgentResult[OutputT]] = generic[
            str if output_type is None else output_type
        ]

    def __repr__(self) -> str:
        return f"<Agent {self.name!r}>"

    def add_handoffs(self, *targets: Any) -> None:
        """Add transfer targets after construction (agents that hand off to each other)."""
        for each in handoff_tools(self.name, targets):
            if each.name in self.bound_tools:
                raise ConfigError(f"agent {self.name!r} has two tools named {each.name!r}")
            self.handoffs.append(each)
            self.bound_tools[each.name] = each

    def system_prompt(self, state: Any) -> str:
        """The system prompt for ``state``."""
        return self.system if isinstance(self.system, str) else self.system(state)

    async def run(
        self,
        input: AgentInput,
        *,
        ctx: Context,
        state: BaseModel | None = None,
        thread: str | None = None,
    ) -> AgentResult[OutputT]:
        """Run the loop inside a durable function and return the result.

        Args:
            input: A user text, a message, or a conversation.
            ctx: The durable function's context.
            state: The state object tools of ``state_type`` receive (default:
                ``state_type()`` when the agent has one).
            thread: A thread id (``kit.threads.create()``): its messages are
                loaded (step ``{name}/thread/load``) before the first model
                call, and this turn's input and replies are appended (step
                ``{name}/thread/save``) when the agent answers. A turn that
                fails appends nothing.

        Raises:
            MaxIterationsExceeded: ``max_iter`` model calls without a final answer.
            OutputValidationError: the structured answer stayed invalid.
            StepFailed: a model call failed after its retries and failover.
            TokenTimeout: an approval timed out with ``on_approval_timeout="fail"``.
            StepFailed: ``thread`` names no thread.
        """
        from agentkit.agents._loop import run_loop  # it imports this module

        if state is None and self.state_type is not None:
            state = self.state_type()
        if state is not None and (
            self.state_type is None or not isinstance(state, self.state_type)
        ):
            raise ConfigError(
                f"agent {self.name!r} got state of type {type(state).__name__}, but its "
                f"state_type is {getattr(self.state_type, '__name__', None)}"
            )
        agent = self if not self.toolsets else await self._with_listed_tools(ctx)
        result: AgentResult[OutputT] = await run_loop(agent, input, ctx, state, thread)
        return result

    async def _with_listed_tools(self, ctx: Context) -> Agent[OutputT]:
        """A copy of this agent with the tools of its per-run toolsets listed for this run."""
        listed = [t for toolset in self.toolsets for t in await toolset.list_tools(ctx, self.name)]
        agent = copy.copy(self)
        agent.bound_tools = _bind([*self.tools, *listed], self.state_type, self.name)
        return agent


def _bind(tools: list[Tool], state_type: type[BaseModel] | None, name: str) -> dict[str, Tool]:
    bound: dict[str, Tool] = {}
    for each in tools:
        if each.name in bound:
            raise ConfigError(f"agent {name!r} has two tools named {each.name!r}")
        bound[each.name] = each.bind_state(state_type)
    return bound
