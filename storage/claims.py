"""Which open runs or evaluations a settling picks (``mark_interrupted`` and
``mark_evaluations_interrupted`` share the rule; ``storage.leases`` has the why)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, or_

from app.engine.vocabulary import RunStatus

OPEN_STATUSES = (RunStatus.QUEUED.value, RunStatus.RUNNING.value)


def settling(model: Any, *, replica_id: str | None, lapsed_at: datetime | None, unclaimed: bool,
             spare: str | None) -> list[ColumnElement[bool]]:
    """The WHERE clauses: open rows; with no choice given, all of them; otherwise those
    claimed by ``replica_id``, or whose lease lapsed before ``lapsed_at``, or (``unclaimed``)
    claimed by none; never those of ``spare``."""
    which: list[ColumnElement[bool]] = []
    if replica_id is not None:
        which.append(model.claimed_by == replica_id)
    if lapsed_at is not None:
        which.append(model.lease_until < lapsed_at)
    if unclaimed:
        which.append(model.claimed_by.is_(None))
    chosen = [model.status.in_(OPEN_STATUSES)] + ([or_(*which)] if which else [])
    if spare is not None:
        chosen.append(or_(model.claimed_by.is_(None), model.claimed_by != spare))
    return chosen
