"""Alembic environment: migrations run on the connection agentkit hands over."""

from __future__ import annotations

from alembic import context

from agentkit.store._schema import VERSION_TABLE

connection = context.config.attributes["connection"]
context.configure(connection=connection, version_table=VERSION_TABLE)
with context.begin_transaction():
    context.run_migrations()
