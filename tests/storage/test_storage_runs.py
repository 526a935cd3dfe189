"""Runs, node results, events, crash recovery, artifact rows and shares."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, sessionmaker
from storage_helpers import document

from storage import repo
from storage.artifacts import ArtifactStore
from storage.errors import InvalidArtifactId, InvalidRunState, NotFound
from storage.models import Graph, GraphVersion


def _run(sessions: sessionmaker[Session], graph: tuple[Graph, GraphVersion], run_id: str) -> str:
    with sessions() as s, s.begin():
        repo.create_run(
            s, run_id=run_id, graph_version_id=graph[1].id, document=graph[1].document,
            inputs={"q": "hello"},
        )  # fmt: skip
    return run_id


def test_run_lifecycle_with_node_results(
    sessions: sessionmaker[Session], graph: tuple[Graph, GraphVersion]
) -> None:
    run_id = _run(sessions, graph, "run-1")
    with sessions() as s:
        run = repo.get_run(s, run_id=run_id)
        assert (run.status, run.graph_id, run.graph_version_number) == ("queued", graph[0].id, 1)
        assert run.inputs == {"q": "hello"} and run.node_results == []
    started = datetime.now(UTC)
    with sessions() as s, s.begin():
        repo.mark_run_started(s, run_id=run_id)
        repo.upsert_node_result(
            s, run_id=run_id, node_id="q", type="io.text_input", status="running",
            started_at=started, cache_key="k1",
        )  # fmt: skip
        repo.upsert_node_result(
            s, run_id=run_id, node_id="emb", type="encoders.text_embedder", status="cached",
            cache_hit=True, reason="inputs unchanged", outputs={"v": [0.1, 0.2]},
        )  # fmt: skip
    with sessions() as s, s.begin():
        done = repo.upsert_node_result(
            s, run_id=run_id, node_id="q", type="io.text_input", status="succeeded",
            duration_s=0.25, outputs={"text": "hello", "image": {"artifact": "a" * 64,
                                                                   "mime": "image/png"}},
        )  # fmt: skip
        assert (done.started_at, done.cache_key) == (started, "k1")  # kept from the first call
        repo.finish_run(
            s, run_id=run_id, status="succeeded", outputs={"out": "hello"},
            provenance={"device": "cpu", "seeds": {"q": 1}},
        )  # fmt: skip
    with sessions() as s:
        run = repo.get_run(s, run_id=run_id)
        assert run.status == "succeeded" and run.outputs == {"out": "hello"}
        assert run.provenance == {"device": "cpu", "seeds": {"q": 1}} and run.error is None
        assert run.duration_s is not None and run.duration_s >= 0
        assert [(n.node_id, n.status, n.cache_hit) for n in run.node_results] == [
            ("q", "succeeded", False),
            ("emb", "cached", True),
        ]
        assert run.node_results[0].outputs["image"]["mime"] == "image/png"  # type: ignore[index]


def test_run_state_guards(
    sessions: sessionmaker[Session], graph: tuple[Graph, GraphVersion]
) -> None:
    run_id = _run(sessions, graph, "run-g")
    with sessions() as s, s.begin():
        repo.finish_run(s, run_id=run_id, status="cancelled", error={"code": "cancelled"})
    with pytest.raises(InvalidRunState), sessions() as s, s.begin():
        repo.mark_run_started(s, run_id=run_id)  # a cancelled run does not come back
    with pytest.raises(InvalidRunState), sessions() as s, s.begin():
        repo.finish_run(s, run_id=run_id, status="succeeded")
    with pytest.raises(ValueError), sessions() as s, s.begin():
        repo.finish_run(s, run_id=run_id, status="running")
    with pytest.raises(ValueError), sessions() as s, s.begin():
        repo.create_run(s, document={}, status="bogus")
    with pytest.raises(ValueError, match="already exists"), sessions() as s, s.begin():
        repo.create_run(s, run_id=run_id, document={})
    with pytest.raises(NotFound), sessions() as s, s.begin():
        repo.create_run(s, graph_version_id="missing", document={})
    with sessions() as s:
        assert repo.get_run(s, run_id=run_id).status == "cancelled"


def test_unsaved_document_runs_without_a_graph(sessions: sessionmaker[Session]) -> None:
    with sessions() as s, s.begin():
        run = repo.create_run(s, document=document("adhoc"), status="running")
    assert run.graph_id is None and run.started_at is not None and len(run.id) == 32


def test_soft_delete_keeps_runs(
    sessions: sessionmaker[Session], graph: tuple[Graph, GraphVersion]
) -> None:
    run_id = _run(sessions, graph, "run-d")
    with sessions() as s, s.begin():
        repo.soft_delete_graph(s, graph_id=graph[0].id)
    with sessions() as s:
        runs, count = repo.list_runs(s, graph_id=graph[0].id)
        assert count == 1 and runs[0].id == run_id
        assert repo.get_run(s, run_id=run_id).document == document("v1")


def test_list_runs_newest_first(
    sessions: sessionmaker[Session], graph: tuple[Graph, GraphVersion]
) -> None:
    for i in range(3):
        _run(sessions, graph, f"r{i}")
    with sessions() as s, s.begin():
        repo.create_run(s, run_id="other", document={})
        repo.finish_run(s, run_id="r1", status="failed", error={"code": "boom"})
    with sessions() as s:
        assert [r.id for r in repo.list_runs(s, graph_id=graph[0].id)[0]] == ["r2", "r1", "r0"]
        assert repo.list_runs(s)[1] == 4
        assert [r.id for r in repo.list_runs(s, limit=1, offset=1)[0]] == ["r2"]
        assert [r.id for r in repo.list_runs(s, status="failed")[0]] == ["r1"]


def test_events_round_trip_in_the_executors_shape(
    sessions: sessionmaker[Session], graph: tuple[Graph, GraphVersion]
) -> None:
    run_id = _run(sessions, graph, "run-e")
    now = time.time()
    events = [
        {"type": "run_started", "run_id": run_id, "seq": 1, "ts": now, "data": {"nodes": 2}},
        {"type": "node_started", "run_id": run_id, "seq": 2, "ts": now + 1, "node_id": "q"},
        {"type": "node_progress", "run_id": run_id, "seq": 3, "ts": now + 2, "node_id": "q",
         "data": {"fraction": 0.5, "message": "half"}},
    ]  # fmt: skip
    with sessions() as s, s.begin():
        repo.add_run_events(s, run_id=run_id, events=events[:2])
    with sessions() as s, s.begin():
        repo.add_run_events(s, run_id=run_id, events=events[2:])
        # no seq: the next free number is taken; stray keys are kept in data
        repo.add_run_events(s, run_id=run_id, events=[{"type": "run_finished", "status": "ok"}])
    with sessions() as s:
        replay = [e.to_json() for e in repo.list_run_events(s, run_id=run_id)]
        assert [e["seq"] for e in replay] == [1, 2, 3, 4]
        for stored, sent in zip(replay[:3], events, strict=True):
            assert stored["ts"] == pytest.approx(sent["ts"], abs=1e-5)
            assert {k: v for k, v in stored.items() if k != "ts"} == {
                k: v for k, v in sent.items() if k != "ts"
            }
        assert replay[3]["data"] == {"status": "ok"} and "node_id" not in replay[3]
        assert [e.seq for e in repo.list_run_events(s, run_id=run_id, after_seq=2)] == [3, 4]
        assert repo.list_run_events(s, run_id=run_id, after_seq=2, limit=1)[0].seq == 3
    with pytest.raises(ValueError, match="seq"), sessions() as s, s.begin():
        repo.add_run_events(s, run_id=run_id, events=[{"type": "again", "seq": 2}])
    with pytest.raises(ValueError), sessions() as s, s.begin():
        repo.add_run_events(s, run_id=run_id, events=[{"type": "x", "run_id": "someone-else"}])
    with pytest.raises(NotFound), sessions() as s:
        repo.list_run_events(s, run_id="missing")


def test_mark_interrupted_after_a_crash(
    sessions: sessionmaker[Session], graph: tuple[Graph, GraphVersion]
) -> None:
    for run_id in ("queued", "running", "done"):
        _run(sessions, graph, run_id)
    with sessions() as s, s.begin():
        repo.mark_run_started(s, run_id="running")
        repo.upsert_node_result(s, run_id="running", node_id="a", type="t", status="succeeded")
        repo.upsert_node_result(s, run_id="running", node_id="b", type="t", status="running")
        repo.mark_run_started(s, run_id="done")
        repo.finish_run(s, run_id="done", status="succeeded")
    with sessions() as s, s.begin():
        assert repo.mark_interrupted(s) == 2
    with sessions() as s, s.begin():
        assert repo.mark_interrupted(s) == 0
    with sessions() as s:
        statuses = {r.id: r.status for r in repo.list_runs(s)[0]}
        assert statuses == {"queued": "interrupted", "running": "interrupted", "done": "succeeded"}
        run = repo.get_run(s, run_id="running")
        assert run.finished_at is not None and run.error == repo.INTERRUPTED_ERROR
        assert [(n.node_id, n.status) for n in run.node_results] == [
            ("a", "succeeded"),
            ("b", "interrupted"),
        ]


def test_artifact_rows(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path / "artifacts")
    ref = store.put_bytes(b"\x89PNG fake", "image/png")
    with sessions() as s, s.begin():
        first = repo.record_artifact(s, ref=ref)
    with sessions() as s, s.begin():
        again = repo.record_artifact(s, ref=ref)  # idempotent
    assert (first.sha256, again.mime, again.size) == (ref.sha256, "image/png", 9)
    with sessions() as s:
        assert repo.get_artifact(s, sha256=ref.sha256.upper()).mime == "image/png"
        with pytest.raises(NotFound):
            repo.get_artifact(s, sha256="0" * 64)
        with pytest.raises(InvalidArtifactId):
            repo.get_artifact(s, sha256="../../etc/passwd")
    missing = type(ref)(sha256="1" * 64, mime="x/y", size=1, path=tmp_path / "nope")
    with pytest.raises(ValueError, match="before its row"), sessions() as s, s.begin():
        repo.record_artifact(s, ref=missing)


def test_shares(sessions: sessionmaker[Session], graph: tuple[Graph, GraphVersion]) -> None:
    graph_id = graph[0].id
    with sessions() as s, s.begin():
        latest = repo.create_share(s, graph_id=graph_id, mode="view")
        pinned = repo.create_share(s, graph_id=graph_id, mode="demo", version=1)
        expired = repo.create_share(
            s, graph_id=graph_id, mode="fork", expires_at=datetime.now(UTC) - timedelta(seconds=1)
        )
        repo.save_version(s, graph_id=graph_id, document=document("v2"), based_on=1)
    assert len(latest.token) >= 40 and latest.token != pinned.token
    with sessions() as s:
        assert repo.resolve_share(s, token=latest.token)[2].number == 2
        assert repo.resolve_share(s, token=pinned.token)[2].number == 1
        with pytest.raises(NotFound):
            repo.resolve_share(s, token=expired.token)
        assert len(repo.list_shares(s, graph_id=graph_id)) == 3
    with sessions() as s, s.begin():
        repo.revoke_share(s, token=latest.token)
    with pytest.raises(NotFound), sessions() as s:
        repo.resolve_share(s, token=latest.token)
    with sessions() as s, s.begin():
        repo.soft_delete_graph(s, graph_id=graph_id)
    with pytest.raises(NotFound), sessions() as s:
        repo.resolve_share(s, token=pinned.token)
    with pytest.raises(ValueError), sessions() as s, s.begin():
        repo.create_share(s, graph_id=graph_id, mode="edit")


def test_storing_node_results_never_rereads_the_runs_document(
    sessions: sessionmaker[Session], engine: Engine
) -> None:
    """A node result and its events cost the same whatever the graph's size: storing them
    does not load (and decode) the run's document, which made a 1,000-node run quadratic."""
    big = {"schema": "genaisys.graph/1", "nodes": [{"id": f"n{i}", "type": "t"} for i in range(1000)], "edges": []}
    with sessions() as s, s.begin():
        run_id = repo.create_run(s, document=big, status="running").id
    statements: list[str] = []
    listen = lambda *args: statements.append(args[2])  # noqa: E731  (conn, cursor, statement, ...)
    event.listen(engine, "before_cursor_execute", listen)
    try:
        for i in range(20):
            with sessions() as s, s.begin():
                repo.upsert_node_result(s, run_id=run_id, node_id=f"n{i}", type="t", status="succeeded")
                repo.add_run_events(s, run_id=run_id, events=[{"type": "node_finished", "seq": i + 1, "node_id": f"n{i}"}])
        with sessions() as s:
            assert len(repo.list_run_events(s, run_id=run_id)) == 20
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    assert statements and not [q for q in statements if "runs.document" in q], statements[:3]
    with pytest.raises(NotFound), sessions() as s:
        repo.upsert_node_result(s, run_id="no-such-run", node_id="n", type="t", status="running")


