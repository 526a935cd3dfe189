"""Initial schema: graphs, graph versions, runs, node results, artifacts.

Revision ID: 0001
Revises:
Create Date: 2025-01-01

Frozen: this file describes the schema as it was at revision 0001, so it spells out its
own tables instead of importing ``storage.models`` (which follows the newest schema).
A trigger also refuses any UPDATE of a graph version, below the ORM's guard: SQLite's
``RAISE(ABORT)``, and on PostgreSQL a function raising SQLSTATE 23000, so both databases
answer such an UPDATE with an integrity error. (The PostgreSQL trigger was added here, not in
a later revision, when PostgreSQL became a tested database: no earlier PostgreSQL studio
was supported.)
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RUN_STATUSES = ("queued", "running", "succeeded", "failed", "cancelled", "interrupted")


def upgrade() -> None:
    op.create_table(
        "graphs",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("latest_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_graphs"),
    )
    op.create_index("ix_graphs_updated_at", "graphs", ["updated_at"])

    op.create_table(
        "graph_versions",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("graph_id", sa.String(32), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_graph_versions"),
        sa.ForeignKeyConstraint(
            ["graph_id"],
            ["graphs.id"],
            name="fk_graph_versions_graph_id_graphs",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("graph_id", "number", name="uq_graph_versions_graph_id_number"),
    )
    op.create_index("ix_graph_versions_graph_id", "graph_versions", ["graph_id"])

    op.create_table(
        "runs",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("graph_id", sa.String(32), nullable=True),
        sa.Column("graph_version_id", sa.String(32), nullable=True),
        sa.Column("graph_version_number", sa.Integer(), nullable=True),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.JSON(), nullable=True),
        sa.Column("outputs", sa.JSON(), nullable=True),
        sa.Column("provenance", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_runs"),
        sa.ForeignKeyConstraint(
            ["graph_id"], ["graphs.id"], name="fk_runs_graph_id_graphs", ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["graph_version_id"],
            ["graph_versions.id"],
            name="fk_runs_graph_version_id_graph_versions",
            ondelete="SET NULL",
        ),
        sa.CheckConstraint(
            "status IN (" + ", ".join(repr(s) for s in RUN_STATUSES) + ")",
            name="ck_runs_status",
        ),
    )
    op.create_index("ix_runs_graph_id_created_at", "runs", ["graph_id", "created_at"])
    op.create_index("ix_runs_status", "runs", ["status"])

    op.create_table(
        "node_results",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("node_id", sa.String(200), nullable=False),
        sa.Column("type", sa.String(200), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("cache_key", sa.String(128), nullable=True),
        sa.Column("cache_hit", sa.Boolean(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("duration_s", sa.Float(), nullable=True),
        sa.Column("outputs", sa.JSON(), nullable=True),
        sa.Column("error", sa.JSON(), nullable=True),
        sa.Column("provenance", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_node_results"),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name="fk_node_results_run_id_runs", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("run_id", "node_id", name="uq_node_results_run_id_node_id"),
    )

    op.create_table(
        "artifacts",
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("mime", sa.String(200), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name="pk_artifacts"),
    )

    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute(
            "CREATE TRIGGER trg_graph_versions_immutable BEFORE UPDATE ON graph_versions "
            "BEGIN SELECT RAISE(ABORT, 'graph versions are immutable: save a new version'); END"
        )
    elif dialect == "postgresql":
        op.execute(
            "CREATE FUNCTION graph_versions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'graph versions are immutable: save a new version' "
            "USING ERRCODE = 'integrity_constraint_violation'; END $$"
        )
        op.execute(
            "CREATE TRIGGER trg_graph_versions_immutable BEFORE UPDATE ON graph_versions "
            "FOR EACH ROW EXECUTE FUNCTION graph_versions_immutable()"
        )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS trg_graph_versions_immutable")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS trg_graph_versions_immutable ON graph_versions")
        op.execute("DROP FUNCTION IF EXISTS graph_versions_immutable()")
    op.drop_table("artifacts")
    op.drop_table("node_results")
    op.drop_index("ix_runs_status", table_name="runs")
    op.drop_index("ix_runs_graph_id_created_at", table_name="runs")
    op.drop_table("runs")
    op.drop_index("ix_graph_versions_graph_id", table_name="graph_versions")
    op.drop_table("graph_versions")
    op.drop_index("ix_graphs_updated_at", table_name="graphs")
    op.drop_table("graphs")
