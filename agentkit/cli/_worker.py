"""``agentkit worker APP``: execute the runs of an application's kit until Ctrl-C.

``APP`` is ``module:attribute`` (``attribute`` may be dotted) naming an
`AgentKit`, imported with the current directory first on ``sys.path``, the way
``uvicorn main:app`` finds an application.

Which database: the kit's own. A kit built with ``AgentKit()`` reads
``AGENTKIT_DATABASE_URL`` when its module is imported, and ``--database-url`` is
put there for the import, so such a kit follows the command line. A kit built
with an explicit URL or store keeps it; if ``--database-url`` names another
database, a note says so and the kit's own is used.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer

from agentkit._redact import RedactingFilter
from agentkit.cli._boundary import CLIError, CLIState, safe_url, state, warn
from agentkit.cli._render import stderr_console
from agentkit.durable import AgentKit

_ENV_URL = "AGENTKIT_DATABASE_URL"


@contextmanager
def _database_url_env(url: str | None) -> Iterator[None]:
    """Set ``AGENTKIT_DATABASE_URL`` to ``url`` (if any) for the duration, then restore it."""
    if url is None:
        yield
        return
    previous = os.environ.get(_ENV_URL)
    os.environ[_ENV_URL] = url
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(_ENV_URL, None)
        else:
            os.environ[_ENV_URL] = previous


LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
LOG_DATE_FORMAT = "%H:%M:%S"


def log_level(verbosity: int) -> int:
    """WARNING by default, INFO for ``-v``, DEBUG for ``-vv``."""
    return (logging.WARNING, logging.INFO)[verbosity] if verbosity < 2 else logging.DEBUG


@contextmanager
def worker_logging(verbosity: int) -> Iterator[logging.Handler]:
    """Log agentkit's records to stderr, at the level ``-v`` asks for, until the worker stops.

    Only the ``agentkit`` logger is configured, with secrets scrubbed; the
    application's own logging stays as the application set it. Lines are never
    wrapped, so a command in a log line can be copied whole.
    """
    logger = logging.getLogger("agentkit")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(LOG_FORMAT, LOG_DATE_FORMAT))
    handler.addFilter(RedactingFilter())
    previous = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(log_level(verbosity))
    # A root handler the application configured would print every line twice.
    logger.propagate = False
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous[0])
        logger.propagate = previous[1]


def _import_module(module_name: str) -> object:
    cwd = os.getcwd()
    if cwd not in sys.path:
        sys.path.insert(0, cwd)
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        missing = exc.name or ""
        if missing and (module_name == missing or module_name.startswith(missing + ".")):
            raise CLIError(f"cannot import {module_name!r}: no module named {missing!r}") from None
        raise CLIError(f"importing {module_name!r} failed: {type(exc).__name__}: {exc}") from None
    except Exception as exc:  # user code: report it in one line like every other failure
        raise CLIError(f"importing {module_name!r} failed: {type(exc).__name__}: {exc}") from None


def load_kit(spec: str) -> AgentKit:
    """The `AgentKit` that ``module:attribute`` names.

    Raises:
        CLIError: the spec is malformed, the module cannot be imported, the
            attribute is missing or is not an `AgentKit`.
    """
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise CLIError(f"APP must look like 'module:attribute', got {spec!r}")
    target = _import_module(module_name)
    for part in attribute.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise CLIError(f"module {module_name!r} has no attribute {attribute!r}") from None
    if not isinstance(target, AgentKit):
        what = f"the class {target.__name__}" if isinstance(target, type) else type(target).__name__
        raise CLIError(f"{spec!r} is {what}, not an AgentKit instance")
    return target


def _kit_url(kit: AgentKit) -> str:
    return kit.store.url or type(kit.store).__name__


def _load_for_cli(spec: str, settings: CLIState) -> AgentKit:
    explicit = settings.database_url if settings.url_from_command_line else None
    with _database_url_env(explicit):
        kit = load_kit(spec)
    if explicit is not None and _kit_url(kit) != explicit:
        warn(
            f"{spec} has its own database {safe_url(_kit_url(kit))}; "
            f"--database-url {safe_url(explicit)} is ignored"
        )
    return kit


def worker(
    ctx: typer.Context,
    app: Annotated[
        str,
        typer.Argument(
            metavar="APP", help="module:attribute naming your AgentKit, e.g. myapp.agents:kit."
        ),
    ],
    concurrency: Annotated[int, typer.Option(min=1, help="Runs executed at once.")] = 1000,
    poll_interval: Annotated[
        float, typer.Option(min=0.001, help="Seconds between looks at the database when idle.")
    ] = 0.5,
    stop_when_idle: Annotated[
        bool,
        typer.Option(
            "--stop-when-idle", help="Exit once no run is due or running (batch jobs, CI)."
        ),
    ] = False,
    verbose: Annotated[
        int,
        typer.Option(
            "--verbose",
            "-v",
            count=True,
            show_default=False,
            help="Log claims and waits (with the command that answers a token); "
            "-vv also every step. Default: warnings (failures) only.",
        ),
    ] = 0,
) -> None:
    """Execute the runs of APP's durable functions until Ctrl-C.

    APP's kit is used with its own database; --database-url only reaches kits
    built with AgentKit() (no URL), which read AGENTKIT_DATABASE_URL.
    """
    kit = _load_for_cli(app, state(ctx))
    try:
        with worker_logging(verbose):
            asyncio.run(_serve(kit, app, concurrency, poll_interval, stop_when_idle))
    except KeyboardInterrupt:
        stderr_console().print("worker stopped", markup=False)
    finally:
        kit.close()


async def _serve(
    kit: AgentKit, app: str, concurrency: int, poll_interval: float, stop_when_idle: bool
) -> None:
    # Announced from inside the loop: from here on, Ctrl-C is asyncio's to handle
    # (it cancels this task and the worker releases its runs), so a Ctrl-C right
    # after the banner stops the worker cleanly.
    names = ", ".join(sorted(kit.functions)) or "none"
    stderr_console().print(
        f"worker for {app} on {safe_url(_kit_url(kit))}: functions {names}; Ctrl-C to stop",
        markup=False,
        soft_wrap=True,
    )
    if not kit.functions:
        warn(f"{app} registers no durable functions; this worker will run nothing")
    await kit.worker(
        concurrency=concurrency, poll_interval=poll_interval, stop_when_idle=stop_when_idle
    )
