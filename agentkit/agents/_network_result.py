"""What a network run produced: `NetworkResult`, and the network's own errors."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from agentkit.agents._agent import AgentResult
from agentkit.agents._router import RoutingDecision
from agentkit.errors import AgentkitError
from agentkit.models import Message, Usage

__all__ = ["AgentRun", "NetworkMaxIterations", "NetworkResult"]

StateT = TypeVar("StateT")


class AgentRun(BaseModel):
    """One agent's turn in a network.

    Attributes:
        agent: The agent's name.
        result: What it produced (a nested network's result as an `AgentResult`).
    """

    agent: str
    result: AgentResult[Any]


class NetworkResult(BaseModel, Generic[StateT]):
    """What a network run produced.

    ``usage`` and ``cost_usd`` are summed from the completions stored for the
    agents' and the routing agent's model calls, so they are the same right
    after a replay as on the first run.

    Attributes:
        output: The output of the agent that ran last (the routing agent's
            ``done`` summary when no agent ran).
        state: The shared state at the end.
        runs: Every agent turn, in order (concurrent agents in the router's order).
        decisions: Every routing decision, as journaled, with its reason.
        messages: The network's conversation: the input, then each turn's messages.
        usage: Tokens of every model call the result is made of, routing included.
        cost_usd: USD of every stored attempt; None when no price was known.
        model_calls: Model calls, routing included.
    """

    output: Any
    state: StateT | None
    runs: list[AgentRun]
    decisions: list[RoutingDecision]
    messages: list[Message]
    usage: Usage
    cost_usd: float | None
    model_calls: int

    def results_of(self, agent: str) -> list[AgentResult[Any]]:
        """The results of every turn of ``agent``, in order."""
        return [run.result for run in self.runs if run.agent == agent]


class NetworkMaxIterations(AgentkitError):
    """The router kept choosing agents after ``max_iter`` agent turns.

    Attributes:
        network: The network's name.
        max_iter: Its limit.
        decisions: The routing decisions made.
    """

    def __init__(self, network: str, max_iter: int, decisions: list[RoutingDecision]) -> None:
        chosen = ", ".join(decisions[-1].agents) if decisions else ""
        super().__init__(
            f"network {network!r} ran {max_iter} agent turn(s) (max_iter) and its router "
            f"still chose {chosen!r}"
        )
        self.network = network
        self.max_iter = max_iter
        self.decisions = decisions
