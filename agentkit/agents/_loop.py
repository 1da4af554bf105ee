"""The agent loop: infer, run tool calls, infer again, until a final answer.

Only steps touch the world: each model call is ``ctx.step.infer`` and each
tool call one ``ctx.step.run`` (or ``invoke``, or a token wait for approval).
Everything in between is a function of journaled results, so replay rebuilds
the conversation without calling anything.

Usage and cost are read from the store, not counted in memory: the
completions stored for this loop's ``infer`` step keys. ``usage`` sums the
successful attempt each journal entry references (the replies the
conversation is made of); ``cost_usd`` sums every stored attempt of those
keys, failed ones and retries included, since a provider may bill them.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from agentkit.agents._agent import (
    AgentInput,
    AgentResult,
    MaxIterationsExceeded,
    OutputValidationError,
)
from agentkit.agents._handoff import HandoffTool
from agentkit.agents._history import AgentTurn, apply_history
from agentkit.agents._schema import describe_validation_error
from agentkit.agents._stream import stream_for
from agentkit.agents._threads import ThreadHistory, load_history, save_turn
from agentkit.agents._tool_calls import ToolTurn, cut_off_results
from agentkit.models import (
    Message,
    ModelRequest,
    ModelResponse,
    ToolCallPart,
    ToolResultPart,
    Usage,
)

if TYPE_CHECKING:
    from agentkit.agents._agent import Agent
    from agentkit.durable import Context

__all__ = ["run_loop", "usage_and_cost"]


def input_messages(input: AgentInput) -> list[Message]:
    """The conversation an input stands for."""
    if isinstance(input, str):
        return [Message.user(input)]
    if isinstance(input, Message):
        return [input]
    return list(input)


def next_step_key(ctx: Context, step_id: str) -> str:
    """The key the engine gives the next step called ``step_id`` (``id``, ``id#1``, ...)."""
    return ctx.step.peek_key(step_id)


def usage_and_cost(ctx: Context, keys: list[str]) -> tuple[Usage, float | None]:
    """Usage of the referenced completions of ``keys``, and the cost of all their attempts."""
    completions = ctx.step.completions(set(keys))
    referenced = {ctx.step.referenced_completion(key) for key in keys} - {None}
    usage = Usage()
    for completion in completions:
        if completion.id in referenced:
            usage = usage + Usage(
                input_tokens=completion.input_tokens or 0,
                output_tokens=completion.output_tokens or 0,
                cached_tokens=completion.cached_tokens or 0,
            )
    costs = [c.cost_usd for c in completions if c.cost_usd is not None]
    return usage, (sum(costs) if costs else None)


async def _call_hook(hook: Any, *args: Any) -> None:
    if hook is None:
        return
    outcome = hook(*args)
    if inspect.isawaitable(outcome):
        await outcome


class _Loop:
    """The mutable bookkeeping of one ``agent.run``."""

    def __init__(self, agent: Agent[Any], ctx: Context, state: BaseModel | None) -> None:
        self.agent = agent
        self.ctx = ctx
        self.state = state
        self.turn = ToolTurn(agent, ctx, state)
        self.thread: ThreadHistory | None = None
        self.messages: list[Message] = []
        self.tool_calls: list[ToolCallPart] = []
        self.tool_results: list[ToolResultPart] = []
        self.infer_keys: list[str] = []
        self.tool_choice = agent.tool_choice
        self.output_retries = agent.output_retries
        self.handoff: str | None = None

    def conversation(self) -> list[Message]:
        """The system prompt (for the state as it is now), the thread's messages, this turn's."""
        system = self.agent.system_prompt(self.state)
        history = [] if self.thread is None else self.thread.messages
        return ([Message.system(system)] if system else []) + history + self.messages

    async def request(self) -> ModelRequest:
        agent, spec = self.agent, self.agent.output_spec
        messages = self.conversation()
        if agent.history:
            turn = AgentTurn(self.ctx, agent, self.state, len(self.infer_keys), self.thread)
            messages = await apply_history(agent.history, turn, messages)
        return ModelRequest(
            messages=messages,
            tools=[tool.spec for tool in agent.bound_tools.values()],
            tool_choice=self.tool_choice if agent.bound_tools else None,
            output_schema=None if spec is None else spec.schema,
            output_schema_name=None if spec is None else spec.name,
            temperature=agent.temperature,
            max_tokens=agent.max_tokens,
        )

    async def infer(self) -> ModelResponse:
        step_id = f"{self.agent.name}/infer"
        request = await self.request()
        key = next_step_key(self.ctx, step_id)
        self.infer_keys.append(key)
        stream = stream_for(self.agent.name, key)  # set by a network run's stream=
        response = await self.ctx.step.infer(step_id, self.agent.model, request, stream=stream)
        self.messages.append(response.message)
        await _call_hook(self.agent.hooks.on_response, self.ctx, self.agent, response)
        return response

    async def run_tools(self, response: ModelResponse) -> None:
        calls = response.tool_calls
        if response.finish_reason == "length":
            # Cut off at max_tokens: a call may be incomplete, so none is run.
            results = cut_off_results(calls, self.agent.max_tokens)
        else:
            results = await self.turn.run(calls)
        results = self.transfers(calls, results)
        self.tool_calls.extend(calls)
        self.tool_results.extend(results)
        self.messages.append(Message(role="tool", parts=list(results)))
        if self.tool_choice not in (None, "none"):
            self.tool_choice = "auto"

    def transfers(
        self, calls: list[ToolCallPart], results: list[ToolResultPart]
    ) -> list[ToolResultPart]:
        """Note the first handoff of a reply; refuse the others (pure: replays the same)."""
        out = list(results)
        for index, (call, result) in enumerate(zip(calls, results, strict=True)):
            tool = self.agent.bound_tools.get(call.name)
            if not isinstance(tool, HandoffTool) or result.is_error:
                continue
            if self.handoff is None:
                self.handoff = tool.handoff.name
            else:
                out[index] = result.model_copy(
                    update={
                        "content": f"Error: only one transfer per reply; the conversation "
                        f"goes to {self.handoff}.",
                        "is_error": True,
                    }
                )
        return out

    def final_output(self) -> tuple[bool, Any]:
        """(True, output) for a final answer; (False, None) after asking for a correction."""
        text = self.messages[-1].text
        spec = self.agent.output_spec
        if spec is None:
            return True, text
        try:
            return True, spec.parse(text)
        except ValidationError as error:
            if self.output_retries == 0:
                problems = describe_validation_error(error, root="reply")
                raise OutputValidationError(self.agent.name, text, problems) from error
            self.output_retries -= 1
            self.messages.append(Message.user(spec.retry_message(error)))
            return False, None

    def result(self, output: Any) -> AgentResult[Any]:
        usage, cost = usage_and_cost(self.ctx, self.infer_keys)
        result: AgentResult[Any] = self.agent.result_type(
            output=output,
            messages=self.conversation(),
            tool_calls=self.tool_calls,
            tool_results=self.tool_results,
            usage=usage,
            cost_usd=cost,
            model_calls=len(self.infer_keys),
            handoff=self.handoff,
        )
        return result


async def run_loop(
    agent: Agent[Any],
    input: AgentInput,
    ctx: Context,
    state: BaseModel | None,
    thread: str | None = None,
) -> AgentResult[Any]:
    """Implementation of `Agent.run` (see there)."""
    loop = _Loop(agent, ctx, state)
    if thread is not None:
        loop.thread = await load_history(ctx, f"{agent.name}/thread/load", thread)
    loop.messages = input_messages(input)
    await _call_hook(agent.hooks.on_start, ctx, agent, loop.conversation())
    for _ in range(agent.max_iter):
        response = await loop.infer()
        if response.tool_calls:
            await loop.run_tools(response)
            if loop.handoff is None:
                continue
            result = loop.result(f"Transferred to {loop.handoff}.")
            if thread is not None:
                await save_turn(ctx, f"{agent.name}/thread/save", thread, loop.messages)
            await _call_hook(agent.hooks.on_finish, ctx, agent, result)
            return result
        done, output = loop.final_output()
        if done:
            result = loop.result(output)
            if thread is not None:
                await save_turn(ctx, f"{agent.name}/thread/save", thread, loop.messages)
            await _call_hook(agent.hooks.on_finish, ctx, agent, result)
            return result
    usage, cost = usage_and_cost(ctx, loop.infer_keys)
    raise MaxIterationsExceeded(agent.name, agent.max_iter, loop.conversation(), usage, cost)
