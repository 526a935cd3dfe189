"""Evaluations: a saved graph version run over a dataset of cases, judged by checks.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07

Frozen like every migration: the table is spelled out here, not imported from the models.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STATUSES = "'queued', 'running', 'succeeded', 'failed', 'cancelled', 'interrupted'"


def upgrade() -> None:
    op.create_table(
        "evaluations",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("graph_id", sa.String(32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cases_count", sa.Integer(), nullable=False),
        sa.Column("done_count", sa.Integer(), nullable=False),
        sa.Column("passed_count", sa.Integer(), nullable=False),
        sa.Column("checks", sa.JSON(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("results", sa.JSON(), nullable=False),
        sa.Column("error", sa.JSON(), nullable=True),
        sa.Column("owner_id", sa.String(32), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_evaluations"),
        sa.ForeignKeyConstraint(["graph_id"], ["graphs.id"], name="fk_evaluations_graph_id_graphs", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name="fk_evaluations_owner_id_users", ondelete="SET NULL"),
        sa.CheckConstraint(f"status IN ({_STATUSES})", name="ck_evaluations_status"),
    )
    op.create_index("ix_evaluations_graph_id_version", "evaluations", ["graph_id", "version"])
    op.create_index("ix_evaluations_owner_id", "evaluations", ["owner_id"])


def downgrade() -> None:
    op.drop_index("ix_evaluations_owner_id", table_name="evaluations")
    op.drop_index("ix_evaluations_graph_id_version", table_name="evaluations")
    op.drop_table("evaluations")
