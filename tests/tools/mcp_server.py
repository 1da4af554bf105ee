"""A real MCP server for the tests, written with the SDK's server API.

``python -m tests.tools.mcp_server stdio`` serves over stdin/stdout;
``python -m tests.tools.mcp_server http PORT`` serves streamable HTTP on
127.0.0.1:PORT at ``/mcp``. Every call of ``record`` appends
``record TURN SERVER_PID PARENT_PID`` to ``$MCP_LEDGER`` (outside any journal).
"""

from __future__ import annotations

import os
import sys

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations

server = MCPServer("agentkit-test-server", log_level="ERROR")


@server.tool(annotations=ToolAnnotations(read_only_hint=True))
def add(a: int, b: int) -> str:
    """Add two integers."""
    return str(a + b)


@server.tool()
def record(turn: int, note: str) -> str:
    """Record a note for a turn."""
    ledger = os.environ.get("MCP_LEDGER")
    if ledger:
        fd = os.open(ledger, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        try:
            os.write(fd, f"record {turn} {os.getpid()} {os.getppid()}\n".encode())
        finally:
            os.close(fd)
    return f"recorded {note!r} for turn {turn}"


@server.tool(annotations=ToolAnnotations(destructive_hint=True))
def delete_everything(confirm: str) -> str:
    """Delete every note."""
    return f"deleted ({confirm})"


@server.tool()
def divide(a: float, b: float) -> str:
    """Divide a by b."""
    if b == 0:
        raise ToolError("division by zero")
    return str(a / b)


if __name__ == "__main__":
    if sys.argv[1] == "stdio":
        server.run("stdio")
    else:
        server.run("streamable-http", host="127.0.0.1", port=int(sys.argv[2]))
