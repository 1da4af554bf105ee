"""MCP toolsets: an MCP server's tools, listed once per run (a step) and each call a step.

``MCPToolset(command=[...])`` starts the server as a subprocess and talks over
its stdin/stdout; ``MCPToolset(url=...)`` uses streamable HTTP. At the start
of each ``agent.run`` the tool list is fetched through the step
``{agent}/mcp/{name}/list``, so a replay (or an eval over a recording) sees
the same names and schemas without the server; each call is the ordinary tool
step ``{agent}/tool/{tool}``, which connects only when it actually runs.

Everything the `mcp` SDK is used for sits in `_MCPConnection` (list tools, call
a tool), so the SDK's next major version is a change to that class only. By
default a connection is opened per step: nothing is held between steps, at
the cost of a server start (stdio, about 2 s here) or a session set-up (HTTP)
per call (bench/mcp_calls.py); ``async with toolset.connected():`` shares one
connection for the steps run inside it.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from agentkit.agents import Tool, Toolset
from agentkit.agents._schema import ArgumentsSchema  # no public way to give a raw JSON schema
from agentkit.agents._tool import ToolInvocation  # Tool.execute's parameter type
from agentkit.errors import ConfigError, NonRetriableError

if TYPE_CHECKING:
    from agentkit.durable import Context

__all__ = ["MCPTool", "MCPToolError", "MCPToolset"]


class MCPToolError(NonRetriableError):
    """The server answered a tool call with an error result; the model reads its text."""


class _AnyArguments(BaseModel):
    model_config = ConfigDict(extra="allow")


class _MCPConnection:
    """The `mcp` SDK behind two calls. One connection per call, closed before returning."""

    def __init__(
        self,
        command: Sequence[str] | None,
        url: str | None,
        env: Mapping[str, str] | None,
        cwd: str | None,
        timeout: float,
    ) -> None:
        self.command = list(command) if command is not None else None
        self.url = url
        self.env = dict(env) if env is not None else None
        self.cwd = cwd
        self.timeout = timeout
        self.shared: Any = None  # an open client, inside ``MCPToolset.connected()``

    def _client(self) -> Any:
        from mcp import Client, StdioServerParameters

        target: Any
        if self.command is not None:
            target = StdioServerParameters(
                command=self.command[0], args=self.command[1:], env=self.env, cwd=self.cwd
            )
        else:
            target = self.url
        return Client(target, read_timeout_seconds=self.timeout, cache=None)

    @contextlib.asynccontextmanager
    async def client(self) -> AsyncIterator[Any]:
        """The shared client when one is open, else a new one for this call."""
        if self.shared is not None:
            yield self.shared
            return
        async with self._client() as client:
            yield client

    async def list_tools(self) -> list[dict[str, Any]]:
        listed: list[dict[str, Any]] = []
        async with self.client() as client:
            cursor: str | None = None
            while True:
                page = await client.list_tools(cursor=cursor)
                for each in page.tools:
                    hints = each.annotations
                    listed.append(
                        {
                            "name": each.name,
                            "description": each.description or "",
                            "input_schema": each.input_schema,
                            "destructive": bool(hints is not None and hints.destructive_hint),
                            "read_only": bool(hints is not None and hints.read_only_hint),
                        }
                    )
                cursor = page.next_cursor
                if not cursor:
                    return listed

    async def call_tool(self, name: str, arguments: dict[str, Any]) -> tuple[str, bool]:
        async with self.client() as client:
            result = await client.call_tool(name, arguments)
        return _render(result.content, result.structured_content), bool(result.is_error)


def _render(content: list[Any], structured: Any) -> str:
    texts: list[str] = []
    for block in content:
        kind = getattr(block, "type", None)
        if kind == "text":
            texts.append(block.text)
        elif kind in ("image", "audio"):
            texts.append(f"[{kind}: {block.mime_type}, not shown]")
        elif kind == "resource_link":
            texts.append(f"[resource: {block.uri}]")
        else:
            texts.append(f"[{kind} content, not shown]")
    if not texts and structured is not None:
        return json.dumps(structured, sort_keys=True)
    return "\n".join(texts)


class MCPTool(Tool):
    """One tool of an MCP server, as the agent sees it; its call is a step."""

    def __init__(
        self,
        toolset: MCPToolset,
        listed: dict[str, Any],
        *,
        needs_approval: bool | Callable[..., bool],
    ) -> None:
        schema = dict(listed["input_schema"] or {"type": "object", "properties": {}})
        super().__init__(
            name=toolset.prefix + listed["name"],
            description=listed["description"] or listed["name"],
            arguments=ArgumentsSchema(
                model=_AnyArguments, parameters=schema, strict=False, defaults_on_null=frozenset()
            ),
            needs_approval=needs_approval,
        )
        self.server_name = str(listed["name"])
        self.toolset = toolset
        self.destructive = bool(listed["destructive"])

    def validate(self, arguments: dict[str, Any]) -> dict[str, Any]:
        """The arguments as they are: the server validates them against its schema."""
        return dict(arguments)

    async def execute(self, invocation: ToolInvocation) -> str:
        """One step: connect, call, close; an error result fails the step with its text."""
        return await invocation.ctx.step.run(invocation.step_id, self._call, invocation.arguments)

    async def _call(self, arguments: dict[str, Any]) -> str:
        text, is_error = await self.toolset.connection.call_tool(self.server_name, arguments)
        if is_error:
            raise MCPToolError(text or f"{self.server_name} reported an error")
        return text


class MCPToolset(Toolset):
    """The tools of an MCP server, given to an `Agent` like any toolset.

    Args:
        command: The server's argv, started as a subprocess (stdio transport).
        url: The server's streamable HTTP endpoint (e.g. ``http://127.0.0.1:8000/mcp``).
        name: Names the list step (``{agent}/mcp/{name}/list``); keep it stable.
        prefix: Put before every tool name (two servers with the same tool names).
        env: Environment for a stdio server (added to the SDK's minimal default).
        cwd: Working folder for a stdio server.
        timeout: Seconds one request may take.
        needs_approval: When set, every tool of the server takes this value.
        approve_destructive: Tools the server annotates ``destructiveHint: true``
            need approval (unless ``needs_approval`` says otherwise).

    Raises:
        ConfigError: neither or both of ``command`` and ``url``.
    """

    per_run = True

    def __init__(
        self,
        command: Sequence[str] | None = None,
        *,
        url: str | None = None,
        name: str = "mcp",
        prefix: str = "",
        env: Mapping[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
        timeout: float = 60.0,
        needs_approval: bool | Callable[..., bool] | None = None,
        approve_destructive: bool = True,
    ) -> None:
        if (command is None) == (url is None):
            raise ConfigError("MCPToolset needs exactly one of command=[...] or url=...")
        if command is not None and (isinstance(command, str) or not command):
            raise ConfigError(f"MCPToolset command must be a non-empty argv list, got {command!r}")
        super().__init__((), name=name, needs_approval=needs_approval)
        self.prefix = prefix
        self.approve_destructive = approve_destructive
        self.connection = _MCPConnection(
            command, url, env, None if cwd is None else os.fspath(cwd), timeout
        )

    @contextlib.asynccontextmanager
    async def connected(self) -> AsyncIterator[MCPToolset]:
        """Keep one connection open for every list and call made inside this block.

        Without it each step connects (a stdio server is started per call).
        Steps still run as steps: only the transport is shared. Use it around
        the worker, in the process that runs the steps::

            async with server.connected():
                await kit.worker()
        """
        if self.connection.shared is not None:
            raise ConfigError(f"{self!r} is already connected")
        async with self.connection._client() as client:
            self.connection.shared = client
            try:
                yield self
            finally:
                self.connection.shared = None

    def __repr__(self) -> str:
        where = self.connection.url or " ".join(self.connection.command or [])
        return f"<MCPToolset {self.name!r}: {where}>"

    async def list_tools(self, ctx: Context, agent_name: str) -> list[Tool]:
        """The server's tools for this run, listed through the step ``{agent}/mcp/{name}/list``."""
        listed: list[dict[str, Any]] = await ctx.step.run(
            f"{agent_name}/mcp/{self.name}/list", self.connection.list_tools
        )
        return [self._tool(each) for each in listed]

    def _tool(self, listed: dict[str, Any]) -> MCPTool:
        approval: bool | Callable[..., bool]
        if self.needs_approval is not None:
            approval = self.needs_approval
        else:
            approval = self.approve_destructive and bool(listed["destructive"])
        return MCPTool(self, listed, needs_approval=approval)
