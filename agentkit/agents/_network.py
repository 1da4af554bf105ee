"""`Network`: agents, a router and typed shared state, inside one durable function.

``await network.run(input, ctx=ctx)`` asks the router for the next agent
before the first agent and after every agent, runs what it chose (a list of
agents runs concurrently), and stops when it says done. Every decision is the
step ``{network}/route`` (see `agentkit.agents._router`); every model and tool
call of the agents is its agent's own step. Between steps everything is a
function of journaled values, so a resumed network replays to the same
decisions, state and conversation without calling a router, a model or a
tool again.

The network's conversation is its input followed by the messages each agent
produced. An agent starts from all of it (``history="full"``, the default) or
from the input and its own earlier turns (``history="own"``); whole turns are
kept or left out, so tool calls and their results stay together.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Generic, TypeVar

from pydantic import BaseModel

from agentkit.agents._agent import Agent, AgentInput
from agentkit.agents._loop import input_messages
from agentkit.agents._network_result import NetworkResult
from agentkit.agents._router import CodeRouter, Member
from agentkit.agents._routing_agent import RoutingAgent
from agentkit.agents._stream import StreamCallback, reset_stream, use_stream
from agentkit.agents._threads import load_history, save_turn
from agentkit.errors import ConfigError
from agentkit.models import Message

if TYPE_CHECKING:
    from agentkit.agents._network_tool import NetworkTool
    from agentkit.durable import Context
    from agentkit.models import Model

__all__ = ["Network"]

StateT = TypeVar("StateT", bound=BaseModel)


class Network(Generic[StateT]):
    """Agents that take turns on one task, chosen by a router, sharing a typed state.

    Args:
        name: Stable name, part of step keys (``{name}/route``); unique among
            the networks of one run.
        agents: `Agent` objects, or nested networks, with unique names.
        router: A code router ``(RouterInput) -> agent | [agents] | Route |
            RoutingAgent | None``, or a `RoutingAgent` (default: a
            `RoutingAgent` over ``default_model``).
        state: The initial shared state (a pydantic model); each run starts
            from a copy of it.
        max_iter: Most agent turns per run; a router still choosing after
            that is `NetworkMaxIterations`.
        default_model: The default routing agent's model.
        routing_agent: The `RoutingAgent` a hybrid code router may hand a
            decision to (and the default router when ``router`` is None).
        description: What the network does (shown to a routing model when the
            network is an agent of another network, and as its tool description).
    """

    def __init__(
        self,
        name: str,
        agents: Sequence[Member],
        router: CodeRouter | RoutingAgent | None = None,
        *,
        state: StateT | None = None,
        max_iter: int = 10,
        default_model: Model | None = None,
        routing_agent: RoutingAgent | None = None,
        description: str | None = None,
    ) -> None:
        if max_iter < 1:
            raise ConfigError(f"network {name!r}: max_iter must be at least 1, got {max_iter}")
        self.name = name
        self.state = state
        self.max_iter = max_iter
        self.default_model = default_model
        self.description = description
        self._running: set[str] = set()  # runs executing this network right now
        self.members: dict[str, Member] = {}
        for member in _with_handoff_targets(agents):
            if not isinstance(member, (Agent, Network)):
                raise ConfigError(f"network {name!r}: {member!r} is neither an Agent nor a Network")
            if member.name in self.members:
                raise ConfigError(f"network {name!r} has two agents named {member.name!r}")
            self._check_state(member)
            self.members[member.name] = member
        if not self.members:
            raise ConfigError(f"network {name!r} needs at least one agent")
        if router is None:
            router = routing_agent or RoutingAgent(default_model)
        self.router = router
        self.routing_agents: dict[str, RoutingAgent] = {}
        for each in (routing_agent, router):
            if isinstance(each, RoutingAgent):
                self.routing_agents[each.name] = each
        if not isinstance(router, RoutingAgent) and not callable(router):
            raise ConfigError(f"network {name!r}: router {router!r} is not callable")

    def __repr__(self) -> str:
        return f"<Network {self.name!r}>"

    def _check_state(self, member: Member) -> None:
        wanted = getattr(member, "state_type", None)
        if wanted is None or self.state is None:
            return
        if not isinstance(self.state, wanted):
            raise ConfigError(
                f"network {self.name!r}: agent {member.name!r} has state_type "
                f"{wanted.__name__}, but the network's state is {type(self.state).__name__}"
            )

    @property
    def state_type(self) -> type[BaseModel] | None:
        """The type of the shared state (None without one)."""
        return None if self.state is None else type(self.state)

    def describe(self, member: Member) -> str:
        """One line about ``member`` for a routing model."""
        if isinstance(member, Network):
            return member.description or f"a network of {', '.join(member.members)}"
        system = member.system if isinstance(member.system, str) else ""
        return system.strip().splitlines()[0] if system.strip() else "an agent"

    def as_tool(self, *, name: str | None = None, description: str | None = None) -> NetworkTool:
        """This network as a tool of another agent: the call runs the network inline."""
        from agentkit.agents._network_tool import NetworkTool

        return NetworkTool(self, name=name, description=description)

    async def run(
        self,
        input: AgentInput,
        *,
        ctx: Context,
        state: StateT | None = None,
        stream: StreamCallback | None = None,
        thread: str | None = None,
    ) -> NetworkResult[StateT]:
        """Run the network inside a durable function and return its result.

        Args:
            input: A user text, a message or a conversation.
            ctx: The durable function's context.
            state: The shared state (default: a copy of the network's ``state``).
            stream: Receives every model call's deltas as `StreamDelta`.
            thread: A thread id: its messages come before ``input`` in the
                network's conversation (loaded by the step
                ``{name}/thread/load``), and the input with every agent's new
                messages is appended to it at the end (one step,
                ``{name}/thread/save``), exactly once across crashes.

        Raises:
            NetworkMaxIterations: more than ``max_iter`` agent turns.
            RouterError: the router raised or chose nothing the network has.
            StateConflictError: concurrent agents wrote the same state field.
            NonDeterminismError: a journaled decision names an agent the network
                no longer has.
        """
        from agentkit.agents._network_loop import NetworkRun  # it imports this module

        if ctx.run_id in self._running:
            raise ConfigError(
                f"network {self.name!r} is already running in run {ctx.run_id!r}: two runs "
                "of one network at once would draw step keys in an order that depends on "
                "timing, which a replay could not repeat; run them one after the other"
            )
        if state is None and self.state is not None:
            state = self.state.model_copy(deep=True)
        token = use_stream(stream) if stream is not None else None
        self._running.add(ctx.run_id)
        try:
            history: list[Message] = []
            if thread is not None:
                history = (await load_history(ctx, f"{self.name}/thread/load", thread)).messages
            new = input_messages(input)
            network_run = NetworkRun(self, ctx, state, history + new)
            result = await network_run.run()
            if thread is not None:
                produced = [m for _, messages in network_run.turns for m in messages]
                await save_turn(ctx, f"{self.name}/thread/save", thread, new + produced)
            return result
        finally:
            self._running.discard(ctx.run_id)
            if token is not None:
                reset_stream(token)


def _with_handoff_targets(agents: Sequence[Member]) -> list[Member]:
    """``agents`` and, after them, every agent they can hand off to (transitively)."""
    out = list(agents)
    seen = {id(m) for m in out}
    index = 0
    while index < len(out):
        for each in getattr(out[index], "handoffs", ()):
            target = each.handoff.agent
            if id(target) not in seen:
                seen.add(id(target))
                out.append(target)
        index += 1
    return out
