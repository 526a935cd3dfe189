"""Repository functions for runs and artifact rows (a run's per-node results:
``storage.node_results``; its events: ``storage.run_events``).

The caller owns the transaction (``with session.begin(): ...``), as in ``graphs``:
functions flush, never commit; after an exception the caller rolls back.
Runs outlive their graph: deleting a graph never deletes a run, and a run keeps the
document it ran.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Table, bindparam, func, literal_column, or_, select, update
from sqlalchemy import event as sa_event
from sqlalchemy.dialects.sqlite import dialect as sqlite_dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from app.engine.vocabulary import TERMINAL_RUN_STATUSES, FailureCode, NodeStatus, RunStatus
from storage.artifacts import ArtifactRef, check_sha256
from storage.bulk import json_or_null, sqlite_datetime, sqlite_driver
from storage.claims import settling
from storage.errors import InvalidRunState, NotFound
from storage.models import Artifact, Graph, GraphVersion, NodeResult, Run, RunEventPage
from storage.sqltypes import json_text, new_id, utcnow

INTERRUPTED_ERROR: dict[str, Any] = {
    "code": FailureCode.INTERRUPTED,
    "message": "The server stopped before this run finished; run the graph again.",
}
_OPEN_NODE_STATUSES = (NodeStatus.PENDING, NodeStatus.RUNNING)


def create_run(session: Session, *, run_id: str | None = None, **fields: Any) -> Run:
    """Record a new run (``record_run``'s arguments, ``run_id`` made up when not given) and
    return it as a loaded row."""
    run_id = run_id or new_id()
    record_run(session, run_id=run_id, **fields)
    run = session.get(Run, run_id)
    assert run is not None
    return run


def record_run(
    session: Session,
    *,
    run_id: str,
    graph_id: str | None = None,
    graph_version_id: str | None = None,
    document: dict[str, Any],
    inputs: dict[str, Any] | None = None,
    status: RunStatus | str = RunStatus.QUEUED,
    owner_id: str | None = None,
    provenance: dict[str, Any] | None = None,
    claimed_by: str | None = None,
    lease_until: datetime | None = None,
) -> str | None:
    """Record a new run of ``document`` (the graph as it will run), owned by ``owner_id``
    or, when that is not given, by its graph's owner; the owner it was recorded with.

    ``graph_version_id`` ties the run to a saved version (its graph is filled in);
    an unsaved document runs with neither id. ``claimed_by`` names the replica that will
    execute it, its claim good until ``lease_until`` (``storage.leases``). One prebuilt
    insert, not the ORM's unit of work: that took most of a small run's submission.
    """
    status = RunStatus(status)
    number = None
    graph_owner: str | None = None
    driver = sqlite_driver(session)
    if graph_version_id is not None:  # its graph, number and owner in one row, never its document
        found = _one(session, driver, _VERSION_OWNER, graph_version_id)
        if found is None:
            raise NotFound("graph version", graph_version_id)
        if graph_id is not None and graph_id != found[0]:
            raise ValueError(
                f"graph version {graph_version_id!r} belongs to graph {found[0]!r}, "
                f"not {graph_id!r}"
            )
        graph_id, number, graph_owner = found
    elif graph_id is not None:
        row = _one(session, driver, _GRAPH_OWNER, graph_id)
        if row is None:
            raise NotFound("graph", graph_id)
        graph_owner = row[0]
    if owner_id is None and graph_id is not None:  # e.g. a demo's run: its graph's owner keeps it
        owner_id = graph_owner
    now = utcnow()
    started = now if status is RunStatus.RUNNING else None
    try:
        if driver is not None:
            driver.execute(_SQLITE_RECORD, (
                run_id, graph_id, graph_version_id, number, json_text(document), json_text(inputs or {}), status.value,
                sqlite_datetime(now), sqlite_datetime(started), json_or_null(provenance), owner_id, claimed_by,
                sqlite_datetime(lease_until)))
        else:
            session.execute(_INSERT_RUN, {
                "id": run_id, "graph_id": graph_id, "graph_version_id": graph_version_id,
                "graph_version_number": number, "document": document, "inputs": inputs or {}, "status": status.value,
                "created_at": now, "started_at": started, "finished_at": None, "error": None, "outputs": None,
                "provenance": provenance, "owner_id": owner_id, "claimed_by": claimed_by, "lease_until": lease_until,
            })
    except (IntegrityError, sqlite3.IntegrityError):
        raise ValueError(f"run {run_id!r} already exists; pick another run id") from None
    return owner_id


def _one(session: Session, driver: Any, statement: Any, key: str) -> Sequence[Any] | None:
    """The one row a lookup by ``key`` finds (None if none), on SQLite from its own driver."""
    if driver is not None:
        found: Sequence[Any] | None = driver.execute(_SQLITE_SQL[statement], (key,)).fetchone()
        return found
    return session.execute(statement, {"key": key}).one_or_none()


def get_run(session: Session, *, run_id: str, owner_id: str | None = None) -> Run:
    """The run ``run_id`` with its node results loaded (in the order they were first written).
    With ``owner_id``, another user's run counts as missing."""
    run = session.scalars(
        select(Run)
        .where(Run.id == run_id)
        .options(selectinload(Run.node_results))
        .execution_options(populate_existing=True)
    ).one_or_none()
    if run is None or (owner_id is not None and run.owner_id != owner_id):
        raise NotFound("run", run_id)
    return run


def run_outcome(session: Session, *, run_id: str) -> tuple[str, dict[str, Any] | None, dict[str, Any] | None]:
    """A run's status, outputs and error, and nothing else (``NotFound`` if there is no such
    run): what a caller waiting for its end answers with, without its node results."""
    found = session.execute(_OUTCOME, {"run": run_id}).one_or_none()
    if found is None:
        raise NotFound("run", run_id)
    return found.status, found.outputs, found.error


def list_runs(
    session: Session,
    *,
    graph_id: str | None = None,
    status: RunStatus | str | None = None,
    limit: int = 50,
    offset: int = 0,
    owner_id: str | None = None,
) -> tuple[list[Run], int]:
    """One page of runs, newest first, and the total count (node results not loaded);
    with ``owner_id``, only that user's runs."""
    where: list[ColumnElement[bool]] = []
    if owner_id is not None:
        where.append(Run.owner_id == owner_id)
    if graph_id is not None:
        where.append(Run.graph_id == graph_id)
    if status is not None:
        where.append(Run.status == RunStatus(status).value)
    count = session.scalar(select(func.count()).select_from(Run).where(*where)) or 0
    runs = session.scalars(
        select(Run)
        .where(*where)
        .order_by(Run.created_at.desc(), Run.id)
        .limit(limit)
        .offset(offset)
        .execution_options(populate_existing=True)
    ).all()
    return list(runs), count


def mark_run_started(session: Session, *, run_id: str, started_at: datetime | None = None,
                     replica_id: str | None = None) -> None:
    """Move a queued run to running (a run already running stays so); ``InvalidRunState`` if
    it already ended (e.g. cancelled, or settled by another replica once its lease lapsed).
    One compare-and-set update: loading the row first cost a 1-node run more than its node.
    With ``replica_id``, only the replica that claimed the run (or anyone, for an unclaimed
    run) may start it, and the claim becomes that replica's: a run starts once, on one replica."""
    params = {"run": run_id, "at": started_at or utcnow(), "replica": replica_id}
    changed = session.execute(_START if replica_id is None else _START_CLAIMED, params)
    if int(changed.rowcount) == 1:  # type: ignore[attr-defined]
        session.info.setdefault(_KNOWN_RUNS, set()).add(run_id)
        return
    status = _status_of(session, run_id)
    if status != RunStatus.RUNNING.value or replica_id is not None:  # running elsewhere is not ours to run
        raise InvalidRunState(run_id, status, RunStatus.RUNNING.value)


def finish_run(
    session: Session,
    *,
    run_id: str,
    status: RunStatus | str,
    error: dict[str, Any] | None = None,
    outputs: dict[str, Any] | None = None,
    provenance: dict[str, Any] | None = None,
    finished_at: datetime | None = None,
) -> None:
    """Record how a run ended. A run ends once: ending it again raises ``InvalidRunState``
    (one compare-and-set update, so two enders cannot both succeed)."""
    wanted = RunStatus(status)
    if wanted not in TERMINAL_RUN_STATUSES:
        raise ValueError(f"{wanted.value!r} is not a final run status")
    at = finished_at or utcnow()
    if (driver := sqlite_driver(session)) is not None:
        row = (wanted.value, sqlite_datetime(at), json_or_null(error), json_or_null(outputs))
        changed = (driver.execute(_SQLITE_FINISH, (*row, run_id)) if provenance is None else
                   driver.execute(_SQLITE_FINISH_WITH_PROVENANCE, (*row, json_or_null(provenance), run_id)))
    else:
        changed = session.execute(_FINISH if provenance is None else _FINISH_WITH_PROVENANCE, {
            "run": run_id, "status": wanted.value, "at": at, "error": error, "outputs": outputs,
            "provenance": provenance})
    if int(changed.rowcount) == 1:
        session.info.setdefault(_KNOWN_RUNS, set()).add(run_id)
        return
    raise InvalidRunState(run_id, _status_of(session, run_id), wanted.value)


def _status_of(session: Session, run_id: str) -> str:
    status = session.execute(select(_RUNS.c.status).where(_RUNS.c.id == run_id)).scalar()
    if status is None:
        raise NotFound("run", run_id)
    return status


def mark_interrupted(session: Session, *, replica_id: str | None = None, lapsed_at: datetime | None = None,
                     unclaimed: bool = False, spare: str | None = None) -> int:
    """Mark the runs a crash left queued or running as ``interrupted``: with no argument,
    every one (a studio alone on its database, at start-up); otherwise those claimed by
    ``replica_id`` (a replica starting again under its id: what it held died with it),
    those whose lease lapsed before ``lapsed_at`` (their replica stopped renewing it), and,
    with ``unclaimed``, those no replica claims (written before leases existed); never those
    of ``spare`` (the replica asking, whose runs are alive whatever their lease says).

    Their unfinished node results become ``interrupted`` too. Returns how many runs changed.
    """
    now = utcnow()
    chosen = settling(Run, replica_id=replica_id, lapsed_at=lapsed_at, unclaimed=unclaimed, spare=spare)
    open_runs = select(Run.id).where(*chosen)
    session.execute(
        update(NodeResult)
        .where(NodeResult.run_id.in_(open_runs), NodeResult.status.in_(_OPEN_NODE_STATUSES))
        .values(status=NodeStatus.INTERRUPTED)
        .execution_options(synchronize_session=False)
    )
    changed = session.execute(
        update(Run)
        .where(*chosen)
        .values(status=RunStatus.INTERRUPTED.value, finished_at=now, error=INTERRUPTED_ERROR)
        .execution_options(synchronize_session=False)
    )
    session.flush()
    return int(changed.rowcount)  # type: ignore[attr-defined]


def record_artifact(session: Session, *, ref: ArtifactRef) -> Artifact:
    """Add the row of an artifact already in the store; recording it twice is harmless.

    Refuses a reference whose file is missing, so no row ever names a file not on disk.
    """
    sha256 = check_sha256(ref.sha256)
    if not ref.path.is_file():
        raise ValueError(f"artifact file {ref.path} is missing; store the file before its row")
    values = {"sha256": sha256, "mime": ref.mime, "size": ref.size, "created_at": utcnow()}
    # INSERT .. ON CONFLICT DO NOTHING: two writers recording one artifact both succeed.
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        session.execute(sqlite_insert(Artifact).values(**values).on_conflict_do_nothing())
    elif dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        session.execute(postgresql_insert(Artifact).values(**values).on_conflict_do_nothing())
    elif session.get(Artifact, sha256) is None:
        session.add(Artifact(**values))
    session.flush()
    return get_artifact(session, sha256=sha256)


def get_artifact(session: Session, *, sha256: str) -> Artifact:
    """The row of artifact ``sha256`` (its mime type and size)."""
    artifact = session.get(Artifact, check_sha256(sha256))
    if artifact is None:
        raise NotFound("artifact", sha256)
    return artifact


def _table(model: type[NodeResult] | type[RunEventPage] | type[Run]) -> Table:
    """A model's table, for Core inserts (SQLAlchemy types ``__table__`` as any FROM clause)."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


_RUNS = _table(Run)
"""Runs' start and end are Core updates of the table: the ORM's bulk update (which looks for
the row among the session's objects) cost a no-change re-run more than its twelve nodes."""
_TERMINAL = [s.value for s in TERMINAL_RUN_STATUSES]
_INSERT_RUN = _RUNS.insert()
_VERSION_OWNER = (select(GraphVersion.graph_id, GraphVersion.number, Graph.owner_id)
                  .join(Graph, Graph.id == GraphVersion.graph_id).where(GraphVersion.id == bindparam("key")))
_GRAPH_OWNER = select(Graph.owner_id).where(Graph.id == bindparam("key"))

# The same statements for SQLite's own driver (``storage.bulk.sqlite_driver``), its values
# converted as SQLAlchemy's column types write them (``tests/storage/test_storage_runs.py``
# pins that both ways store the same row).
_SQLITE_SQL = {statement: str(statement.compile(dialect=sqlite_dialect())) for statement in (_VERSION_OWNER, _GRAPH_OWNER)}
_SQLITE_RECORD = ("INSERT INTO runs (id, graph_id, graph_version_id, graph_version_number, document, inputs, status, "
                  "created_at, started_at, provenance, owner_id, claimed_by, lease_until, cancel_requested) "
                  "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)")
_SQLITE_FINISH = (f"UPDATE runs SET status = ?, finished_at = ?, error = ?, outputs = ? "
                  f"WHERE id = ? AND status NOT IN ({', '.join(repr(s) for s in _TERMINAL)})")
_SQLITE_FINISH_WITH_PROVENANCE = _SQLITE_FINISH.replace("outputs = ? ", "outputs = ?, provenance = ? ")

# The run path's compare-and-set updates, built once (building them took longer than running
# them, on a run of a few nodes): the run's id as ``run``, the time as ``at``.
_START = (_RUNS.update().where(_RUNS.c.id == bindparam("run"), _RUNS.c.status == RunStatus.QUEUED.value)
          .values(status=RunStatus.RUNNING.value, started_at=bindparam("at")))
_START_CLAIMED = (_RUNS.update().where(_RUNS.c.id == bindparam("run"), _RUNS.c.status == RunStatus.QUEUED.value,
                                        or_(_RUNS.c.claimed_by == bindparam("replica"), _RUNS.c.claimed_by.is_(None)))
                  .values(status=RunStatus.RUNNING.value, started_at=bindparam("at"), claimed_by=bindparam("replica")))
# the final statuses written into the statement: a list of values is a parameter SQLAlchemy
# expands on every execution (half the cost of the update itself)
_ENDING = _RUNS.update().where(_RUNS.c.id == bindparam("run"),
                               _RUNS.c.status.not_in([literal_column(f"'{s}'") for s in _TERMINAL]))
_FINISH = _ENDING.values(status=bindparam("status"), finished_at=bindparam("at"), error=bindparam("error"),
                         outputs=bindparam("outputs"))
_FINISH_WITH_PROVENANCE = _FINISH.values(provenance=bindparam("provenance"))
_OUTCOME = select(_RUNS.c.status, _RUNS.c.outputs, _RUNS.c.error).where(_RUNS.c.id == bindparam("run"))

_KNOWN_RUNS = "genaisys.known_runs"
"""``session.info`` key: the runs this session has seen exist (runs are never deleted but with
their whole database), so the writes of one batch check their run once, not each."""


@sa_event.listens_for(Session, "after_soft_rollback")
def _forget_known_runs(session: Session, previous_transaction: Any) -> None:
    session.info.pop(_KNOWN_RUNS, None)  # a run seen inside a rolled-back transaction may be gone


def _require_run(session: Session, run_id: str) -> None:
    """Raise NotFound unless the run exists. Reads only its id: loading the row would decode
    its document and inputs, once per node result, which made a 1,000-node run quadratic."""
    known = session.info.setdefault(_KNOWN_RUNS, set())
    if run_id in known:
        return
    if session.execute(select(_RUNS.c.id).where(_RUNS.c.id == run_id)).first() is None:
        raise NotFound("run", run_id)
    known.add(run_id)
