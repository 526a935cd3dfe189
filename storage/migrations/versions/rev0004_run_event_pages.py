"""Run events are stored a page at a time: one row per written batch, its events as a JSON list.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06

A row per event cost more to write than a 2,000-node run's work. Each run's events move into
one page, in order, in the executor's wire shape less ``run_id``; downgrading splits pages
back into rows. Frozen like every migration: tables are spelled out here.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _rows_table() -> sa.TableClause:
    return sa.table(
        "run_events",
        sa.column("run_id", sa.String()),
        sa.column("seq", sa.Integer()),
        sa.column("type", sa.String()),
        sa.column("node_id", sa.String()),
        sa.column("data", sa.JSON()),
        sa.column("ts", sa.DateTime(timezone=True)),
    )


def _pages_table() -> sa.TableClause:
    return sa.table(
        "run_events",
        sa.column("run_id", sa.String()),
        sa.column("first_seq", sa.Integer()),
        sa.column("last_seq", sa.Integer()),
        sa.column("events", sa.JSON()),
    )


def _aware(ts: Any) -> datetime:
    if isinstance(ts, str):
        ts = datetime.fromisoformat(ts)
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def _data(value: Any) -> dict[str, Any]:
    return json.loads(value) if isinstance(value, str) else dict(value or {})


def _create_rows_table() -> None:
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
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_run_events_run_id_runs", ondelete="CASCADE"),
        sa.UniqueConstraint("run_id", "seq", name="uq_run_events_run_id_seq"),
    )


def _create_pages_table() -> None:
    op.create_table(
        "run_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("first_seq", sa.Integer(), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_run_events"),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_run_events_run_id_runs", ondelete="CASCADE"),
        sa.UniqueConstraint("run_id", "first_seq", name="uq_run_events_run_id_first_seq"),
    )


def upgrade() -> None:
    bind = op.get_bind()
    rows = _rows_table()
    pages: dict[str, list[dict[str, Any]]] = {}
    for run_id, seq, type_, node_id, data, ts in bind.execute(
        sa.select(rows.c.run_id, rows.c.seq, rows.c.type, rows.c.node_id, rows.c.data, rows.c.ts)
        .order_by(rows.c.run_id, rows.c.seq)
    ):
        event: dict[str, Any] = {"type": type_, "seq": seq, "ts": _aware(ts).timestamp()}
        if node_id is not None:
            event["node_id"] = node_id
        if data := _data(data):
            event["data"] = data
        pages.setdefault(run_id, []).append(event)
    op.drop_table("run_events")  # the names (pk_run_events, ...) pass to the new table
    _create_pages_table()
    if pages:
        op.bulk_insert(_pages_table(), [
            {"run_id": run_id, "first_seq": events[0]["seq"], "last_seq": events[-1]["seq"], "events": events}
            for run_id, events in pages.items()
        ])


def downgrade() -> None:
    bind = op.get_bind()
    pages = _pages_table()
    rows: list[dict[str, Any]] = []
    for run_id, events in bind.execute(sa.select(pages.c.run_id, pages.c.events).order_by(pages.c.run_id, pages.c.first_seq)):
        for event in events if isinstance(events, list) else json.loads(events or "[]"):
            rows.append({"run_id": run_id, "seq": event["seq"], "type": event["type"], "node_id": event.get("node_id"),
                         "data": event.get("data") or {}, "ts": datetime.fromtimestamp(event["ts"], UTC)})
    op.drop_table("run_events")
    _create_rows_table()
    if rows:
        op.bulk_insert(_rows_table(), rows)
