"""The kit users import from `agentkit`: the engine's kit plus what agents add.

The engine (`agentkit.durable`) knows nothing about agents, so the
conveniences that mention them live here: ``kit.run_agent(...)``,
``kit.run_network(...)`` and ``fn.as_tool()`` on the functions this kit
registers. This module imports only the engine; the rest of the agent layer
loads when one of them is called.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar, cast

from agentkit.durable import AgentKit as EngineKit
from agentkit.durable import (
    CancelOn,
    Concurrency,
    CronTrigger,
    Debounce,
    DurableFunction,
    EventTrigger,
    Priority,
    RetryPolicy,
    Throttle,
)
from agentkit.durable._kit import UserFunction, refuse_running_loop

if TYPE_CHECKING:
    from pydantic import BaseModel

    from agentkit.agents._agent import Agent, AgentInput, AgentResult
    from agentkit.agents._function_tool import DurableFunctionTool
    from agentkit.agents._network import Network
    from agentkit.agents._network_result import NetworkResult
    from agentkit.agents._threads import Threads

__all__ = ["AgentFunction", "AgentKit"]

P = ParamSpec("P")
R = TypeVar("R", covariant=True)
A = TypeVar("A")


class AgentFunction(DurableFunction[P, R]):
    """A durable function that a model can also call as a tool (`as_tool`)."""

    def as_tool(
        self, *, name: str | None = None, description: str | None = None, **options: Any
    ) -> DurableFunctionTool:
        """This function as a tool a model may call; each call is a child run (``invoke``)."""
        from agentkit.agents._function_tool import function_as_tool

        return function_as_tool(self, name=name, description=description, **options)


class AgentKit(EngineKit):
    """Registry of durable functions bound to one store, with agents on top.

    Everything `agentkit.durable.AgentKit` does, plus `run_agent` and
    ``as_tool()`` on registered functions. See the engine's kit for the arguments.
    """

    function_type = AgentFunction
    _threads: Threads | None = None

    @property
    def threads(self) -> Threads:
        """Conversation threads kept in this kit's store (`agentkit.memory.Threads`)."""
        if self._threads is None:
            from agentkit.agents._threads import Threads

            self._threads = Threads(self.store, self.clock)
        return self._threads

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
        trigger: EventTrigger | CronTrigger | None = None,
    ) -> Callable[[UserFunction[P, R]], AgentFunction[P, R]]:
        """Register ``async def f(ctx, ...)`` as a durable function (see the engine's kit)."""
        register = super().function(
            id,
            retries=retries,
            retry=retry,
            concurrency=concurrency,
            throttle=throttle,
            debounce=debounce,
            priority=priority,
            cancel_on=cancel_on,
            trigger=trigger,
        )
        # function_type above makes every registered function an AgentFunction.
        return cast(Callable[[UserFunction[P, R]], AgentFunction[P, R]], register)

    async def run_agent(
        self,
        agent: Agent[A],
        input: AgentInput,
        *,
        state: BaseModel | None = None,
        idempotency_key: str | None = None,
        thread: str | None = None,
    ) -> AgentResult[A]:
        """Run ``agent`` as its own durable run (function ``agent:{name}``) until it ends.

        With ``thread`` (a thread id), the run loads that thread before its first
        model call and appends its turn to it at the end, as steps.
        """
        from agentkit.agents._run import run_agent

        return await run_agent(
            self, agent, input, state=state, idempotency_key=idempotency_key, thread=thread
        )

    def run_agent_sync(
        self,
        agent: Agent[A],
        input: AgentInput,
        *,
        state: BaseModel | None = None,
        idempotency_key: str | None = None,
        thread: str | None = None,
    ) -> AgentResult[A]:
        """`run_agent` for scripts: run ``agent`` here until it ends, without ``await``.

        Raises:
            UsageError: called inside a running event loop (Jupyter, async code);
                ``await kit.run_agent(...)`` there instead.
        """
        refuse_running_loop("kit.run_agent_sync(...)", "await kit.run_agent(...)")
        return asyncio.run(
            self.run_agent(
                agent, input, state=state, idempotency_key=idempotency_key, thread=thread
            )
        )

    async def run_network(
        self,
        network: Network[Any],
        input: AgentInput,
        *,
        state: BaseModel | None = None,
        idempotency_key: str | None = None,
        thread: str | None = None,
    ) -> NetworkResult[Any]:
        """Run ``network`` as its own durable run (function ``network:{name}``) until it ends.

        With ``thread``, the run loads that thread and appends its turn to it.
        """
        from agentkit.agents._network_run import run_network

        return await run_network(
            self, network, input, state=state, idempotency_key=idempotency_key, thread=thread
        )
