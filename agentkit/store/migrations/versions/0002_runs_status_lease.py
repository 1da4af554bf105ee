"""Index runs by (status, lease_expires_at): a claim finds lapsed leases without a scan.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_runs_status_lease", "agentkit_runs", ["status", "lease_expires_at"], unique=False
    )


def downgrade() -> None:
    raise NotImplementedError("agentkit migrations go forward only")