def test_node_results_in_batches_insert_new_nodes_and_update_known_ones(
    sessions: sessionmaker[Session], graph: tuple[Graph, GraphVersion]
) -> None:
    """A batch writes every node's latest entry: new nodes get a row, a node that has one keeps
    what a later entry leaves out, and within a batch the last entry wins."""
    run_id = _run(sessions, graph, "run-batches")
    with sessions() as s, s.begin():
        assert repo.store_node_results(s, run_id=run_id, results=[
            {"node_id": "a", "type": "t", "status": "running", "cache_key": "k1"},
            {"node_id": "b", "type": "t", "status": "succeeded", "outputs": {"text": "b"}},
            {"node_id": "a", "type": "t", "status": "succeeded", "outputs": {"text": "a"}},
        ]) == 2
    with sessions() as s, s.begin():
        assert repo.store_node_results(s, run_id=run_id, results=[
            {"node_id": "b", "status": "failed", "error": {"code": "node_error", "message": "no"}},
            {"node_id": "c", "type": "t", "status": "cancelled"},
        ]) == 2
    with sessions() as s:
        rows = {n.node_id: n for n in repo.get_run(s, run_id=run_id).node_results}
        assert {k: (n.status, n.outputs, n.cache_key) for k, n in rows.items()} == {
            "a": ("succeeded", {"text": "a"}, "k1"),
            "b": ("failed", {"text": "b"}, None),
            "c": ("cancelled", None, None),
        }
        assert rows["b"].error == {"code": "node_error", "message": "no"}


