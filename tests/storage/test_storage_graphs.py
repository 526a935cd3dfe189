"""Graphs and versions: CRUD, numbering, conflicts, restore, soft delete."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, event, text
from sqlalchemy.orm import Session, sessionmaker
from storage_helpers import document

from storage import repo
from storage.db import make_engine, make_session_factory
from storage.errors import NotFound, UnstorableText, VersionConflict
from storage.models import Graph, GraphVersion


def test_create_and_read(sessions: sessionmaker[Session]) -> None:
    with sessions() as s, s.begin():
        graph, version = repo.create_graph(
            s, name="Notes", description="about", document=document("a"), message="first"
        )
    assert len(graph.id) == 32 and graph.latest_version == 1
    assert (version.number, version.message, version.document) == (1, "first", document("a"))
    with sessions() as s:
        again = repo.get_graph(s, graph_id=graph.id)
        assert (again.name, again.description, again.deleted_at) == ("Notes", "about", None)
        assert repo.get_latest_version(s, graph_id=graph.id).document == document("a")


def test_unknown_ids_raise_not_found(session: Session) -> None:
    with pytest.raises(NotFound) as info:
        repo.get_graph(session, graph_id="nope")
    assert (info.value.kind, info.value.id) == ("graph", "nope")
    with pytest.raises(NotFound):
        repo.get_version(session, graph_id="nope", number=1)
    with pytest.raises(NotFound):
        repo.save_version(session, graph_id="nope", document={}, based_on=1)


def test_versions_are_numbered_and_kept(
    sessions: sessionmaker[Session], graph: tuple[Graph, GraphVersion]
) -> None:
    graph_id = graph[0].id
    for n in range(1, 4):
        with sessions() as s, s.begin():
            v = repo.save_version(
                s, graph_id=graph_id, document=document(f"v{n + 1}"), based_on=n, message=f"m{n}"
            )
            assert v.number == n + 1
    with sessions() as s:
        versions = repo.list_versions(s, graph_id=graph_id)
        assert [v.number for v in versions] == [4, 3, 2, 1]
        assert [v.document for v in versions][::-1] == [document(f"v{n}") for n in range(1, 5)]
        assert repo.get_graph(s, graph_id=graph_id).latest_version == 4


def test_conflict_carries_both_numbers_and_loses_nothing(
    sessions: sessionmaker[Session], graph: tuple[Graph, GraphVersion]
) -> None:
    graph_id = graph[0].id
    with sessions() as s, s.begin():
        repo.save_version(s, graph_id=graph_id, document=document("alice"), based_on=1)
    rejected = document("bob")
    with pytest.raises(VersionConflict) as info, sessions() as s, s.begin():
        repo.save_version(s, graph_id=graph_id, document=rejected, based_on=1)
    conflict = info.value
    assert (conflict.current, conflict.based_on, conflict.graph_id) == (2, 1, graph_id)
    assert conflict.document == rejected
    assert "version 2" in str(conflict) and "version 1" in str(conflict)
    with sessions() as s:
        versions = repo.list_versions(s, graph_id=graph_id)
        assert [(v.number, v.document) for v in versions] == [
            (2, document("alice")),
            (1, document("v1")),
        ]


def test_stale_save_is_caught_by_the_compare_and_set(
    engine: Engine, db_url: str, graph: tuple[Graph, GraphVersion]
) -> None:
    """Another process saves between our check and our write: the UPDATE guard catches it."""
    graph_id = graph[0].id
    other = make_engine(db_url)
    other_sessions = make_session_factory(other)
    fired: list[bool] = []

    def save_from_elsewhere(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith("UPDATE graphs") and not fired:
            fired.append(True)
            with other_sessions() as s, s.begin():
                repo.save_version(s, graph_id=graph_id, document=document("other"), based_on=1)

    event.listen(engine, "before_cursor_execute", save_from_elsewhere)
    try:
        with pytest.raises(VersionConflict) as info, make_session_factory(engine)() as s, s.begin():
            repo.save_version(s, graph_id=graph_id, document=document("mine"), based_on=1)
    finally:
        event.remove(engine, "before_cursor_execute", save_from_elsewhere)
    assert fired and (info.value.current, info.value.based_on) == (2, 1)
    with other_sessions() as s:
        assert [v.document for v in repo.list_versions(s, graph_id=graph_id)] == [
            document("other"),
            document("v1"),
        ]
    other.dispose()


def test_existing_version_number_is_never_shadowed(
    engine: Engine, sessions: sessionmaker[Session], graph: tuple[Graph, GraphVersion]
) -> None:
    """A version written behind the guard's back still blocks a save of the same number."""
    graph_id = graph[0].id
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO graph_versions (id, graph_id, number, document, message, created_at)"
                " VALUES ('rogue', :g, 2, '{\"rogue\": true}', '', '2025-01-01 00:00:00')"
            ),
            {"g": graph_id},
        )
    with sessions() as s:
        try:
            repo.save_version(s, graph_id=graph_id, document=document("mine"), based_on=1)
        except VersionConflict as exc:
            assert exc.current == 2
        else:
            pytest.fail("expected VersionConflict")
        s.commit()  # even a careless caller who commits after the error changes nothing
    with sessions() as s:
        assert repo.get_graph(s, graph_id=graph_id).latest_version == 1
        assert repo.get_version(s, graph_id=graph_id, number=2).document == {"rogue": True}


