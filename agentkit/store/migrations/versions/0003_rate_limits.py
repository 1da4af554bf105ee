"""Shared rate limits: a state row per limit and a permit row per granted call.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agentkit_rate_limits",
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("blocked_until", sa.Float(), nullable=False),
        sa.Column("requests_remaining", sa.Integer(), nullable=True),
        sa.Column("requests_reset_at", sa.Float(), nullable=True),
        sa.Column("tokens_remaining", sa.Integer(), nullable=True),
        sa.Column("tokens_reset_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "agentkit_rate_permits",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("holder", sa.String(length=100), nullable=False),
        sa.Column("granted_at", sa.Float(), nullable=False),
        sa.Column("tokens", sa.Integer(), nullable=False),
        sa.Column("lease_expires_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_rate_permits_name_granted",
        "agentkit_rate_permits",
        ["name", "granted_at"],
        unique=False,
    )


def downgrade() -> None:
    raise NotImplementedError("agentkit migrations go forward only")
