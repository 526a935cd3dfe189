"""Run leases (storage.leases): a claimed run starts only on its holder, a renewed lease holds,
a lapsed one is settled, and a replica's start settles its own runs and nobody else's."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from storage import repo
from storage.errors import InvalidRunState
from storage.models import Graph, GraphVersion


def _claimed(sessions: sessionmaker[Session], run_id: str, replica: str, lease_s: float) -> None:
    with sessions() as s, s.begin():
        repo.create_run(s, run_id=run_id, document={"nodes": []}, claimed_by=replica,
                        lease_until=repo.lease_until(s, lease_s))


def _statuses(sessions: sessionmaker[Session]) -> dict[str, str]:
    with sessions() as s:
        return {r.id: r.status for r in repo.list_runs(s)[0]}


def test_a_claimed_run_starts_only_on_its_replica(sessions: sessionmaker[Session]) -> None:
    _claimed(sessions, "r", "a", 60)
    with pytest.raises(InvalidRunState), sessions() as s, s.begin():
        repo.mark_run_started(s, run_id="r", replica_id="b")
    with sessions() as s, s.begin():
        repo.mark_run_started(s, run_id="r", replica_id="a")
    with pytest.raises(InvalidRunState), sessions() as s, s.begin():  # once: a second start is refused
        repo.mark_run_started(s, run_id="r", replica_id="a")
    assert _statuses(sessions) == {"r": "running"}


def test_lapsed_leases_are_settled_and_renewed_ones_are_not(sessions: sessionmaker[Session]) -> None:
    _claimed(sessions, "alive", "a", -1)  # lapsed already, until its replica renews it
    _claimed(sessions, "dead", "b", -1)
    _claimed(sessions, "fresh", "c", 60)
    with sessions() as s, s.begin():
        repo.mark_run_started(s, run_id="dead", replica_id="b")
        repo.upsert_node_result(s, run_id="dead", node_id="n", type="t", status="running")
        assert repo.renew_leases(s, replica_id="a", lease_s=60) == 1
    with sessions() as s, s.begin():
        assert repo.settle_lapsed(s) == 1
        assert repo.settle_lapsed(s) == 0
    assert _statuses(sessions) == {"alive": "queued", "dead": "interrupted", "fresh": "queued"}
    with sessions() as s:
        dead = repo.get_run(s, run_id="dead")
        assert dead.error is not None and dead.error["code"] == "interrupted"
        assert [n.status for n in dead.node_results] == ["interrupted"]
        assert dead.lease_until is not None and repo.db_now(s) - dead.lease_until < timedelta(seconds=30)


def test_a_replicas_start_settles_its_own_and_unclaimed_runs_only(sessions: sessionmaker[Session]) -> None:
    _claimed(sessions, "mine", "a", 60)
    _claimed(sessions, "theirs", "b", 60)
    with sessions() as s, s.begin():
        repo.create_run(s, run_id="old", document={"nodes": []})  # from before leases
    with sessions() as s, s.begin():
        assert repo.mark_interrupted(s, replica_id="a", lapsed_at=repo.db_now(s), unclaimed=True) == 2
    assert _statuses(sessions) == {"mine": "interrupted", "theirs": "queued", "old": "interrupted"}


def test_a_cancel_is_asked_of_open_runs_only(sessions: sessionmaker[Session]) -> None:
    _claimed(sessions, "r", "a", 60)
    with sessions() as s, s.begin():
        assert repo.run_claims(s, run_ids=["r"]) == {"r": ("queued", False)}
        assert repo.request_cancel(s, run_id="r")
        assert repo.run_claims(s, run_ids=["r", "missing"]) == {"r": ("queued", True)}
        assert repo.get_run_status(s, run_id="r") == "queued"
        repo.finish_run(s, run_id="r", status="cancelled")
        assert not repo.request_cancel(s, run_id="r")


def test_evaluations_are_leased_like_runs(sessions: sessionmaker[Session], graph: tuple[Graph, GraphVersion]) -> None:
    ids = {}
    with sessions() as s, s.begin():
        for name, replica, lease_s in (("kept", "a", -1), ("lapsed", "b", -1), ("other", "c", 60)):
            ids[name] = repo.create_evaluation(s, graph_id=graph[0].id, version=1, checks=[], cases_count=1,
                                               claimed_by=replica, lease_until=repo.lease_until(s, lease_s)).id
        assert repo.renew_leases(s, replica_id="a", lease_s=60) == 1
    with sessions() as s, s.begin():
        assert repo.settle_lapsed(s) == 1
    with sessions() as s, s.begin():
        assert repo.mark_evaluations_interrupted(s, replica_id="a", lapsed_at=repo.db_now(s)) == 1
    with sessions() as s:
        statuses = {name: repo.get_evaluation(s, evaluation_id=i).status for name, i in ids.items()}
    assert statuses == {"kept": "interrupted", "lapsed": "interrupted", "other": "queued"}


def test_a_replica_never_settles_its_own_runs_as_lapsed(sessions: sessionmaker[Session]) -> None:
    _claimed(sessions, "mine", "a", -1)  # its heartbeat was late: it is alive all the same
    _claimed(sessions, "theirs", "b", -1)
    with sessions() as s, s.begin():
        assert repo.settle_lapsed(s, spare="a") == 1
    assert _statuses(sessions) == {"mine": "queued", "theirs": "interrupted"}
