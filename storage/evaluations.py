"""Repository functions for evaluations: a graph version run over cases, stored per version.

As everywhere in ``storage``: keyword-only after ``session``, the caller owns the transaction
(functions flush, never commit), and with ``owner_id`` another user's row counts as missing.
An evaluation goes queued -> running -> succeeded | failed | cancelled (or interrupted by a
restart); its cases' results are written as they finish, so a reader sees its progress.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import Session, undefer

from app.engine.vocabulary import TERMINAL_RUN_STATUSES, FailureCode, RunStatus
from storage.claims import settling
from storage.errors import InvalidRunState, NotFound
from storage.models import Evaluation, Graph, GraphVersion
from storage.sqltypes import new_id, utcnow

INTERRUPTED_EVAL_ERROR: dict[str, Any] = {
    "code": FailureCode.INTERRUPTED,
    "message": "The server stopped before this evaluation finished; start it again.",
}


def create_evaluation(
    session: Session,
    *,
    graph_id: str,
    version: int,
    checks: Sequence[dict[str, Any]],
    cases_count: int,
    owner_id: str | None = None,
    evaluation_id: str | None = None,
    claimed_by: str | None = None,
    lease_until: datetime | None = None,
) -> Evaluation:
    """Record a queued evaluation of version ``version`` of ``graph_id``, owned by
    ``owner_id`` or, when that is not given, by the graph's owner; held by the replica
    ``claimed_by`` until ``lease_until``, as a run is (``storage.leases``)."""
    exists = session.scalar(select(GraphVersion.id).where(GraphVersion.graph_id == graph_id,
                                                          GraphVersion.number == version))
    if exists is None:
        raise NotFound("graph version", f"{graph_id}@{version}")
    if owner_id is None:
        owner_id = session.scalar(select(Graph.owner_id).where(Graph.id == graph_id))
    row = Evaluation(
        id=evaluation_id or new_id(), graph_id=graph_id, version=version, status=RunStatus.QUEUED.value,
        created_at=utcnow(), cases_count=cases_count, done_count=0, passed_count=0, checks=list(checks),
        summary={}, results=[], owner_id=owner_id, claimed_by=claimed_by, lease_until=lease_until,
    )
    session.add(row)
    session.flush()
    return row


def get_evaluation(session: Session, *, evaluation_id: str, owner_id: str | None = None,
                   with_results: bool = True) -> Evaluation:
    """The evaluation ``evaluation_id`` (its per-case results loaded unless ``with_results``
    is false)."""
    query = select(Evaluation).where(Evaluation.id == evaluation_id).execution_options(populate_existing=True)
    if with_results:
        query = query.options(undefer(Evaluation.results))
    row = session.scalars(query).one_or_none()
    if row is None or (owner_id is not None and row.owner_id != owner_id):
        raise NotFound("evaluation", evaluation_id)
    return row


def list_evaluations(
    session: Session,
    *,
    graph_id: str,
    version: int | None = None,
    owner_id: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Evaluation], int]:
    """One page of a graph's evaluations (of one version with ``version``), newest first,
    without their per-case results, and the total count."""
    where: list[ColumnElement[bool]] = [Evaluation.graph_id == graph_id]
    if version is not None:
        where.append(Evaluation.version == version)
    if owner_id is not None:
        where.append(Evaluation.owner_id == owner_id)
    count = session.scalar(select(func.count()).select_from(Evaluation).where(*where)) or 0
    rows = session.scalars(
        select(Evaluation).where(*where).order_by(Evaluation.created_at.desc(), Evaluation.id.desc())
        .limit(limit).offset(offset)
    ).all()
    return list(rows), int(count)


def mark_evaluation_started(session: Session, *, evaluation_id: str) -> Evaluation:
    row = get_evaluation(session, evaluation_id=evaluation_id, with_results=False)
    if row.status != RunStatus.QUEUED:
        raise InvalidRunState(evaluation_id, row.status, "running")
    row.status, row.started_at = RunStatus.RUNNING.value, utcnow()
    session.flush()
    return row


def record_case(session: Session, *, evaluation_id: str, result: dict[str, Any], passed: bool,
                summary: dict[str, Any]) -> Evaluation:
    """Add one finished case's result and the summary so far."""
    row = get_evaluation(session, evaluation_id=evaluation_id)
    row.results = [*row.results, result]
    row.done_count += 1
    row.passed_count += int(passed)
    row.summary = summary
    session.flush()
    return row


def finish_evaluation(session: Session, *, evaluation_id: str, status: RunStatus | str,
                      summary: dict[str, Any] | None = None, error: dict[str, Any] | None = None) -> Evaluation:
    """End an evaluation; its cases' results are those ``record_case`` wrote."""
    status = RunStatus(status)
    if status not in TERMINAL_RUN_STATUSES:
        raise ValueError(f"an evaluation ends {', '.join(sorted(TERMINAL_RUN_STATUSES))}, not {status}")
    row = get_evaluation(session, evaluation_id=evaluation_id, with_results=False)
    if row.status in TERMINAL_RUN_STATUSES:
        raise InvalidRunState(evaluation_id, row.status, status.value)
    row.status, row.finished_at, row.error = status.value, utcnow(), error
    row.started_at = row.started_at or row.finished_at
    if summary is not None:
        row.summary = summary
    session.flush()
    return row


def mark_evaluations_interrupted(session: Session, *, replica_id: str | None = None,
                                 lapsed_at: datetime | None = None, unclaimed: bool = False,
                                 spare: str | None = None) -> int:
    """Mark the evaluations a crash left queued or running ``interrupted``: every one with no
    argument, otherwise those of ``replica_id``, those whose lease lapsed before ``lapsed_at``
    and, with ``unclaimed``, those no replica claims (as ``storage.runs.mark_interrupted``)."""
    chosen = settling(Evaluation, replica_id=replica_id, lapsed_at=lapsed_at, unclaimed=unclaimed, spare=spare)
    changed = session.execute(
        update(Evaluation)
        .where(*chosen)
        .values(status=RunStatus.INTERRUPTED.value, finished_at=utcnow(), error=INTERRUPTED_EVAL_ERROR)
        .execution_options(synchronize_session=False)
    )
    session.flush()
    return int(changed.rowcount)  # type: ignore[attr-defined]
