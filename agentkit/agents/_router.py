"""Routing decisions: what a router returns, and its journaled form.

Every decision is one step, ``ctx.step.run(f"{network}/route", ...)`` (keys
``{network}/route``, ``{network}/route#1``, ...), whose journaled value is a
`RoutingDecision` naming agents, never holding them. A replay returns the
journaled decision without calling the router (or its model) again, even when
the router's code changed since; the names are then looked up in the
network, and a name the network no longer has is a `NonDeterminismError`.
What a replay cannot detect is a changed router that would now decide
otherwise: the journal wins.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from pydantic import BaseModel

from agentkit.errors import AgentkitError, ConfigError

if TYPE_CHECKING:
    from agentkit.agents._agent import AgentResult
    from agentkit.agents._network import Network
    from agentkit.models import Message

__all__ = [
    "CodeRouter",
    "Member",
    "RouterError",
    "RouterInput",
    "RoutingDecision",
    "code_decision",
]

Member: TypeAlias = Any
"""An agent of a network: an `Agent` or a nested `Network` (anything with ``name`` and ``run``)."""


class RoutingDecision(BaseModel):
    """One journaled routing decision.

    Attributes:
        call: Which routing call of the network made it (0 first).
        router: ``"code"``, or the name of the `RoutingAgent` that decided.
        agents: The agents to run next (several run concurrently); empty when done.
        reason: Why, as the router said it (a code router may return a `Route`).
        done: The router said the network is finished.
        summary: What a routing agent's ``done(summary)`` said.
        delegate: A code router handed this call to the named `RoutingAgent`.
    """

    call: int
    router: str
    agents: list[str] = []
    reason: str | None = None
    done: bool = False
    summary: str | None = None
    delegate: str | None = None
    kind: Literal["route"] = "route"


class RouterError(AgentkitError):
    """A router raised, returned something that is not a route, or named no agent of the network."""


@dataclass(frozen=True)
class Route:
    """What a code router may return to give a reason with its choice.

    Attributes:
        agents: One agent or several (run concurrently); None or empty: done.
        reason: Kept in the journal and in `NetworkResult.decisions`.
    """

    agents: Member | Sequence[Member] | None
    reason: str | None = None


@dataclass(frozen=True)
class RouterInput:
    """What a code router decides from.

    Attributes:
        network: The network.
        input: The network's input messages.
        state: The shared state, your model (None without one); typed ``Any`` so
            that a router reads its fields without a cast. Read it; tools change it.
        call_count: How many routing calls came before this one.
        last_result: The result of the agent that ran last (None before the first).
        results: Every agent run so far, as ``(agent name, result)`` in order.
        history: The network's conversation so far (input included).
    """

    network: Network[Any]
    input: list[Message]
    state: Any
    call_count: int
    last_result: AgentResult[Any] | None
    results: list[tuple[str, AgentResult[Any]]]
    history: list[Message]


CodeRouter: TypeAlias = Callable[[RouterInput], Any]
"""``router(r: RouterInput)`` returns the next agent, a list of agents, a `Route`,
a `RoutingAgent` to decide this call, or None (done). It may be async."""


def _names(network: Network[Any], chosen: Any) -> list[str]:
    items = list(chosen) if isinstance(chosen, (list, tuple)) else [chosen]
    names: list[str] = []
    for item in items:
        name = getattr(item, "name", None)
        if not isinstance(name, str) or network.members.get(name) is not item:
            raise RouterError(
                f"the router of network {network.name!r} returned {item!r}, which is not one "
                f"of its agents ({', '.join(network.members)})"
            )
        names.append(name)
    return names


async def code_decision(network: Network[Any], router: CodeRouter, r: RouterInput) -> Any:
    """Call a code router and turn its answer into a `RoutingDecision` (as JSON)."""
    from agentkit.agents._routing_agent import RoutingAgent

    chosen: Any = router(r)
    if inspect.isawaitable(chosen):
        chosen = await chosen
    reason: str | None = None
    if isinstance(chosen, Route):
        chosen, reason = chosen.agents, chosen.reason
    decision = RoutingDecision(call=r.call_count, router="code", reason=reason)
    if isinstance(chosen, RoutingAgent):
        if network.routing_agents.get(chosen.name) is not chosen:
            raise ConfigError(
                f"the router of network {network.name!r} returned routing agent "
                f"{chosen.name!r}, which the network does not know: pass it as "
                "Network(..., routing_agent=...) so that a replay can find it"
            )
        decision.delegate = chosen.name
    elif chosen is None or (isinstance(chosen, (list, tuple)) and not chosen):
        decision.done = True
    else:
        decision.agents = _names(network, chosen)
    return decision.model_dump(mode="json")
