"""Run events (replay of past runs) and share links.

Revision ID: 0002
Revises: 0001
Create Date: 2025-01-02

Frozen like every migration: tables are spelled out here, not imported from the models.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "run_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("node_id", sa.String(200), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_run_events"),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name="fk_run_events_run_id_runs", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("run_id", "seq", name="uq_run_events_run_id_seq"),
    )

    op.create_table(
        "shares",
        sa.Column("token", sa.String(64), nullable=False),
        sa.Column("graph_id", sa.String(32), nullable=False),
        sa.Column("mode", sa.String(8), nullable=False),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("token", name="pk_shares"),
        sa.ForeignKeyConstraint(
            ["graph_id"], ["graphs.id"], name="fk_shares_graph_id_graphs", ondelete="CASCADE"
        ),
        sa.CheckConstraint("mode IN ('view', 'fork', 'demo')", name="ck_shares_mode"),
    )
    op.create_index("ix_shares_graph_id", "shares", ["graph_id"])


def downgrade() -> None:
    op.drop_index("ix_shares_graph_id", table_name="shares")
    op.drop_table("shares")
    op.drop_table("run_events")
