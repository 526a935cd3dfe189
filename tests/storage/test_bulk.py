"""``storage.bulk.insert_rows`` writes what SQLAlchemy's own insert writes: the same stored
text for every column kind the run path uses, read back as the same values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from storage import repo
from storage.bulk import insert_rows
from storage.models import NodeResult

WHEN = datetime(2026, 3, 4, 5, 6, 7, 0, tzinfo=timezone(timedelta(hours=2)))  # no microseconds, not UTC


def _row(run_id: str, node_id: str, **over: object) -> dict[str, object]:
    return {"run_id": run_id, "node_id": node_id, "type": "utility.concat", "status": "succeeded",
            "reason": "new node", "cache_key": "k" * 64, "cache_hit": True, "started_at": WHEN,
            "duration_s": 0.25, "outputs": {"text": "é\u2028", "n": [1, 2.5, None]}, "error": None,
            "provenance": None, **over}


def test_rows_are_stored_as_sqlalchemy_stores_them(sessions: sessionmaker[Session], engine: Engine) -> None:
    with sessions() as s, s.begin():
        run_id = repo.create_run(s, document={"nodes": []}).id
    table = NodeResult.__table__
    with sessions() as s, s.begin():
        s.execute(insert(table), [_row(run_id, "by-sqlalchemy"), _row(run_id, "null-time", started_at=None)])
        insert_rows(s, table, [_row(run_id, "by-bulk"), _row(run_id, "null-time-bulk", started_at=None)])  # type: ignore[arg-type]
    columns = "type, status, reason, cache_key, cache_hit, started_at, duration_s, outputs, error, provenance"
    with engine.connect() as c:
        stored = {nid: rest for nid, *rest in c.execute(text(f"SELECT node_id, {columns} FROM node_results"))}
    assert stored["by-bulk"] == stored["by-sqlalchemy"]
    assert stored["null-time-bulk"] == stored["null-time"]
    with sessions() as s:
        read = s.scalars(select(NodeResult).where(NodeResult.node_id == "by-bulk")).one()
        assert read.started_at == WHEN and read.started_at.tzinfo == UTC
        assert read.outputs == {"text": "é\u2028", "n": [1, 2.5, None]} and read.error is None and read.cache_hit is True


def test_a_duplicate_row_raises_sqlalchemys_integrity_error(sessions: sessionmaker[Session]) -> None:
    with sessions() as s, s.begin():
        run_id = repo.create_run(s, document={"nodes": []}).id
    with pytest.raises(IntegrityError), sessions() as s, s.begin():
        insert_rows(s, NodeResult.__table__, [_row(run_id, "a"), _row(run_id, "a")])  # type: ignore[arg-type]
    with sessions() as s:
        assert s.scalars(select(NodeResult)).all() == []  # the failed batch left nothing


def test_a_naive_time_is_refused_as_the_column_type_refuses_it(sessions: sessionmaker[Session]) -> None:
    with sessions() as s, s.begin():
        run_id = repo.create_run(s, document={"nodes": []}).id
    with pytest.raises(ValueError, match="naive datetime"), sessions() as s, s.begin():
        insert_rows(s, NodeResult.__table__, [_row(run_id, "a", started_at=datetime(2026, 1, 1))])  # type: ignore[arg-type]
