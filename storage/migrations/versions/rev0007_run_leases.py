"""Run leases: which replica holds a queued or running run (or evaluation), until when, and
whether someone asked (through another replica) to cancel a run.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(128), nullable=True))
        batch.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("cancel_requested", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.create_index("ix_runs_claimed_by", ["claimed_by"])
    with op.batch_alter_table("evaluations") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(128), nullable=True))
        batch.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("evaluations") as batch:
        batch.drop_column("lease_until")
        batch.drop_column("claimed_by")
    with op.batch_alter_table("runs") as batch:
        batch.drop_index("ix_runs_claimed_by")
        batch.drop_column("cancel_requested")
        batch.drop_column("lease_until")
        batch.drop_column("claimed_by")
