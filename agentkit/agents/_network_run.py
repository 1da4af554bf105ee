"""A network as its own durable run: ``kit.run_network(network, input)``.

Each network gets one durable function on the kit, id ``f"network:{name}"``,
registered on first use (or with `network_function`, which a worker process
must call before it can resume such runs).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from agentkit.agents._agent import AgentInput
from agentkit.agents._network import Network
from agentkit.agents._network_result import NetworkResult
from agentkit.agents._run import start_with
from agentkit.durable import AgentKit, Context, DurableFunction, RunHandle
from agentkit.errors import ConfigError

__all__ = ["network_function", "run_network", "start_network"]

_NETWORK_ATTRIBUTE = "__agentkit_network__"


def network_function(
    kit: AgentKit, network: Network[Any]
) -> DurableFunction[..., NetworkResult[Any]]:
    """The durable function ``network:{name}`` that runs ``network``, registered once.

    Its input is ``input`` and ``state``; its output the `NetworkResult`.

    Raises:
        ConfigError: another network with the same name is registered on ``kit``.
    """
    function_id = f"network:{network.name}"
    existing = kit.functions.get(function_id)
    if existing is not None:
        if getattr(existing.fn, _NETWORK_ATTRIBUTE, None) is not network:
            raise ConfigError(
                f"durable function {function_id!r} already runs another network named "
                f"{network.name!r}; network names must be unique per kit"
            )
        return existing

    async def run(ctx: Context, input: Any, state: Any = None, thread: str | None = None) -> Any:
        return await network.run(input, ctx=ctx, state=state, thread=thread)

    state_type: Any = network.state_type or BaseModel
    result_type: Any = NetworkResult[state_type]
    run.__annotations__ = {
        "ctx": Context,
        "input": AgentInput,
        "state": state_type | None,
        "thread": str | None,
        "return": result_type,
    }
    run.__name__ = run.__qualname__ = f"network_{network.name}"
    setattr(run, _NETWORK_ATTRIBUTE, network)
    function: DurableFunction[..., NetworkResult[Any]] = kit.function(id=function_id)(run)
    return function


async def start_network(
    kit: AgentKit,
    network: Network[Any],
    input: AgentInput,
    *,
    state: BaseModel | None = None,
    idempotency_key: str | None = None,
    thread: str | None = None,
) -> RunHandle[NetworkResult[Any]]:
    """Queue a run of ``network``; a worker executes it. Returns its handle at once.

    With ``thread``, the run loads that thread and appends its turn to it.
    """
    function = network_function(kit, network)
    return await start_with(kit, function, input, state, idempotency_key, thread)


async def run_network(
    kit: AgentKit,
    network: Network[Any],
    input: AgentInput,
    *,
    state: BaseModel | None = None,
    idempotency_key: str | None = None,
    thread: str | None = None,
) -> NetworkResult[Any]:
    """Run ``network`` as its own durable run and execute it here until it ends.

    With ``thread``, the run loads that thread and appends its turn to it.

    Raises:
        RunFailedError: the run failed (e.g. `NetworkMaxIterations`).
        RunCancelledError: the run was cancelled.
    """
    handle = await start_network(
        kit, network, input, state=state, idempotency_key=idempotency_key, thread=thread
    )
    return await kit.drive(handle)
