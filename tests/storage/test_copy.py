"""``storage.copy``: a studio's every row moves from SQLite to PostgreSQL (and back) unchanged,
and the copy goes on working: new rows get fresh ids, saves still detect conflicts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pg_server import PostgresServer
from sqlalchemy import Engine, func, select
from storage_helpers import document

from storage import repo, result_cache
from storage.artifacts import ArtifactStore
from storage.copy import CopyRefused, copy_database
from storage.db import (
    current_revision,
    head_revision,
    make_engine,
    make_session_factory,
    upgrade_to,
    upgrade_to_head,
)
from storage.errors import VersionConflict
from storage.models import Base, NodeResult, RunEventPage


@pytest.fixture
def studio(tmp_path: Path) -> Iterator[Engine]:
    """A SQLite studio with a row in every table."""
    engine = make_engine(f"sqlite:///{tmp_path / 'studio.db'}")
    upgrade_to_head(engine)
    ref = ArtifactStore(tmp_path / "artifacts").put_bytes(b"\x89PNG...", "image/png")
    with make_session_factory(engine)() as s, s.begin():
        user, _token = repo.create_user(s, name="ada")
        graph, _ = repo.create_graph(s, name="Notes ✓", description="d", document=document("v1"), owner_id=user.id)
        repo.save_version(s, graph_id=graph.id, document=document("v2"), based_on=1, message="second")
        repo.create_share(s, graph_id=graph.id, mode="view")
        run = repo.create_run(s, graph_version_id=repo.get_version(s, graph_id=graph.id, number=2).id,
                              document=document("v2"), inputs={"q": "héllo"})
        repo.mark_run_started(s, run_id=run.id)
        repo.store_node_results(s, run_id=run.id, results=[
            {"node_id": "q", "type": "io.text_input", "status": "succeeded", "outputs": {"text": "héllo"}},
            {"node_id": "img", "type": "test.image", "status": "succeeded", "outputs": {"image": ref.reference()}}])
        repo.add_run_events(s, run_id=run.id, events=[{"type": "run_started", "seq": 1, "ts": 1.5},
                                                       {"type": "run_finished", "seq": 2, "ts": 2.5}])
        repo.finish_run(s, run_id=run.id, status="succeeded", outputs={"out": "héllo"})
        repo.record_artifact(s, ref=ref)
        repo.create_evaluation(s, graph_id=graph.id, version=2, checks=[{"output": "out", "kind": "equals"}], cases_count=1)
        result_cache.put_entries(s, entries=[{"key": "k" * 64, "outputs": {"text": "héllo"}, "origin": {"run_id": run.id},
                                              "blobs": [], "nbytes": 20}])
        result_cache.put_scopes(s, scopes={graph.id: {"q": ["io.text_input", 1, "-", [], 1.5]}})
    yield engine
    engine.dispose()


@pytest.fixture
def empty_pg(postgres: PostgresServer) -> Iterator[Engine]:
    url = postgres.create_database()
    engine = make_engine(url)
    yield engine
    engine.dispose()
    postgres.drop_database(url)


def _everything(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    with engine.connect() as c:
        return {t.name: [tuple(r) for r in c.execute(select(t).order_by(*t.primary_key.columns))]
                for t in Base.metadata.sorted_tables}


def test_every_row_moves_from_sqlite_to_postgresql_and_back(studio: Engine, empty_pg: Engine, tmp_path: Path) -> None:
    before = _everything(studio)
    assert all(before.values()), {name: len(rows) for name, rows in before.items()}  # a row in every table
    copied = copy_database(studio, empty_pg)
    assert {c.table: c.rows for c in copied} == {name: len(rows) for name, rows in before.items()}
    assert current_revision(empty_pg) == head_revision()
    assert _everything(empty_pg) == before
    back = make_engine(f"sqlite:///{tmp_path / 'back.db'}")
    copy_database(empty_pg, back)
    assert _everything(back) == before
    back.dispose()


def test_the_copy_goes_on_working(studio: Engine, empty_pg: Engine) -> None:
    copy_database(studio, empty_pg)
    sessions = make_session_factory(empty_pg)
    with sessions() as s, s.begin():
        graph = repo.list_graphs(s)[0][0]
        assert repo.user_for_token(s, token="gsk_not-a-token") is None
        repo.save_version(s, graph_id=graph.id, document=document("v3"), based_on=2)
        with pytest.raises(VersionConflict):
            repo.save_version(s, graph_id=graph.id, document=document("stale"), based_on=2)
    with sessions() as s, s.begin():  # new rows take ids after the copied ones (PostgreSQL sequences)
        run = repo.create_run(s, document=document("v3"))
        repo.store_node_results(s, run_id=run.id, results=[{"node_id": "q", "type": "io.text_input", "status": "succeeded"}])
        repo.add_run_events(s, run_id=run.id, events=[{"type": "run_started"}])
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(NodeResult)) == 3
        assert s.scalar(select(func.count()).select_from(RunEventPage)) == 2
        assert [v.number for v in repo.list_versions(s, graph_id=graph.id)] == [3, 2, 1]


def test_a_target_that_holds_data_is_refused_and_left_alone(studio: Engine, empty_pg: Engine) -> None:
    copy_database(studio, empty_pg)
    before = _everything(empty_pg)
    with pytest.raises(CopyRefused, match="already holds data"):
        copy_database(studio, empty_pg)
    assert _everything(empty_pg) == before


def test_a_source_on_an_older_schema_is_refused(tmp_path: Path, empty_pg: Engine) -> None:
    old = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade_to(old, "0003")
    with pytest.raises(CopyRefused, match="migrated"):
        copy_database(old, empty_pg)
    with pytest.raises(CopyRefused, match="same database"):
        copy_database(old, old)
    old.dispose()
