"""Which database a kit opens: the default URL and the environment override.

Kept apart from the SQL store so that choosing a URL costs no SQLAlchemy import.
"""

from __future__ import annotations

import os

__all__ = ["DEFAULT_DATABASE_URL", "database_url_from_env"]

DEFAULT_DATABASE_URL = "sqlite:///.agentkit/agentkit.db"


def database_url_from_env(explicit: str | None) -> str:
    """The URL to use: the explicit one, else ``AGENTKIT_DATABASE_URL``, else the default."""
    return explicit or os.environ.get("AGENTKIT_DATABASE_URL") or DEFAULT_DATABASE_URL
