"""An agent as its own durable run: ``run_agent(kit, agent, input)``.

Each agent gets one durable function on the kit, id ``f"agent:{name}"``,
registered on first use (or with `agent_function`, which a worker process
must call before it can resume such runs).
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

from agentkit.agents._agent import Agent, AgentInput, AgentResult, OutputT
from agentkit.durable import AgentKit, Context, DurableFunction, RunHandle
from agentkit.errors import ConfigError

T = TypeVar("T")

__all__ = ["agent_function", "run_agent", "start_agent"]

_AGENT_ATTRIBUTE = "__agentkit_agent__"


def agent_function(
    kit: AgentKit, agent: Agent[OutputT]
) -> DurableFunction[..., AgentResult[OutputT]]:
    """The durable function ``agent:{name}`` that runs ``agent``, registered on ``kit`` once.

    Its input is ``input`` (a text, a message or a conversation), ``state``
    and ``thread`` (a thread id, or None); its output the `AgentResult`.

    Raises:
        ConfigError: another agent with the same name is registered on ``kit``.
    """
    function_id = f"agent:{agent.name}"
    existing = kit.functions.get(function_id)
    if existing is not None:
        if getattr(existing.fn, _AGENT_ATTRIBUTE, None) is not agent:
            raise ConfigError(
                f"durable function {function_id!r} already runs another agent named "
                f"{agent.name!r}; agent names must be unique per kit"
            )
        return existing

    async def run(ctx: Context, input: Any, state: Any = None, thread: str | None = None) -> Any:
        return await agent.run(input, ctx=ctx, state=state, thread=thread)

    # The engine reads these to encode the input and round-trip the output.
    run.__annotations__ = {
        "ctx": Context,
        "input": AgentInput,
        "state": BaseModel | None if agent.state_type is None else agent.state_type | None,
        "thread": str | None,
        "return": agent.result_type,
    }
    run.__name__ = run.__qualname__ = f"agent_{agent.name}"
    setattr(run, _AGENT_ATTRIBUTE, agent)
    function: DurableFunction[..., AgentResult[OutputT]] = kit.function(id=function_id)(run)
    return function


async def start_agent(
    kit: AgentKit,
    agent: Agent[OutputT],
    input: AgentInput,
    *,
    state: BaseModel | None = None,
    idempotency_key: str | None = None,
    thread: str | None = None,
) -> RunHandle[AgentResult[OutputT]]:
    """Queue a run of ``agent``; a worker executes it. Returns its handle at once.

    With ``thread``, the run loads that thread and appends its turn to it
    (see `Agent.run`).
    """
    return await start_with(kit, agent_function(kit, agent), input, state, idempotency_key, thread)


async def start_with(
    kit: AgentKit,
    function: DurableFunction[..., T],
    input: Any,
    state: BaseModel | None,
    idempotency_key: str | None,
    thread: str | None,
) -> RunHandle[T]:
    """Start ``function`` (an agent's or a network's) with the agent-run inputs."""
    # Start options travel with the function: `kit.start` is typed by its input.
    function = function.options(idempotency_key=idempotency_key)
    if thread is None:  # the input of thread-less runs stays what it always was
        return await kit.start(function, input=input, state=state)
    return await kit.start(function, input=input, state=state, thread=thread)


async def run_agent(
    kit: AgentKit,
    agent: Agent[OutputT],
    input: AgentInput,
    *,
    state: BaseModel | None = None,
    idempotency_key: str | None = None,
    thread: str | None = None,
) -> AgentResult[OutputT]:
    """Run ``agent`` as its own durable run and execute it here until it ends.

    With ``thread``, the run loads that thread and appends its turn to it.

    Raises:
        RunFailedError: the run failed (e.g. `MaxIterationsExceeded`).
        RunCancelledError: the run was cancelled.
    """
    handle = await start_agent(
        kit, agent, input, state=state, idempotency_key=idempotency_key, thread=thread
    )
    return await kit.drive(handle)
