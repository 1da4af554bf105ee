"""``agentkit dev`` (worker + HTTP API + UI) and ``agentkit serve`` (API + UI only)."""

from __future__ import annotations

import asyncio
import os
import secrets
from typing import Annotated

import typer

from agentkit.cli._boundary import CLIError, state
from agentkit.cli._render import stderr_console
from agentkit.cli._worker import _load_for_cli, worker_logging

DEFAULT_PORT = 8420  # agentkit.server.DEFAULT_PORT; the CLI does not import the server to list help

AppOption = Annotated[
    str,
    typer.Option(
        "--app", metavar="APP", help="module:attribute naming your AgentKit, e.g. myapp.agents:kit."
    ),
]
PortOption = Annotated[int, typer.Option(min=0, max=65535, help="The port to listen on.")]


def _server() -> object:
    try:
        import agentkit.server as server
    except ImportError as exc:
        raise CLIError(
            f"the HTTP API needs the server extra ({exc.name} is missing): "
            "pip install 'agentkit[server]'"
        ) from None
    return server


def dev(
    ctx: typer.Context,
    app: AppOption,
    port: PortOption = DEFAULT_PORT,
    concurrency: Annotated[
        int, typer.Option(min=1, help="Runs the worker executes at once.")
    ] = 100,
    otel: Annotated[
        bool, typer.Option("--otel", help="Live OpenTelemetry spans of runs, steps, model calls.")
    ] = False,
) -> None:
    """Run a worker, the HTTP API and the dev UI on 127.0.0.1, and print the URL.

    Mutating calls need AGENTKIT_API_KEY; without one, a key is made for this
    session and given to the UI's page (served only to 127.0.0.1/localhost).
    """
    _server()
    if otel:
        try:
            import agentkit.otel  # noqa: F401  # checked before anything starts
        except ImportError as exc:
            raise CLIError(
                f"--otel needs the otel extra ({exc.name} is missing): pip install 'agentkit[otel]'"
            ) from None
    key = os.environ.get("AGENTKIT_API_KEY") or secrets.token_urlsafe(24)
    _run(ctx, app, port, key, worker=True, key_in_page=True, concurrency=concurrency, otel=otel)


def serve(
    ctx: typer.Context,
    app: AppOption,
    port: PortOption = DEFAULT_PORT,
    host: Annotated[str, typer.Option(help="The interface to listen on.")] = "127.0.0.1",
) -> None:
    """Serve the HTTP API and the UI for APP's runs, without a worker.

    Mutating calls need the bearer key AGENTKIT_API_KEY (refused when unset);
    the UI asks for it.
    """
    _server()
    _run(ctx, app, port, None, worker=False, key_in_page=False, host=host)


def _run(
    ctx: typer.Context,
    app: str,
    port: int,
    key: str | None,
    *,
    worker: bool,
    key_in_page: bool,
    host: str = "127.0.0.1",
    concurrency: int = 100,
    otel: bool = False,
) -> None:
    from agentkit.server._serve import serve as serve_app

    kit = _load_for_cli(app, state(ctx))
    console = stderr_console()

    def ready(url: str) -> None:
        what = "worker, API and UI" if worker else "API and UI"
        typer.echo(f"agentkit {what} for {app}: {url}  (API docs: {url}/docs)", err=False)
        console.print("Ctrl-C to stop", markup=False)

    try:
        with worker_logging(0):
            asyncio.run(
                serve_app(
                    kit,
                    host=host,
                    port=port,
                    api_key=key,
                    key_in_page=key_in_page,
                    worker=worker,
                    concurrency=concurrency,
                    otel=otel,
                    on_ready=ready,
                )
            )
    except KeyboardInterrupt:
        console.print("stopped", markup=False)
    finally:
        kit.close()
