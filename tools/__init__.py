"""Ready-made tools for agents: files, shell, Python, HTTP, web search, git, MCP.

Installed as ``agentkit.tools``. Every tool is an ordinary `agentkit.agents.Tool`
(each call one durable step) and every family comes as a `Toolset`, which an
`Agent` takes as one item. Tools that change the world accept
``needs_approval``; a `Toolset` can require approval for its whole group.
"""

from agentkit.agents import Toolset
from agentkit.tools._files import FileLimits, file_tools
from agentkit.tools._git import git_tools
from agentkit.tools._http import FetchLimits, Resolver, html_to_text, http_tools
from agentkit.tools._mcp import MCPTool, MCPToolError, MCPToolset
from agentkit.tools._process import Limits
from agentkit.tools._search import (
    BraveSearch,
    FakeSearch,
    SearchProvider,
    SearchResult,
    TavilySearch,
    search_tools,
)
from agentkit.tools._shell import python_tools, shell_tools
from agentkit.tools._workspace import PathRefused, Workspace

__all__ = [
    "BraveSearch",
    "FakeSearch",
    "FetchLimits",
    "FileLimits",
    "Limits",
    "MCPTool",
    "MCPToolError",
    "MCPToolset",
    "PathRefused",
    "Resolver",
    "SearchProvider",
    "SearchResult",
    "TavilySearch",
    "Toolset",
    "Workspace",
    "file_tools",
    "git_tools",
    "html_to_text",
    "http_tools",
    "python_tools",
    "search_tools",
    "shell_tools",
]
