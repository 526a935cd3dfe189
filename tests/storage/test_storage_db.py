"""Engine set-up and migrations, on real SQLite files and PostgreSQL databases."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.orm import Session, sessionmaker

from storage import repo
from storage.db import (
    BUSY_TIMEOUT_MS,
    current_revision,
    head_revision,
    make_engine,
    make_session_factory,
    upgrade_to,
    upgrade_to_head,
)
from storage.errors import ImmutableVersion
from storage.models import Base, Graph, GraphVersion


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_sqlite_pragmas_are_on_for_every_connection(engine: Engine) -> None:
    for _ in range(3):  # fresh pooled connections too
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == BUSY_TIMEOUT_MS
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL


def test_make_engine_creates_the_data_folder(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "db.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        conn.exec_driver_sql("SELECT 1")
    engine.dispose()
    assert path.parent.is_dir() and path.exists()
    assert (tmp_path / "a" / "b" / "db.sqlite-wal").exists() or path.exists()


def test_in_memory_url_passes_through() -> None:
    engine = make_engine("sqlite://")
    upgrade_to_head(engine)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    assert current_revision(engine) == head_revision()


def test_foreign_keys_are_enforced(engine: Engine) -> None:
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO graph_versions (id, graph_id, number, document, message, created_at)"
                " VALUES ('v', 'no-such-graph', 1, '{}', '', '2025-01-01 00:00:00')"
            )
        )


def test_upgrade_to_head_is_idempotent_and_reports_revision(db_url: str) -> None:
    assert current_revision(db_url) is None
    upgrade_to_head(db_url)
    upgrade_to_head(db_url)
    assert current_revision(db_url) == head_revision() == "0007"


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    """The migrations and models.py describe the same schema (no drift)."""
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_versions_are_immutable_in_orm_and_sql(
    sessions: sessionmaker[Session], graph: tuple[Graph, GraphVersion], engine: Engine
) -> None:
    _, version = graph
    with sessions() as s:
        row = s.get(GraphVersion, version.id)
        assert row is not None
        row.message = "rewritten"
        with pytest.raises(ImmutableVersion):
            s.flush()
    with pytest.raises(IntegrityError, match="immutable"), engine.begin() as conn:
        conn.execute(text("UPDATE graph_versions SET message = 'x'"))


def test_datetimes_come_back_aware_utc(
    sessions: sessionmaker[Session], graph: tuple[Graph, GraphVersion]
) -> None:
    with sessions() as s:
        g = repo.get_graph(s, graph_id=graph[0].id)
        assert g.created_at.tzinfo is UTC
        assert repo.get_version(s, graph_id=g.id, number=1).created_at.tzinfo is UTC


def test_migration_from_0001_keeps_data(db_url: str) -> None:
    """A database made at 0001 with data upgrades to head with every row intact."""
    upgrade_to(db_url, "0001")
    assert current_revision(db_url) == "0001"
    engine = make_engine(db_url)
    assert "run_events" not in inspect(engine).get_table_names()
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO graphs (id, name, description, latest_version, created_at, updated_at)"
                " VALUES ('g1', 'Old graph', 'kept', 2, '2024-05-01 10:00:00',"
                " '2024-05-02 10:00:00')"
            )
        )
        for number in (1, 2):
            conn.execute(
                text(
                    "INSERT INTO graph_versions (id, graph_id, number, document, message,"
                    " created_at) VALUES (:id, 'g1', :n, :doc, :msg, '2024-05-01 10:00:00')"
                ),
                {"id": f"v{number}", "n": number, "doc": f'{{"n": {number}}}', "msg": f"m{number}"},
            )
        conn.execute(
            text(
                "INSERT INTO runs (id, graph_id, graph_version_id, graph_version_number, document,"
                " inputs, status, created_at) VALUES ('r1', 'g1', 'v2', 2, '{\"n\": 2}',"
                " '{\"q\": \"hi\"}', 'succeeded', '2024-05-03 10:00:00')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO node_results (run_id, node_id, type, status, cache_hit, outputs)"
                " VALUES ('r1', 'q', 'io.text_input', 'succeeded', :hit, '{\"text\": \"hi\"}')"
            ),
            {"hit": False},
        )
    upgrade_to_head(engine)
    assert current_revision(engine) == head_revision()
    tables = set(inspect(engine).get_table_names())
    assert {"run_events", "shares", "graphs", "graph_versions", "runs", "node_results"} <= tables

    sessions = make_session_factory(engine)
    with sessions() as s, s.begin():
        graph = repo.get_graph(s, graph_id="g1")
        assert (graph.name, graph.description, graph.latest_version) == ("Old graph", "kept", 2)
        versions = repo.list_versions(s, graph_id="g1")
        assert [(v.number, v.document, v.message) for v in versions] == [
            (2, {"n": 2}, "m2"),
            (1, {"n": 1}, "m1"),
        ]
        run = repo.get_run(s, run_id="r1")
        assert run.inputs == {"q": "hi"} and run.status == "succeeded"
        assert run.created_at.tzinfo is UTC
        assert [(n.node_id, n.outputs) for n in run.node_results] == [("q", {"text": "hi"})]
        # the new tables work with the old rows
        repo.add_run_events(s, run_id="r1", events=[{"type": "run_started", "seq": 1}])
        share = repo.create_share(s, graph_id="g1", mode="view")
        repo.save_version(s, graph_id="g1", document={"n": 3}, based_on=2)
    with sessions() as s:
        assert [e.seq for e in repo.list_run_events(s, run_id="r1")] == [1]
        assert repo.resolve_share(s, token=share.token)[2].number == 3
    engine.dispose()


def test_unmigrated_database_has_no_tables(db_url: str) -> None:
    """Product code never calls create_all: without migrations there is no schema."""
    engine = make_engine(db_url)
    with pytest.raises((OperationalError, ProgrammingError)), make_session_factory(engine)() as s:
        repo.list_graphs(s)
    engine.dispose()


def test_storage_imports_stay_light_and_one_way() -> None:
    """``storage`` imports of ``app`` only the engine's vocabulary (a leaf of enums, below
    storage), never ``nodes`` or anything above it, and Alembic only when migrating."""
    code = (
        "import sys, storage.repo, storage.db, storage.artifacts, storage.models;"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('app', 'nodes', 'alembic', 'torch', 'numpy') "
        "and m not in ('app', 'app.engine', 'app.engine.vocabulary'));"
        "print(bad)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"


def test_migration_to_event_pages_keeps_every_event_in_order(db_url: str) -> None:
    """Events stored a row each (0003) read back the same, in order, from their page (0004),
    and new events go on after them."""
    upgrade_to(db_url, "0003")
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO runs (id, document, inputs, status, created_at) VALUES "
                          "('r1', '{}', '{}', 'succeeded', '2024-05-03 10:00:00')"))
        for seq, type_, node, data in ((2, "node_finished", "a", '{"outputs": {"text": "hi"}}'),
                                       (1, "run_started", None, '{"nodes": 1}'),
                                       (3, "run_finished", None, '{}')):
            conn.execute(text("INSERT INTO run_events (run_id, seq, type, node_id, data, ts) VALUES "
                              "('r1', :seq, :type, :node, :data, :ts)"),
                         {"seq": seq, "type": type_, "node": node, "data": data, "ts": f"2024-05-03 10:00:0{seq}"})
    upgrade_to_head(engine)
    sessions = make_session_factory(engine)
    with sessions() as s, s.begin():
        replay = [e.to_json() for e in repo.list_run_events(s, run_id="r1")]
        assert [(e["seq"], e["type"], e.get("node_id"), e.get("data")) for e in replay] == [
            (1, "run_started", None, {"nodes": 1}),
            (2, "node_finished", "a", {"outputs": {"text": "hi"}}),
            (3, "run_finished", None, None),
        ]
        assert replay[1]["ts"] == pytest.approx(1714730402.0)  # 2024-05-03 10:00:02 UTC
        assert repo.add_run_events(s, run_id="r1", events=[{"type": "note"}]) == 1
        with pytest.raises(ValueError, match="seq"):
            repo.add_run_events(s, run_id="r1", events=[{"type": "again", "seq": 2}])
    with sessions() as s:
        assert [e.seq for e in repo.list_run_events(s, run_id="r1", after_seq=2)] == [3, 4]
    engine.dispose()


_UPGRADE_SCRIPT = """
import sys
from storage.db import upgrade_to_head
print(upgrade_to_head(sys.argv[1]))
"""


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_processes_starting_on_one_new_database_migrate_it_once(db_url: str) -> None:
    """Two replicas (or a server and a CLI command) starting at once on a new PostgreSQL
    database: one migrates it (and would seed it), the other finds it current."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parents[2]), *sys.path])}
    procs = [subprocess.Popen([sys.executable, "-c", _UPGRADE_SCRIPT, db_url], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=env) for _ in range(3)]
    outcomes = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        outcomes.append(out.strip())
    assert sorted(outcomes) == sorted(["None", head_revision(), head_revision()])
    assert current_revision(db_url) == head_revision()


def test_a_bare_postgresql_url_means_psycopg() -> None:
    engine = make_engine("postgresql://someone@127.0.0.1:1/none")
    assert engine.dialect.driver == "psycopg"
    engine.dispose()
