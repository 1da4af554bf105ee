"""Flow control: run priority and slot count, slot keys, cancel-on events, shared flow state.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agentkit_runs") as batch:
        batch.add_column(sa.Column("priority", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("slots", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "agentkit_run_slots",
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("slot_key", sa.String(length=300), nullable=False),
        sa.Column("slot_limit", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("run_id", "slot_key"),
    )
    op.create_index("ix_run_slots_key", "agentkit_run_slots", ["slot_key"], unique=False)
    op.create_table(
        "agentkit_cancel_on",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("event_name", sa.String(length=200), nullable=False),
        sa.Column("match", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_cancel_on_event", "agentkit_cancel_on", ["event_name"], unique=False)
    op.create_table(
        "agentkit_flow_state",
        sa.Column("key", sa.String(length=516), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("key"),
    )


def downgrade() -> None:
    raise NotImplementedError("agentkit migrations go forward only")