def test_settled_nodes_are_stored_as_the_batch_path_stores_them(
    sessions: sessionmaker[Session], graph: tuple[Graph, GraphVersion]
) -> None:
    """The run path's one-statement insert (``add_settled``) stores what ``store_node_results``
    stores for the same nodes, column for column; a node that already has a row is merged."""
    started = 1_765_000_000.123456
    nodes = [
        repo.Settled("a", "t", "succeeded", "new node", "k" * 64, started, 0.5, {"text": "é\u2028"},
                     None, {"node_version": 2, "output_hashes": {"x": "h"}}),
        repo.Settled("b", "t", "failed", "", None, None, None, None, {"code": "node_error", "message": "no"}, None),
    ]
    fast, batch = _run(sessions, graph, "run-settled"), _run(sessions, graph, "run-batch")
    with sessions() as s, s.begin():
        assert repo.add_settled(s, run_id=fast, nodes=nodes) == 2
        assert repo.store_node_results(s, run_id=batch, results=[n.as_row() for n in nodes]) == 2
    columns = ("type", "status", "reason", "cache_key", "cache_hit", "started_at", "duration_s", "outputs", "error",
               "provenance")
    with sessions() as s:
        stored = {run: {n.node_id: tuple(getattr(n, c) for c in columns) for n in repo.get_run(s, run_id=run).node_results}
                  for run in (fast, batch)}
    assert stored[fast] == stored[batch]
    assert stored[fast]["a"][5] == datetime.fromtimestamp(started, UTC)
    with sessions() as s, s.begin():  # "b" again, now with outputs: merged into its row
        assert repo.add_settled(s, run_id=fast, nodes=[nodes[1]._replace(outputs={"text": "late"})]) == 1
    with sessions() as s:
        rows = {n.node_id: n for n in repo.get_run(s, run_id=fast).node_results}
    assert (rows["b"].outputs, rows["b"].status, len(rows)) == ({"text": "late"}, "failed", 2)


