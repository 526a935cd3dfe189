"""Evaluations stored per graph version: lifecycle, progress, listing, owners, crash recovery."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker
from storage_helpers import document

from storage import repo
from storage.errors import InvalidRunState, NotFound
from storage.models import Graph, GraphVersion

CHECKS = [{"name": "answer contains", "output": "answer", "kind": "contains_any", "column": "want"}]


def _eval(sessions: sessionmaker[Session], graph_id: str, version: int = 1, **kw: object) -> str:
    with sessions() as s, s.begin():
        return repo.create_evaluation(s, graph_id=graph_id, version=version, checks=CHECKS, cases_count=2, **kw).id  # type: ignore[arg-type]


def test_an_evaluation_records_its_cases_as_they_finish(
    sessions: sessionmaker[Session], graph: tuple[Graph, GraphVersion]
) -> None:
    eval_id = _eval(sessions, graph[0].id)
    with sessions() as s, s.begin():
        row = repo.get_evaluation(s, evaluation_id=eval_id)
        assert (row.status, row.version, row.cases_count, row.done_count, row.results) == ("queued", 1, 2, 0, [])
        repo.mark_evaluation_started(s, evaluation_id=eval_id)
        summary = {"answer contains": {"passed": 1, "failed": 0}}
        repo.record_case(s, evaluation_id=eval_id, result={"id": "1", "status": "passed"}, passed=True, summary=summary)
    with sessions() as s, s.begin():
        row = repo.get_evaluation(s, evaluation_id=eval_id)
        assert (row.status, row.done_count, row.passed_count) == ("running", 1, 1)
        repo.record_case(s, evaluation_id=eval_id, result={"id": "2", "status": "failed"}, passed=False, summary={"x": 1})
        repo.finish_evaluation(s, evaluation_id=eval_id, status="succeeded")
    with sessions() as s, s.begin():
        row = repo.get_evaluation(s, evaluation_id=eval_id)
        assert (row.status, row.done_count, row.passed_count, row.summary) == ("succeeded", 2, 1, {"x": 1})
        assert [r["id"] for r in row.results] == ["1", "2"] and row.checks == CHECKS
        assert row.duration_s is not None and row.duration_s >= 0
        with pytest.raises(InvalidRunState):
            repo.finish_evaluation(s, evaluation_id=eval_id, status="failed")
        with pytest.raises(ValueError, match="an evaluation ends"):
            repo.finish_evaluation(s, evaluation_id=eval_id, status="running")


def test_evaluations_are_listed_per_version_newest_first(
    sessions: sessionmaker[Session], graph: tuple[Graph, GraphVersion]
) -> None:
    with sessions() as s, s.begin():
        repo.save_version(s, graph_id=graph[0].id, document=document("v2"), based_on=1)
    first, second, other = _eval(sessions, graph[0].id, 1), _eval(sessions, graph[0].id, 1), _eval(sessions, graph[0].id, 2)
    with sessions() as s:
        rows, count = repo.list_evaluations(s, graph_id=graph[0].id)
        assert count == 3 and [r.id for r in rows] == [other, second, first]
        rows, count = repo.list_evaluations(s, graph_id=graph[0].id, version=1, limit=1)
        assert count == 2 and [r.id for r in rows] == [second]
    with pytest.raises(NotFound), sessions() as s, s.begin():
        repo.create_evaluation(s, graph_id=graph[0].id, version=9, checks=CHECKS, cases_count=1)


def test_another_users_evaluation_counts_as_missing(
    sessions: sessionmaker[Session], graph: tuple[Graph, GraphVersion]
) -> None:
    with sessions() as s, s.begin():
        alice, _ = repo.create_user(s, name="alice")
        bob, _ = repo.create_user(s, name="bob")
        alice_id, bob_id = alice.id, bob.id
    eval_id = _eval(sessions, graph[0].id, owner_id=alice_id)
    with sessions() as s:
        assert repo.get_evaluation(s, evaluation_id=eval_id, owner_id=alice_id).owner_id == alice_id
        with pytest.raises(NotFound):
            repo.get_evaluation(s, evaluation_id=eval_id, owner_id=bob_id)
        assert repo.list_evaluations(s, graph_id=graph[0].id, owner_id=bob_id) == ([], 0)


def test_a_restart_marks_open_evaluations_interrupted(
    sessions: sessionmaker[Session], graph: tuple[Graph, GraphVersion]
) -> None:
    queued, running, done = (_eval(sessions, graph[0].id) for _ in range(3))
    with sessions() as s, s.begin():
        repo.mark_evaluation_started(s, evaluation_id=running)
        repo.finish_evaluation(s, evaluation_id=done, status="succeeded")
    with sessions() as s, s.begin():
        assert repo.mark_evaluations_interrupted(s) == 2
    with sessions() as s:
        statuses = [repo.get_evaluation(s, evaluation_id=i).status for i in (queued, running, done)]
        assert statuses == ["interrupted", "interrupted", "succeeded"]
        assert repo.get_evaluation(s, evaluation_id=queued).error["code"] == "interrupted"  # type: ignore[index]
