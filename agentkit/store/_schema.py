"""Schema versions: which migration a database is at, and bringing it to this code's.

The tables of `agentkit.store._tables` are the schema's single source of truth
for new databases (created whole, then stamped with `HEAD`); Alembic revisions
in ``agentkit/store/migrations`` bring older databases to the same shape. A
store refuses a database older or newer than its code, unless asked to migrate
(``auto_migrate=True``, or ``agentkit db upgrade``). Alembic loads only to
migrate: reading the version is one SELECT.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection, Engine, inspect, text

from agentkit.errors import ConfigError

#: The revision this code's tables are at (the newest in migrations/versions).
HEAD = "0005"
#: Revisions in order; a database at any of these can be upgraded to `HEAD`.
REVISIONS = ("0001", "0002", "0003", "0004", "0005")
#: Where the version is kept.
VERSION_TABLE = "agentkit_schema_version"
#: A table every agentkit database has, versioned or not.
_RUNS_TABLE = "agentkit_runs"
#: What a database made before versioning holds.
_UNVERSIONED = "0001"

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def current_revision(conn: Connection) -> str | None:
    """The database's schema revision; None when it has no agentkit tables yet.

    A database made before versioning (agentkit tables, no version table) is
    at the first revision.
    """
    tables = set(inspect(conn).get_table_names())
    if VERSION_TABLE in tables:
        version = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()
        if version is not None:
            return str(version)
    return _UNVERSIONED if _RUNS_TABLE in tables else None


def stamp_head(conn: Connection) -> None:
    """Record a database whose tables were just created whole as being at `HEAD`."""
    conn.execute(
        text(
            f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} "
            "(version_num VARCHAR(32) NOT NULL PRIMARY KEY)"
        )
    )
    conn.execute(text(f"DELETE FROM {VERSION_TABLE}"))
    conn.execute(text(f"INSERT INTO {VERSION_TABLE} (version_num) VALUES (:v)"), {"v": HEAD})


def check_revision(revision: str, shown_url: str) -> None:
    """Refuse a database at another revision than this code's, saying what to do.

    Raises:
        ConfigError: the database is older (run ``agentkit db upgrade``) or
            newer (upgrade agentkit) than this code.
    """
    if revision == HEAD:
        return
    if revision in REVISIONS:
        raise ConfigError(
            f"database {shown_url} has schema revision {revision}, older than this "
            f"agentkit's {HEAD}: run `agentkit db upgrade` (or open it with "
            "auto_migrate=True) to migrate it"
        )
    raise ConfigError(
        f"database {shown_url} has schema revision {revision!r}, which this agentkit "
        f"(at {HEAD}) does not know: it was migrated by a newer agentkit; upgrade agentkit"
    )


def upgrade(engine: Engine, shown_url: str) -> tuple[str | None, str]:
    """Migrate the database to `HEAD`; returns the revisions before and after.

    Raises:
        ConfigError: the database is newer than this code.
    """
    from alembic import command  # only migrating needs Alembic
    from alembic.config import Config

    with engine.begin() as conn:
        before = current_revision(conn)
        if before is not None and before not in REVISIONS:
            check_revision(before, shown_url)
        if before == HEAD:
            return before, HEAD
        if before == _UNVERSIONED:
            # Made before versioning: record where it is, then go on from there.
            conn.execute(
                text(
                    f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} "
                    "(version_num VARCHAR(32) NOT NULL PRIMARY KEY)"
                )
            )
            if conn.execute(text(f"SELECT count(*) FROM {VERSION_TABLE}")).scalar() == 0:
                conn.execute(
                    text(f"INSERT INTO {VERSION_TABLE} (version_num) VALUES (:v)"),
                    {"v": _UNVERSIONED},
                )
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
        return before, current_revision(conn) or HEAD
