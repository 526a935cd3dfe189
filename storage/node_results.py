"""Repository functions for a run's per-node results: one at a time (``upsert_node_result``),
many in a few statements (``store_node_results``), or the run path's batches of settled nodes
in one (``add_settled``). The caller owns the transaction, as in ``storage.runs``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.bulk import insert_rows, json_or_null, sqlite_driver, sqlite_time
from storage.models import NodeResult
from storage.runs import _require_run, _table


def upsert_node_result(
    session: Session,
    *,
    run_id: str,
    node_id: str,
    type: str,
    status: str,
    reason: str | None = None,
    cache_key: str | None = None,
    cache_hit: bool | None = None,
    started_at: datetime | None = None,
    duration_s: float | None = None,
    outputs: dict[str, Any] | None = None,
    error: dict[str, Any] | None = None,
    provenance: dict[str, Any] | None = None,
) -> NodeResult:
    """Create or update the result of ``node_id`` in ``run_id``.

    Meant to be called as the node progresses (started, then finished or failed): on
    update, arguments left ``None`` keep what is stored. Large outputs go in as artifact
    references (``ArtifactRef.reference()``), after the artifact file is stored.
    """
    _require_run(session, run_id)
    fields: dict[str, Any] = {
        "type": type,
        "status": status,
        "reason": reason,
        "cache_key": cache_key,
        "cache_hit": cache_hit,
        "started_at": started_at,
        "duration_s": duration_s,
        "outputs": outputs,
        "error": error,
        "provenance": provenance,
    }
    result = session.scalars(
        select(NodeResult).where(NodeResult.run_id == run_id, NodeResult.node_id == node_id)
    ).one_or_none()
    if result is None:
        result = NodeResult(run_id=run_id, node_id=node_id, cache_hit=bool(cache_hit))
        session.add(result)
    for name, value in fields.items():
        if value is not None:
            setattr(result, name, value)
    session.flush()
    return result


NODE_FIELDS = ("type", "status", "reason", "cache_key", "cache_hit", "started_at", "duration_s", "outputs",
               "error", "provenance")


def store_node_results(session: Session, *, run_id: str, results: Sequence[Mapping[str, Any]]) -> int:
    """Create or update many node results of ``run_id`` in a few statements, as
    ``upsert_node_result`` does one by one (fields left ``None`` keep what is stored; the last
    entry for a node wins). Returns how many were written."""
    if not results:
        return 0
    _require_run(session, run_id)
    session.flush()  # the caller's pending objects go first, outside the savepoint below
    fresh = _fresh_rows(run_id, results)
    if fresh is not None:  # the run path's batches: each node once, every field given
        try:
            with session.begin_nested():
                insert_rows(session, _table(NodeResult), fresh)
            return len(fresh)
        except IntegrityError:  # some have a row already: merged and looked up below
            pass
    latest: dict[str, dict[str, Any]] = {}
    for entry in results:
        fields = {k: v for k in NODE_FIELDS if (v := entry.get(k)) is not None}
        nid = str(entry["node_id"])
        if (merged := latest.get(nid)) is None:
            latest[nid] = fields
        else:
            merged.update(fields)
    try:  # a batch of nodes that have no row yet: one insert, no lookup
        with session.begin_nested():
            insert_rows(session, _table(NodeResult), _new_rows(run_id, latest.items()))
        return len(latest)
    except IntegrityError:  # some have a row (or a partial entry has no row): look them up
        pass
    ids = list(latest)
    existing: dict[str, int] = {}
    for start in range(0, len(ids), 500):  # bound the IN list
        chunk = ids[start:start + 500]
        existing.update(session.execute(
            select(NodeResult.node_id, NodeResult.id).where(NodeResult.run_id == run_id, NodeResult.node_id.in_(chunk))
        ).tuples().all())
    new = [(nid, fields) for nid, fields in latest.items() if nid not in existing]
    changed = [{"id": existing[nid], **fields} for nid, fields in latest.items() if nid in existing and fields]
    if new:  # one executemany: the ORM's bulk path costs more than the insert itself
        insert_rows(session, _table(NodeResult), _new_rows(run_id, new))
    if changed:
        session.execute(update(NodeResult), changed)
    session.flush()
    return len(latest)


_ROW_DEFAULTS: dict[str, Any] = {"cache_hit": False, "reason": None, "cache_key": None, "started_at": None,
                                 "duration_s": None, "outputs": None, "error": None, "provenance": None}
"""Bulk inserts are grouped by key set: every row gets every column (its default if it has none)."""


_FULL_ENTRY = frozenset(("node_id", *NODE_FIELDS)) - {"cache_hit"}


def _fresh_rows(run_id: str, results: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]] | None:
    """``results`` as new rows in one pass, when each names a different node and gives every
    field but ``cache_hit`` (its ``None`` then meaning NULL, as for a new row it does); else None."""
    rows: list[dict[str, Any]] = []
    seen: set[Any] = set()
    for entry in results:
        nid = entry["node_id"]
        if nid in seen or entry.keys() != _FULL_ENTRY or type(nid) is not str:
            return None
        seen.add(nid)
        rows.append({**_ROW_DEFAULTS, **entry, "run_id": run_id})
    return rows


def _new_rows(run_id: str, entries: Iterable[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    return [{**_ROW_DEFAULTS, "run_id": run_id, "node_id": nid, **fields} for nid, fields in entries]


class Settled(NamedTuple):
    """A node that settled in a run, as the run path hands it over: each node once, with no
    row yet (``add_settled``)."""

    node_id: str
    type: str
    status: str
    reason: str | None
    cache_key: str | None
    started_at: float | None
    """A Unix time."""
    duration_s: float | None
    outputs: Any
    error: Any
    provenance: Any

    def as_row(self) -> dict[str, Any]:
        """The entry ``store_node_results`` takes."""
        row = self._asdict()
        row["started_at"] = datetime.fromtimestamp(self.started_at, UTC) if self.started_at else None
        return row


_SQLITE_SETTLED = ("INSERT INTO node_results (run_id, node_id, type, status, reason, cache_key, cache_hit, "
                   "started_at, duration_s, outputs, error, provenance) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?) "
                   "ON CONFLICT (run_id, node_id) DO NOTHING")
"""A node that has a row already is skipped here (and merged after): no savepoint to undo a
failed insert, whose two statements cost a small run's end more than its rows."""


def add_settled(session: Session, *, run_id: str, nodes: Sequence[Settled]) -> int:
    """Store the results of nodes that settled in ``run_id``, as ``store_node_results`` stores
    the same entries, in one statement. On SQLite each node becomes the driver's parameters in
    one step, with no mapping in between (a 1,000-node run's rows were built three times:
    5 ms of its end); a node that has a row already, or another database, takes
    ``store_node_results``'s way. Returns how many were written."""
    if not nodes:
        return 0
    if (driver := sqlite_driver(session)) is None:
        return store_node_results(session, run_id=run_id, results=[n.as_row() for n in nodes])
    _require_run(session, run_id)
    params = [(run_id, n.node_id, n.type, n.status, n.reason, n.cache_key, sqlite_time(n.started_at), n.duration_s,
               json_or_null(n.outputs), json_or_null(n.error), json_or_null(n.provenance)) for n in nodes]
    if driver.executemany(_SQLITE_SETTLED, params).rowcount == len(nodes):  # summed over the rows
        return len(nodes)
    # a node had a row already: merged (those inserted just now merge with themselves)
    return store_node_results(session, run_id=run_id, results=[n.as_row() for n in nodes])
