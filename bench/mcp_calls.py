"""What one MCP tool call costs through MCPToolset: a connection per step.

Starts tests/tools/mcp_server.py over stdio (a server process per call) and on
127.0.0.1 over streamable HTTP (a session per call), makes a few ``add`` calls
each way (and over stdio inside ``connected()``, one server for all calls) and
prints the mean time per call. ``python bench/mcp_calls.py``
(about 20 s on a loaded 2-core machine).
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time
from pathlib import Path

from agentkit.tools import MCPToolset

REPO = Path(__file__).resolve().parents[1]
SERVER = [sys.executable, "-m", "tests.tools.mcp_server"]
CALLS = 4


async def connected_per_call(toolset: MCPToolset) -> float:
    async with toolset.connected():
        return await per_call(toolset)


async def per_call(toolset: MCPToolset) -> float:
    start = time.perf_counter()
    for n in range(CALLS):
        assert await toolset.connection.call_tool("add", {"a": n, "b": 1}) == (str(n + 1), False)
    return (time.perf_counter() - start) / CALLS


def main() -> None:
    env = {"PYTHONPATH": str(REPO)}
    stdio = asyncio.run(per_call(MCPToolset([*SERVER, "stdio"], env=env, cwd=REPO)))
    shared = asyncio.run(connected_per_call(MCPToolset([*SERVER, "stdio"], env=env, cwd=REPO)))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([*SERVER, "http", str(port)], cwd=REPO, env=env)
    try:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        http = asyncio.run(per_call(MCPToolset(url=f"http://127.0.0.1:{port}/mcp")))
    finally:
        server.kill()
        server.wait()
    print(f"stdio (server started per call): {stdio * 1000:.0f} ms per call")
    print(f"stdio inside connected() (one server): {shared * 1000:.0f} ms per call")
    print(f"streamable HTTP (session per call): {http * 1000:.0f} ms per call")
    print(f"ratio stdio per call / connected: {stdio / shared:.0f}")
    print(f"ratio stdio/http: {stdio / http:.1f}")


if __name__ == "__main__":
    main()
