"""Toolsets: groups of tools given to an `Agent` as one item.

A `Toolset` is either fixed (its tools are known when the agent is built, and
the agent expands it into them) or listed per run (`list_tools` is awaited
once at the start of each ``agent.run``, as a journaled step, e.g. an MCP
server's tool list). Either way a toolset may require approval for every tool
it holds.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from agentkit.agents._tool import ApprovalPolicy, FunctionTool, Tool
from agentkit.errors import ConfigError

if TYPE_CHECKING:
    from agentkit.durable import Context

__all__ = ["Toolset", "expand_tools"]


def _with_approval(tool: Tool, needs_approval: bool | ApprovalPolicy | None) -> Tool:
    if needs_approval is None or needs_approval is tool.needs_approval:
        return tool
    gated = copy.copy(tool)
    gated.needs_approval = needs_approval
    return gated


class Toolset:
    """A named group of tools; ``Agent(tools=[toolset, other_tool])`` expands it.

    Args:
        tools: `Tool` objects or plain functions (wrapped with ``tool``).
        name: What the group is called (in errors and step keys of listed toolsets).
        needs_approval: When set, every tool of the group takes this value
            (True, False or a policy) instead of its own.
    """

    per_run: bool = False
    """True when the tools are only known at run time (`list_tools` is awaited per run)."""

    def __init__(
        self,
        tools: Iterable[Tool | Callable[..., Any]] = (),
        *,
        name: str = "toolset",
        needs_approval: bool | ApprovalPolicy | None = None,
    ) -> None:
        self.name = name
        self.needs_approval = needs_approval
        made = [t if isinstance(t, Tool) else FunctionTool(t) for t in tools]
        self._tools = [_with_approval(t, needs_approval) for t in made]

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}: {[t.name for t in self._tools]}>"

    def __iter__(self) -> Iterator[Tool]:
        return iter(self.tools)

    def __len__(self) -> int:
        return len(self.tools)

    @property
    def tools(self) -> list[Tool]:
        """The tools of a fixed toolset (empty for one listed per run)."""
        return list(self._tools)

    def get(self, name: str) -> Tool:
        """The tool named ``name``.

        Raises:
            ConfigError: there is none.
        """
        for each in self._tools:
            if each.name == name:
                return each
        raise ConfigError(f"{self!r} has no tool named {name!r}")

    async def list_tools(self, ctx: Context, agent_name: str) -> list[Tool]:
        """The tools for one run of agent ``agent_name`` (a fixed toolset: its tools).

        A toolset listed per run fetches them through a step of ``ctx`` so that a
        replay sees the same list without reaching whatever it came from.
        """
        return self.tools

    def gate(self, tool: Tool) -> Tool:
        """``tool`` with the group's approval setting applied."""
        return _with_approval(tool, self.needs_approval)


def expand_tools(
    items: Iterable[Tool | Toolset | Callable[..., Any]],
) -> tuple[list[Tool], list[Toolset]]:
    """An agent's tools: fixed toolsets expanded, and the toolsets listed per run apart."""
    tools: list[Tool] = []
    per_run: list[Toolset] = []
    for item in items:
        if isinstance(item, Toolset):
            if item.per_run:
                per_run.append(item)
            else:
                tools.extend(item.tools)
        elif isinstance(item, Tool):
            tools.append(item)
        else:
            tools.append(FunctionTool(item))
    return tools, per_run
