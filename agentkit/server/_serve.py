"""Serve the app with uvicorn, with (``agentkit dev``) or without a worker beside it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from agentkit.durable import AgentKit
from agentkit.server._app import create_app
from agentkit.server._state import ServerState

__all__ = ["DEFAULT_PORT", "serve"]

#: ``agentkit dev`` listens here unless ``--port`` says otherwise.
DEFAULT_PORT = 8420


async def serve(
    kit: AgentKit,
    *,
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    api_key: str | None = None,
    key_in_page: bool = False,
    worker: bool = False,
    concurrency: int = 100,
    otel: bool = False,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve the API and UI until cancelled (or the server stops).

    Args:
        kit: The kit served.
        host: The interface to listen on.
        port: The port (0: any free one; ``on_ready`` gets the URL).
        api_key: The key mutating endpoints need (default ``AGENTKIT_API_KEY``).
        key_in_page: Give the UI the key (for a local ``agentkit dev``).
        worker: Also execute runs here; their model calls stream deltas to the UI.
        concurrency: The worker's concurrency.
        otel: Make OpenTelemetry spans of runs, steps and model calls as they
            happen (an `agentkit.otel.OTelObserver` on the global provider).
        on_ready: Called with the base URL once the server listens.
    """
    import uvicorn

    app = create_app(kit, api_key=api_key, key_in_page=key_in_page)
    state: ServerState = app.state.agentkit
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    tasks: list[asyncio.Task[None]] = []
    if worker:
        tasks.append(asyncio.create_task(state.feed.run_worker(concurrency=concurrency)))
    if otel:
        from agentkit.otel import OTelObserver

        if not any(isinstance(o, OTelObserver) for o in kit.observers):
            kit.observers.append(OTelObserver())
    serving = asyncio.create_task(server.serve())
    try:
        # uvicorn says it listens only through this flag.
        while not server.started and not serving.done():  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        if server.started and on_ready is not None:
            sockets = [s for srv in server.servers for s in srv.sockets]
            bound = sockets[0].getsockname()[1] if sockets else port
            on_ready(f"http://{host}:{bound}")
        await serving
    finally:
        server.should_exit = True
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if not serving.done():
            await serving
