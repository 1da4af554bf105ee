"""Keep each run's W3C traceparent, so its OpenTelemetry spans link back to its journal.

Revision ID: 0007
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("agentkit_runs", sa.Column("traceparent", sa.String(length=55), nullable=True))


def downgrade() -> None:
    raise NotImplementedError("agentkit migrations go forward only")
