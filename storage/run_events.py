"""Repository functions for a run's events, stored a page (one row) per written batch.

The caller owns the transaction, as for every repository function.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from storage.bulk import insert_rows, sqlite_driver
from storage.models import RunEvent, RunEventPage
from storage.runs import _require_run, _table
from storage.sqltypes import as_datetime

_EVENT_FIELDS = frozenset({"type", "run_id", "seq", "ts", "node_id", "data"})

_PAGES = _table(RunEventPage).c
_OVERLAPPING = (select(_PAGES.id)  # a Core query built once: the ORM's took a no-change re-run's 2%
                .where(_PAGES.run_id == bindparam("run"), _PAGES.first_seq <= bindparam("last"),
                       _PAGES.last_seq >= bindparam("first")).limit(1))

_SQLITE_OVERLAPPING = "SELECT id FROM run_events WHERE run_id = ? AND first_seq <= ? AND last_seq >= ? LIMIT 1"


def _overlaps(session: Session, run_id: str, first: int, last: int) -> bool:
    """Whether the run has a stored event numbered in ``first``..``last`` (on SQLite, asked of
    its own driver: once a batch, on the run path)."""
    if (driver := sqlite_driver(session)) is not None:
        return driver.execute(_SQLITE_OVERLAPPING, (run_id, last, first)).fetchone() is not None
    return session.execute(_OVERLAPPING, {"run": run_id, "first": first, "last": last}).first() is not None


def add_run_events(
    session: Session, *, run_id: str, events: Sequence[Mapping[str, Any]]
) -> int:
    """Store events in the executor's shape (``type``, ``seq``, ``ts``, ``node_id``, ``data``),
    as one page (one row).

    ``seq`` is kept when given (the executor numbers events), else the next free numbers
    are taken; a number the run already has is refused (``ValueError``). ``ts`` may be a Unix
    time, an ISO string or a datetime (default: now). Keys beyond those fields are kept in
    ``data``, so nothing an event carried is dropped.
    """
    _require_run(session, run_id)
    if not events:
        return 0
    page = _page(session, run_id, events)
    seqs = [e["seq"] for e in page]
    first, last = min(seqs), max(seqs)
    if len(set(seqs)) < len(seqs) or _overlaps(session, run_id, first, last):
        raise ValueError(f"run {run_id!r} already has an event numbered in {seqs}; seq must be unique")
    if any(a > b for a, b in zip(seqs, seqs[1:], strict=False)):
        page.sort(key=lambda e: e["seq"])
    insert_rows(session, _table(RunEventPage), [{"run_id": run_id, "first_seq": first, "last_seq": last, "events": page}])
    return len(page)


def list_run_events(
    session: Session, *, run_id: str, after_seq: int = 0, limit: int | None = None
) -> list[RunEvent]:
    """Events of a run with ``seq > after_seq``, in order: a late watcher's catch-up."""
    _require_run(session, run_id)
    pages = session.execute(
        select(RunEventPage.events)
        .where(RunEventPage.run_id == run_id, RunEventPage.last_seq > after_seq)
        .order_by(RunEventPage.first_seq)
    ).scalars()
    out: list[RunEvent] = []
    for page in pages:
        for e in page or ():
            if e["seq"] > after_seq:
                out.append(RunEvent(run_id=run_id, seq=e["seq"], type=e["type"], ts=as_datetime(e["ts"]),
                                    node_id=e.get("node_id"), data=e.get("data") or {}))
        if limit is not None and len(out) >= limit:
            break
    out.sort(key=lambda e: e.seq)  # pages may interleave when numbers were given out of order
    return out if limit is None else out[:limit]


def _page(session: Session, run_id: str, events: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The events in their stored shape: numbered, ``ts`` a Unix time, stray keys in ``data``;
    ``ValueError`` for an event of another run or without a type."""
    next_seq: int | None = None
    page = []
    for event in events:
        if event.get("run_id") not in (None, run_id):
            raise ValueError(f"event of run {event['run_id']!r} given for run {run_id!r}")
        if not event.get("type"):
            raise ValueError(f"event without a type: {dict(event)!r}")
        seq, ts = event.get("seq"), event.get("ts")
        if type(seq) is int and type(ts) is float and event.keys() <= _EVENT_FIELDS:
            # the executor's own shape (``Event.to_json``): stored as it is, less the run id
            # (and a node id or data it gives as None or empty, which ``to_json`` leaves out)
            kept = dict(event)
            kept.pop("run_id", None)
            if "node_id" in kept and kept["node_id"] is None:
                del kept["node_id"]
            if "data" in kept and not kept["data"]:
                del kept["data"]
            page.append(kept)
            next_seq = max(next_seq or 0, seq + 1)
            continue
        if seq is None:
            if next_seq is None:
                last = session.scalar(select(func.max(RunEventPage.last_seq)).where(RunEventPage.run_id == run_id))
                next_seq = (last or 0) + 1
            seq = next_seq
        next_seq = max(next_seq or 0, int(seq) + 1)
        data = event.get("data")
        extra = [k for k in event if k not in _EVENT_FIELDS]
        if extra:
            data = {**(data or {}), **{k: event[k] for k in extra}}
        stored: dict[str, Any] = {"type": str(event["type"]), "seq": int(seq),
                                  "ts": time.time() if ts is None else _unix(ts)}
        if event.get("node_id") is not None:
            stored["node_id"] = event["node_id"]
        if data:
            stored["data"] = dict(data)
        page.append(stored)
    return page


def _unix(ts: Any) -> float:
    return float(ts) if isinstance(ts, int | float) and not isinstance(ts, bool) else as_datetime(ts).timestamp()
