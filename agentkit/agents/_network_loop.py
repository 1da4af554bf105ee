"""One ``network.run``: route, run the chosen agents, repeat; the bookkeeping in between.

Everything here between steps is a function of journaled values (decisions,
agents' results, state patches), so a replay rebuilds the same run. See
`agentkit.agents._network` for the semantics.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from agentkit.agents._agent import AgentResult
from agentkit.agents._history import check_tool_pairs, history_scope
from agentkit.agents._loop import usage_and_cost
from agentkit.agents._network import Network
from agentkit.agents._network_result import AgentRun, NetworkMaxIterations, NetworkResult
from agentkit.agents._router import (
    CodeRouter,
    Member,
    RouterError,
    RouterInput,
    RoutingDecision,
    code_decision,
)
from agentkit.agents._routing_agent import RoutingAgent
from agentkit.agents._state import enter_branch, fork_state, merge_forks
from agentkit.durable import RetryPolicy
from agentkit.errors import ConfigError, NonDeterminismError, StepFailed
from agentkit.models import Message

if TYPE_CHECKING:
    from agentkit.durable import Context

__all__ = ["NetworkRun"]

_ONCE = RetryPolicy(max_attempts=1)  # a router is code: trying it again decides the same


class NetworkRun:
    """The bookkeeping of one ``network.run`` (see `Network.run`)."""

    def __init__(
        self, network: Network[Any], ctx: Context, state: BaseModel | None, input: list[Message]
    ) -> None:
        self.network = network
        self.ctx = ctx
        self.state = state
        self.input = input
        self.turns: list[tuple[str, list[Message]]] = []  # (agent, messages it produced)
        self.runs: list[AgentRun] = []
        self.decisions: list[RoutingDecision] = []
        self.routing_keys: list[str] = []
        self.calls = 0
        self.handoff: tuple[str, str] | None = None  # (from agent, to agent)
        self.input_filter: Any = None  # of the handoff the next agent came by

    def history(self, scope: str = "full", agent: str | None = None) -> list[Message]:
        """The conversation: the input and the turns in scope."""
        messages = list(self.input)
        for name, produced in self.turns:
            if scope == "full" or name == agent:
                messages.extend(produced)
        return messages

    def router_input(self) -> RouterInput:
        return RouterInput(
            network=self.network,
            input=list(self.input),
            state=self.state,
            call_count=self.calls,
            last_result=self.runs[-1].result if self.runs else None,
            results=[(run.agent, run.result) for run in self.runs],
            history=self.history(),
        )

    async def run(self) -> NetworkResult[Any]:
        network = self.network
        while True:
            decision = await self.route()
            self.calls += 1
            if decision.done:
                break
            if len(self.runs) >= network.max_iter:
                raise NetworkMaxIterations(network.name, network.max_iter, self.decisions)
            await self.run_members(self.resolve(decision))
        return self.result()

    # -- routing ---------------------------------------------------------------

    async def journal(self, router: str, body: Any) -> RoutingDecision:
        """The routing step: ``body`` runs only when the decision is not journaled."""
        step_id = f"{self.network.name}/route"
        key = self.ctx.step.peek_key(step_id)
        try:
            raw = await self.ctx.step.with_retry(_ONCE).run(
                step_id, body, {"call": self.calls, "router": router}
            )
        except StepFailed as failed:
            raise RouterError(
                f"the router of network {self.network.name!r} failed in step {key!r}: "
                f"{failed.error_type}: {failed.error_message}"
            ) from failed
        decision = RoutingDecision.model_validate(raw)
        self.decisions.append(decision)
        return decision

    async def route(self) -> RoutingDecision:
        if self.handoff is not None:
            source, target = self.handoff
            self.handoff = None
            decision = RoutingDecision(
                call=self.calls,
                router="handoff",
                agents=[target],
                reason=f"{source} transferred the conversation to {target}",
            )
            return await self.journal("handoff", _Fixed(decision).decide)
        router = self.network.router
        if isinstance(router, RoutingAgent):
            return await self.llm_route(router)
        decision = await self.journal("code", _CodeBody(self, router).decide)
        if decision.delegate is None:
            return decision
        delegate = self.network.routing_agents.get(decision.delegate)
        if delegate is None:
            raise NonDeterminismError(
                self.ctx.run_id,
                f"a routing decision of network {self.network.name!r} handed to routing "
                f"agent {decision.delegate!r}",
                f"a network whose routing agents are {sorted(self.network.routing_agents)}",
            )
        return await self.llm_route(delegate)

    async def llm_route(self, router: RoutingAgent) -> RoutingDecision:
        decision = await router.decide(
            self.ctx, self.network, self.router_input(), self.routing_keys
        )
        return await self.journal(router.name, _Fixed(decision).decide)

    def resolve(self, decision: RoutingDecision) -> list[Member]:
        """The members a journaled decision names."""
        members = self.network.members
        missing = [name for name in decision.agents if name not in members]
        if missing:
            raise NonDeterminismError(
                self.ctx.run_id,
                f"routing decision #{decision.call} of network {self.network.name!r} "
                f"choosing {', '.join(map(repr, missing))}",
                f"a network whose agents are {', '.join(map(repr, members))}",
            )
        if len(set(decision.agents)) != len(decision.agents):
            raise RouterError(
                f"network {self.network.name!r}: the router chose one agent twice to run "
                f"concurrently ({decision.agents}); its steps would not replay"
            )
        return [members[name] for name in decision.agents]

    # -- agents ------------------------------------------------------------------

    async def run_members(self, members: list[Member]) -> None:
        if len(members) == 1 or self.state is None:
            results = []
            if len(members) == 1:
                results.append(await self.run_member(members[0], self.state))
            else:
                results = list(await asyncio.gather(*(self.run_member(m, None) for m in members)))
        else:
            base = self.state.model_dump(mode="json")
            forks = fork_state(self.state, [m.name for m in members])

            async def branch(member: Member, index: int) -> tuple[AgentResult[Any], list[Message]]:
                enter_branch(forks[index])
                return await self.run_member(member, forks[index].state)

            results = list(await asyncio.gather(*(branch(m, i) for i, m in enumerate(members))))
            merge_forks(self.state, base, forks)
        # In the router's order, whatever order they finished in.
        self.input_filter = None
        for member, (result, produced) in zip(members, results, strict=True):
            self.runs.append(AgentRun(agent=member.name, result=result))
            self.turns.append((member.name, produced))
            if result.handoff is not None and self.handoff is None:
                self.handoff = (member.name, result.handoff)
                self.input_filter = next(
                    t.handoff.input_filter
                    for t in member.handoffs
                    if t.handoff.name == result.handoff
                )

    async def run_member(
        self, member: Member, state: BaseModel | None
    ) -> tuple[AgentResult[Any], list[Message]]:
        scope = "full" if isinstance(member, Network) else history_scope(member.history)
        given = self.history(scope, member.name)
        if self.input_filter is not None:
            given = list(self.input_filter(given))
        problem = check_tool_pairs(given)
        if problem:  # whole turns are kept or dropped; a handoff's input filter may not
            raise ConfigError(
                f"network {self.network.name!r}: the conversation given to {member.name!r} "
                f"is not whole: {problem}"
            )
        if isinstance(member, Network):
            inner_state = state if isinstance(state, member.state_type or ()) else None
            nested = await member.run(given, ctx=self.ctx, state=inner_state)
            result: AgentResult[Any] = AgentResult[Any](
                output=nested.output,
                messages=nested.messages,
                tool_calls=[c for r in nested.runs for c in r.result.tool_calls],
                tool_results=[t for r in nested.runs for t in r.result.tool_results],
                usage=nested.usage,
                cost_usd=nested.cost_usd,
                model_calls=nested.model_calls,
            )
            return result, nested.messages[len(given) :]
        agent_state = state if member.state_type is not None else None
        result = await member.run(given, ctx=self.ctx, state=agent_state)
        offset = len(given) + (1 if result.messages and result.messages[0].role == "system" else 0)
        return result, result.messages[offset:]

    # -- result --------------------------------------------------------------------

    def result(self) -> NetworkResult[Any]:
        usage, cost = usage_and_cost(self.ctx, self.routing_keys)
        costs = [cost] if cost is not None else []
        for run in self.runs:
            usage = usage + run.result.usage
            if run.result.cost_usd is not None:
                costs.append(run.result.cost_usd)
        last_done = self.decisions[-1] if self.decisions else None
        output = self.runs[-1].result.output if self.runs else None
        if output is None and last_done is not None:
            output = last_done.summary
        return NetworkResult[Any](
            output=output,
            state=self.state,
            runs=self.runs,
            decisions=self.decisions,
            messages=self.history(),
            usage=usage,
            cost_usd=sum(costs) if costs else None,
            model_calls=len(self.routing_keys) + sum(r.result.model_calls for r in self.runs),
        )


class _CodeBody:
    """The body of a code router's step (a bound method: the engine reads its annotation)."""

    def __init__(self, run: NetworkRun, router: CodeRouter) -> None:
        self.run = run
        self.router = router

    async def decide(self, fingerprint: dict[str, Any]) -> dict[str, Any]:
        decision: dict[str, Any] = await code_decision(
            self.run.network, self.router, self.run.router_input()
        )
        return decision


class _Fixed:
    """The body of a routing agent's step: the decision read from its journaled reply."""

    def __init__(self, decision: RoutingDecision) -> None:
        self.decision = decision

    async def decide(self, fingerprint: dict[str, Any]) -> dict[str, Any]:
        return self.decision.model_dump(mode="json")