def test_restore_makes_a_new_version(
    sessions: sessionmaker[Session], graph: tuple[Graph, GraphVersion]
) -> None:
    graph_id = graph[0].id
    with sessions() as s, s.begin():
        repo.save_version(s, graph_id=graph_id, document=document("v2"), based_on=1)
        restored = repo.restore_version(s, graph_id=graph_id, number=1)
    assert (restored.number, restored.document) == (3, document("v1"))
    assert restored.message == "Restored version 1"
    with sessions() as s, s.begin():
        custom = repo.restore_version(s, graph_id=graph_id, number=2, message="back to 2")
        assert (custom.number, custom.message) == (4, "back to 2")
        assert repo.get_graph(s, graph_id=graph_id).latest_version == 4
    with pytest.raises(NotFound), sessions() as s:
        repo.restore_version(s, graph_id=graph_id, number=99)


def test_update_meta_does_not_make_a_version(
    sessions: sessionmaker[Session], graph: tuple[Graph, GraphVersion]
) -> None:
    graph_id = graph[0].id
    with sessions() as s, s.begin():
        updated = repo.update_graph_meta(s, graph_id=graph_id, name="Renamed")
        assert (updated.name, updated.description) == ("Renamed", "d")
        assert updated.updated_at >= graph[0].updated_at
    with sessions() as s:
        assert repo.get_graph(s, graph_id=graph_id).name == "Renamed"
        assert len(repo.list_versions(s, graph_id=graph_id)) == 1


def test_soft_delete_and_undelete(
    sessions: sessionmaker[Session], graph: tuple[Graph, GraphVersion]
) -> None:
    graph_id = graph[0].id
    with sessions() as s, s.begin():
        repo.soft_delete_graph(s, graph_id=graph_id)
    with sessions() as s:
        with pytest.raises(NotFound, match="undelete"):
            repo.get_graph(s, graph_id=graph_id)
        assert repo.list_graphs(s) == ([], 0)
        assert repo.list_graphs(s, include_deleted=True)[1] == 1
        assert repo.get_graph(s, graph_id=graph_id, include_deleted=True).is_deleted
        assert len(repo.list_versions(s, graph_id=graph_id)) == 1
    with pytest.raises(NotFound), sessions() as s, s.begin():
        repo.save_version(s, graph_id=graph_id, document=document("x"), based_on=1)
    with sessions() as s, s.begin():
        assert not repo.undelete_graph(s, graph_id=graph_id).is_deleted
    with sessions() as s:
        assert repo.list_graphs(s)[1] == 1


def test_list_graphs_pages_and_searches(sessions: sessionmaker[Session]) -> None:
    with sessions() as s, s.begin():
        for i in range(5):
            repo.create_graph(s, name=f"Graph {i}", description="", document=document(str(i)))
        repo.create_graph(s, name="100% fun_stuff", description="", document=document("x"))
        repo.create_graph(s, name="Other", description="about Fun", document=document("y"))
    with sessions() as s:
        items, count = repo.list_graphs(s, limit=2, offset=0)
        assert count == 7 and len(items) == 2
        assert items[0].name == "Other"  # most recently changed first
        assert len(repo.list_graphs(s, limit=10, offset=6)[0]) == 1
        assert {g.name for g in repo.list_graphs(s, search="fun")[0]} == {
            "100% fun_stuff",
            "Other",
        }
        assert [g.name for g in repo.list_graphs(s, search="0%")[0]] == ["100% fun_stuff"]
        assert repo.list_graphs(s, search="_")[1] == 1  # literal, not a wildcard


def test_texts_no_database_can_store_are_refused_before_any_write(
    sessions: sessionmaker[Session], graph: tuple[Graph, GraphVersion]
) -> None:
    """A NUL character, or a name longer than its column, fails alike on SQLite and PostgreSQL."""
    graph_id = graph[0].id
    refusals = (
        lambda s: repo.create_graph(s, name="a\x00b", document=document("x")),
        lambda s: repo.create_graph(s, name="N" * 201, document=document("x")),
        lambda s: repo.create_graph(s, name="ok", description="\x00", document=document("x")),
        lambda s: repo.save_version(s, graph_id=graph_id, document=document("x"), based_on=1, message="\x00"),
        lambda s: repo.update_graph_meta(s, graph_id=graph_id, name="N" * 201),
    )
    for refuse in refusals:
        with pytest.raises(UnstorableText), sessions() as s, s.begin():
            refuse(s)
    with sessions() as s:
        assert repo.list_graphs(s)[1] == 1
        assert [v.number for v in repo.list_versions(s, graph_id=graph_id)] == [1]
        repo.create_graph(s, name="N" * 200, description="é" * 5000, document=document("x"))


def test_the_version_a_run_reads_is_the_latest_or_the_one_asked_and_never_a_hidden_graphs(
    sessions: sessionmaker[Session],
) -> None:
    """``version_to_run`` (one query; on SQLite, of its own driver) answers what ``get_graph``
    and ``get_version`` would, and refuses as they do."""
    with sessions() as s, s.begin():
        graph, first = repo.create_graph(s, name="Notes", description="", document=document("v1"))
        second = repo.save_version(s, graph_id=graph.id, document=document("v2"), based_on=1, message="")
        gid = graph.id
    with sessions() as s:
        assert repo.version_to_run(s, graph_id=gid) == (second.id, document("v2"))
        assert repo.version_to_run(s, graph_id=gid, number=1) == (first.id, document("v1"))
        with pytest.raises(NotFound, match="graph version"):
            repo.version_to_run(s, graph_id=gid, number=3)
        with pytest.raises(NotFound, match="graph"):
            repo.version_to_run(s, graph_id=gid, owner_id="someone-else")
        with pytest.raises(NotFound, match="graph"):
            repo.version_to_run(s, graph_id="no-such-graph")
    with sessions() as s, s.begin():
        repo.soft_delete_graph(s, graph_id=gid)
    with sessions() as s, pytest.raises(NotFound, match="deleted"):
        repo.version_to_run(s, graph_id=gid)