def test_a_runs_outcome_is_its_status_outputs_and_error(
    sessions: sessionmaker[Session], graph: tuple[Graph, GraphVersion]
) -> None:
    """What the graph-as-API route answers with for a run that ended before it looked."""
    ok, failed = _run(sessions, graph, "run-ok"), _run(sessions, graph, "run-failed")
    with sessions() as s, s.begin():
        assert repo.run_outcome(s, run_id=ok) == ("queued", None, None)
        repo.finish_run(s, run_id=ok, status="succeeded", outputs={"answer": {"text": "hi"}})
        repo.finish_run(s, run_id=failed, status="failed", error={"code": "node_failed", "message": "no", "node_id": "a"})
    with sessions() as s:
        assert repo.run_outcome(s, run_id=ok) == ("succeeded", {"answer": {"text": "hi"}}, None)
        assert repo.run_outcome(s, run_id=failed) == ("failed", None, {"code": "node_failed", "message": "no", "node_id": "a"})
        with pytest.raises(NotFound):
            repo.run_outcome(s, run_id="no-such-run")


def test_a_run_recorded_and_ended_by_the_run_path_is_stored_as_sqlalchemy_stores_it(
    sessions: sessionmaker[Session], graph: tuple[Graph, GraphVersion]
) -> None:
    """``record_run`` and ``finish_run`` write through SQLite's own driver (SQLAlchemy's layers
    cost a small run more than its statements): every column of the row, as stored, is what
    SQLAlchemy's column types write for the same values (on PostgreSQL both are SQLAlchemy's)."""
    from sqlalchemy import text

    from storage import runs as run_repo

    lease = datetime(2026, 12, 8, 3, 4, 5, 678901, tzinfo=UTC)
    given = {"graph_id": graph[0].id, "graph_version_id": graph[1].id, "document": {"nodes": [{"id": "é"}]},
             "inputs": {"q": "hello\u2028"}, "status": "running", "owner_id": None, "provenance": {"replay": {"of": "r0"}},
             "claimed_by": "replica-1", "lease_until": lease}
    ended = {"status": "failed", "error": {"code": "node_failed", "message": "no"}, "outputs": {"a": [1, 2.5, None]},
             "provenance": {"python": "3.11", "cache": {"a": {"status": "failed"}}}}
    with sessions() as s, s.begin():
        repo.record_run(s, run_id="by-run-path", **given)
        repo.finish_run(s, run_id="by-run-path", **ended)
        first = repo.get_run(s, run_id="by-run-path")
        s.execute(run_repo._INSERT_RUN, {  # the same run, by SQLAlchemy's own statements
            "id": "by-sqlalchemy", **given, "graph_version_number": 1, "created_at": first.created_at,
            "started_at": first.started_at, "finished_at": None, "error": None, "outputs": None})
        s.execute(run_repo._FINISH_WITH_PROVENANCE, {"run": "by-sqlalchemy", "at": first.finished_at, **ended})
    with sessions() as s:
        stored = {run: dict(s.execute(text("SELECT * FROM runs WHERE id = :id"), {"id": run}).mappings().one())
                  for run in ("by-run-path", "by-sqlalchemy")}
        for columns in stored.values():
            columns.pop("id")
        assert stored["by-run-path"] == stored["by-sqlalchemy"]
        run = repo.get_run(s, run_id="by-run-path")
        assert (run.lease_until, run.inputs, run.outputs, run.graph_version_number) == (lease, given["inputs"], ended["outputs"], 1)
