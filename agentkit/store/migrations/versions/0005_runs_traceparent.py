"""Keep each run's W3C traceparent, so its OpenTelemetry spans link back to its journal.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("agentkit_runs", sa.Column("traceparent", sa.String(length=55), nullable=True))


def downgrade() -> None:
    raise NotImplementedError("agentkit migrations go forward only")
