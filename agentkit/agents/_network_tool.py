"""A network as a tool of another agent: ``network.as_tool()``.

The call runs the network inline, in the calling agent's run: its routing
decisions, model calls and tool calls are steps of that run, each journaled,
so a replay runs none of them again. The tool result is the network's output.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field, TypeAdapter

from agentkit.agents._schema import build_arguments_schema, signature_of
from agentkit.agents._tool import Tool, ToolInvocation, render_result

if TYPE_CHECKING:
    from agentkit.agents._network import Network

__all__ = ["NetworkTool"]


def _arguments(
    input: Annotated[str, Field(description="The task for the network, in full.")],
) -> str:
    return input


class NetworkTool(Tool):
    """A tool whose call runs a `Network`; the network's output is the result.

    Calls of one reply run one after the other, in the model's order (as tools
    that take the state do): two runs of one network at once would draw step
    keys in an order that depends on timing, which a replay could not repeat.
    The calling agent's state is shared with the network when its type fits.
    """

    takes_state = True

    def __init__(
        self, network: Network[Any], *, name: str | None = None, description: str | None = None
    ) -> None:
        tool_name = name or network.name.replace("-", "_").replace(".", "_").replace(":", "_")
        owner = f"tool {tool_name!r}"
        params, hints = signature_of(_arguments, owner)
        super().__init__(
            name=tool_name,
            description=description
            or network.description
            or f"Hand a task to the {network.name} network of agents.",
            arguments=build_arguments_schema(owner, params, hints, {}, strict=True),
        )
        self.network = network

    async def execute(self, invocation: ToolInvocation) -> str:
        """Run the network with the call's input; its steps are the calling run's."""
        state = invocation.state
        shared = state if isinstance(state, self.network.state_type or ()) else None
        result = await self.network.run(
            str(invocation.kwargs["input"]), ctx=invocation.ctx, state=shared
        )
        return render_result(result.output, TypeAdapter(Any), f"tool {self.name!r}")
