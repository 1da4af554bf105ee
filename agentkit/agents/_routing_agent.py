"""`RoutingAgent`: a model that picks the network's next agent with tools.

One routing call is one or more ``ctx.step.infer(f"{network}/{name}/infer")``
over a system prompt listing the agents and their tools, with two tools:
``select_agent(name, reason)`` (several calls in one reply run those agents
concurrently) and ``done(summary)``. A name the network does not have, or a
reply without a call, is told to the model, which tries again (up to
``max_iter`` model calls). The decision read from the reply is then journaled
as the network's ``route`` step, so a replay calls neither the model nor this code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agentkit.agents._router import RouterError, RouterInput, RoutingDecision
from agentkit.agents._stream import stream_for
from agentkit.errors import ConfigError
from agentkit.models import Message, ModelRequest, ToolCallPart, ToolResultPart, ToolSpec

if TYPE_CHECKING:
    from agentkit.agents._network import Network
    from agentkit.durable import Context
    from agentkit.models import Model

__all__ = ["RoutingAgent"]

_SELECT = ToolSpec(
    name="select_agent",
    description=(
        "Run the named agent next. Call it several times in one reply to run "
        "several agents concurrently."
    ),
    parameters={
        "type": "object",
        "properties": {
            "name": {"type": "string", "description": "The agent's name."},
            "reason": {"type": "string", "description": "Why this agent, in one sentence."},
        },
        "required": ["name", "reason"],
        "additionalProperties": False,
    },
    strict=True,
)
_DONE = ToolSpec(
    name="done",
    description="The input is fully handled: stop the network.",
    parameters={
        "type": "object",
        "properties": {"summary": {"type": "string", "description": "What was achieved."}},
        "required": ["summary"],
        "additionalProperties": False,
    },
    strict=True,
)
_OUTPUT_CHARACTERS = 2000  # of each earlier agent's answer shown to the routing model


class RoutingAgent:
    """An LLM router: the network's default when no router is given.

    Args:
        model: The model that routes (default: the network's ``default_model``).
        name: Stable name, part of step keys (``{network}/{name}/infer``).
        instructions: Extra text for its system prompt.
        max_iter: Most model calls per routing decision.
        temperature: Sampling temperature.
    """

    def __init__(
        self,
        model: Model | None = None,
        *,
        name: str = "router",
        instructions: str | None = None,
        max_iter: int = 3,
        temperature: float | None = None,
    ) -> None:
        if max_iter < 1:
            raise ConfigError(f"routing agent {name!r}: max_iter must be at least 1")
        self.model = model
        self.name = name
        self.instructions = instructions
        self.max_iter = max_iter
        self.temperature = temperature

    def __repr__(self) -> str:
        return f"<RoutingAgent {self.name!r}>"

    def system_prompt(self, network: Network[Any]) -> str:
        """The prompt that lists the network's agents and their tools."""
        lines = [
            f"You route work in the network {network.name!r} between these agents:",
        ]
        for name, member in network.members.items():
            tools = ", ".join(getattr(member, "bound_tools", {})) or "no tools"
            about = network.describe(member)
            lines.append(f"- {name}: {about} (tools: {tools})")
        lines.append(
            "Call select_agent with the agent that should act next, or done when the "
            "input is fully handled."
        )
        if self.instructions:
            lines.append(self.instructions)
        return "\n".join(lines)

    def transcript(self, r: RouterInput) -> str:
        """What happened so far, as the routing model reads it."""
        text = "\n".join(m.text for m in r.input if m.text)
        parts = [f"Input:\n{text}"]
        if r.results:
            done = [
                f"{i}. {name}: {str(result.output)[:_OUTPUT_CHARACTERS]}"
                for i, (name, result) in enumerate(r.results, 1)
            ]
            parts.append("Agents that ran so far, in order:\n" + "\n".join(done))
        else:
            parts.append("No agent has run yet.")
        if r.state is not None:
            parts.append(f"Shared state: {r.state.model_dump_json()}")
        return "\n\n".join(parts)

    def _read(
        self, network: Network[Any], call: int, calls: list[ToolCallPart]
    ) -> tuple[RoutingDecision | None, list[ToolResultPart]]:
        """The decision in a reply's calls, or the results that tell the model what was wrong."""
        agents: list[str] = []
        reasons: list[str] = []
        problems: dict[str, str] = {}
        summary: str | None = None
        for part in calls:
            arguments = part.arguments if part.parse_error is None else {}
            if part.name == "done":
                summary = str(arguments.get("summary", ""))
            elif part.name == "select_agent":
                name = str(arguments.get("name", ""))
                if name not in network.members:
                    known = ", ".join(network.members)
                    problems[part.id] = f"Error: there is no agent {name!r}. Agents: {known}."
                elif name in agents:
                    problems[part.id] = f"Error: {name!r} was selected twice."
                else:
                    agents.append(name)
                    reasons.append(str(arguments.get("reason", "")))
            else:
                problems[part.id] = f"Error: unknown tool {part.name!r}. Call select_agent or done."
        if not calls:
            return None, []
        if problems or (summary is not None and agents):
            results = [
                ToolResultPart(
                    tool_call_id=part.id,
                    name=part.name,
                    content=problems.get(part.id)
                    or "Not applied: call either select_agent or done, and fix the errors.",
                    is_error=True,
                )
                for part in calls
            ]
            return None, results
        if summary is not None:
            return RoutingDecision(call=call, router=self.name, done=True, summary=summary), []
        return (
            RoutingDecision(call=call, router=self.name, agents=agents, reason="; ".join(reasons)),
            [],
        )

    async def decide(
        self, ctx: Context, network: Network[Any], r: RouterInput, infer_keys: list[str]
    ) -> RoutingDecision:
        """Ask the model (each call a step) until it names agents of the network or says done.

        Raises:
            RouterError: no valid decision within ``max_iter`` model calls.
        """
        model = self.model or network.default_model
        if model is None:
            raise ConfigError(
                f"routing agent {self.name!r} of network {network.name!r} has no model: "
                "give it one, or give the network a default_model"
            )
        messages = [Message.system(self.system_prompt(network)), Message.user(self.transcript(r))]
        step_id = f"{network.name}/{self.name}/infer"
        for _ in range(self.max_iter):
            request = ModelRequest(
                messages=messages,
                tools=[_SELECT, _DONE],
                tool_choice="required",
                temperature=self.temperature,
            )
            key = ctx.step.peek_key(step_id)
            infer_keys.append(key)
            stream = stream_for(self.name, key)
            response = await ctx.step.infer(step_id, model, request, stream=stream)
            decision, results = self._read(network, r.call_count, response.tool_calls)
            if decision is not None:
                return decision
            messages.append(response.message)
            if results:
                messages.append(Message(role="tool", parts=list(results)))
            else:
                messages.append(Message.user("Call select_agent or done."))
        raise RouterError(
            f"routing agent {self.name!r} of network {network.name!r} made {self.max_iter} "
            "model call(s) without naming an agent of the network or calling done"
        )
