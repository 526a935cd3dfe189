"""Repository functions for run leases: the replica that holds a queued or running run renews
its claim; a claim not renewed lapses, and any replica then settles the run (``interrupted``).

Times are the database's clock (``db_now``), never a replica's: replicas on machines whose
clocks disagree still agree on when a lease lapsed. The caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from storage.claims import OPEN_STATUSES
from storage.evaluations import mark_evaluations_interrupted
from storage.models import Evaluation, Run
from storage.runs import _status_of, mark_interrupted
from storage.sqltypes import utcnow


def db_now(session: Session) -> datetime:
    """The database server's time (aware UTC); on SQLite, which lives in this machine, ours."""
    if session.get_bind().dialect.name == "postgresql":
        now = session.scalar(select(func.statement_timestamp()))
        assert isinstance(now, datetime)
        return now.astimezone(utcnow().tzinfo)
    return utcnow()


def lease_until(session: Session, lease_s: float) -> datetime:
    """When a claim made or renewed now lapses."""
    return db_now(session) + timedelta(seconds=lease_s)


def renew_leases(session: Session, *, replica_id: str, lease_s: float) -> int:
    """Extend every claim ``replica_id`` holds on a queued or running run or evaluation; how many."""
    until, changed = lease_until(session, lease_s), 0
    for table in (Run, Evaluation):
        result = session.execute(
            update(table).where(table.claimed_by == replica_id, table.status.in_(OPEN_STATUSES))
            .values(lease_until=until).execution_options(synchronize_session=False)
        )
        changed += int(result.rowcount)  # type: ignore[attr-defined]
    return changed


def settle_lapsed(session: Session, *, spare: str | None = None) -> int:
    """Mark ``interrupted`` every open run and evaluation whose lease lapsed (its replica died
    or lost the database for longer than a lease), but those of ``spare`` (the replica asking:
    its own are alive, even when its heartbeat was late); how many."""
    now = db_now(session)
    return (mark_interrupted(session, lapsed_at=now, spare=spare)
            + mark_evaluations_interrupted(session, lapsed_at=now, spare=spare))


def run_claims(session: Session, *, run_ids: Collection[str]) -> dict[str, tuple[str, bool]]:
    """Each run's status and whether a cancel was asked for it (through any replica)."""
    if not run_ids:
        return {}
    rows = session.execute(select(Run.id, Run.status, Run.cancel_requested).where(Run.id.in_(list(run_ids))))
    return {r.id: (r.status, bool(r.cancel_requested)) for r in rows}


def get_run_status(session: Session, *, run_id: str) -> str:
    """A run's status alone (``NotFound`` if there is no such run): what a watcher polls."""
    return _status_of(session, run_id)


def request_cancel(session: Session, *, run_id: str) -> bool:
    """Ask the replica that holds a queued or running run to stop it; False if the run has ended."""
    changed = session.execute(
        update(Run).where(Run.id == run_id, Run.status.in_(OPEN_STATUSES)).values(cancel_requested=True)
        .execution_options(synchronize_session=False)
    )
    return int(changed.rowcount) == 1  # type: ignore[attr-defined]
