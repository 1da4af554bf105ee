"""Handoffs: ``Agent(..., handoffs=[billing, refunds])``, OpenAI Agents style.

The model sees one tool per target, ``transfer_to_<name>``. Calling it runs
nothing: its result (``"Transferred to billing."``) is a pure function of the
reply, and the agent's run ends after that turn with
`AgentResult.handoff` naming the target. Inside a network, the transfer is
the next routing decision, journaled as the network's ``route`` step (router
``"handoff"``), so the router is not asked; the target starts from the
network's conversation, passed through the handoff's ``input_filter`` if it
has one (tool calls and their results must stay paired). Only the first
transfer of a reply counts; the others are answered with an error.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from agentkit.agents._schema import build_arguments_schema
from agentkit.agents._tool import Tool, ToolInvocation
from agentkit.errors import ConfigError

if TYPE_CHECKING:
    from agentkit.models import Message

__all__ = ["Handoff", "HandoffTool", "handoff_tools"]

InputFilter = Callable[[list["Message"]], list["Message"]]
"""What of the conversation the target agent starts from."""


@dataclass(frozen=True)
class Handoff:
    """A transfer target with options (a bare agent in ``handoffs=`` is ``Handoff(agent)``).

    Attributes:
        agent: The agent (or network) to transfer to.
        input_filter: ``(messages) -> messages`` over the conversation the target starts from.
        description: What the model reads about the transfer tool.
        tool_name: The tool's name (default ``transfer_to_<name>``).
    """

    agent: Any
    input_filter: InputFilter | None = None
    description: str | None = None
    tool_name: str | None = None

    @property
    def name(self) -> str:
        """The target's name."""
        return str(self.agent.name)


class HandoffTool(Tool):
    """The ``transfer_to_<name>`` tool of one handoff."""

    def __init__(self, handoff: Handoff) -> None:
        name = handoff.tool_name or "transfer_to_" + re.sub(r"[^A-Za-z0-9_-]", "_", handoff.name)
        super().__init__(
            name=name[:64],
            description=handoff.description
            or f"Hand the conversation to the {handoff.name} agent, which takes it from here.",
            arguments=build_arguments_schema(f"tool {name!r}", [], {}, {}, strict=True),
        )
        self.handoff = handoff

    async def execute(self, invocation: ToolInvocation) -> str:
        """Nothing runs: the transfer is the agent loop's and the network's business."""
        return f"Transferred to {self.handoff.name}."


def handoff_tools(agent_name: str, handoffs: Sequence[Any]) -> list[HandoffTool]:
    """The transfer tools of an agent's ``handoffs``."""
    tools: list[HandoffTool] = []
    for each in handoffs:
        handoff = each if isinstance(each, Handoff) else Handoff(each)
        if not isinstance(getattr(handoff.agent, "name", None), str):
            raise ConfigError(f"agent {agent_name!r}: handoff target {each!r} has no name")
        tools.append(HandoffTool(handoff))
    return tools
