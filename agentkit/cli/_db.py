"""``agentkit db``: the database's schema revision, and migrating it to this agentkit's."""

from __future__ import annotations

import typer

from agentkit.cli._boundary import CLIError, Command, Group, safe_url, state
from agentkit.store import SQLStore
from agentkit.store._schema import HEAD

db_app = typer.Typer(
    name="db",
    cls=Group,
    help="The database's schema: its revision, and migrating it.",
    no_args_is_help=True,
)


def _open(ctx: typer.Context) -> SQLStore:
    chosen = state(ctx)
    url = chosen.url
    chosen._check_exists(url)
    store = SQLStore(url, create_tables=False, check_schema=False)
    ctx.find_root().call_on_close(store.close)
    return store


@db_app.command("current", cls=Command)
def current(ctx: typer.Context) -> None:
    """Print the database's schema revision, and whether it is this agentkit's."""
    store = _open(ctx)
    revision = store.schema_revision()
    if revision is None:
        raise CLIError(f"database {safe_url(store.url or '')} has no agentkit tables")
    verdict = "up to date" if revision == HEAD else f"this agentkit is at {HEAD}"
    typer.echo(f"{revision} ({verdict})")


@db_app.command("upgrade", cls=Command)
def upgrade(ctx: typer.Context) -> None:
    """Migrate the database to this agentkit's schema (stop every worker first)."""
    store = _open(ctx)
    before, after = store.upgrade_schema()
    if before == after:
        typer.echo(f"already at {after}")
    else:
        typer.echo(f"upgraded from {before} to {after}")
