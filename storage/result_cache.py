"""Repository functions of the persistent result cache: entries by cache key, and each scope's
last signatures. As elsewhere the caller owns the transaction; functions flush, never commit.

Writes are upserts (one statement for a batch, whichever process wrote the key first), so the
server and a terminal's ``genaisys run`` share one cache. What an entry's bytes are is decided
by its writer (``nbytes``: the encoded outputs and their blobs); eviction removes the least
recently used entries until the total fits the bound, and says which blobs nothing uses now.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Table, cast, delete, func, select, update
from sqlalchemy.orm import Session

from storage.bulk import sqlite_datetime, sqlite_driver
from storage.models import CacheEntry, CacheScope
from storage.sqltypes import json_text, json_value, utcnow


def _as_table(model: type[CacheEntry] | type[CacheScope]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


_UPSERTS: dict[tuple[str, str, tuple[str, ...], tuple[str, ...]], Any] = {}


def _upsert(session: Session, model: type[CacheEntry] | type[CacheScope], rows: Sequence[Mapping[str, Any]],
            keep: Iterable[str] = ()) -> None:
    """INSERT .. ON CONFLICT (primary key) DO UPDATE every column but the key and ``keep``
    (the statement built once per table, dialect and columns)."""
    table = _as_table(model)
    dialect = session.get_bind().dialect.name
    if dialect not in ("sqlite", "postgresql"):  # another database: one merge a row
        for row in rows:
            session.merge(model(**row))
        return
    key = (table.name, dialect, tuple(rows[0]), tuple(keep))
    statement = _UPSERTS.get(key)
    if statement is None:
        if dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert as dialect_insert
        else:
            from sqlalchemy.dialects.postgresql import insert as dialect_insert  # type: ignore[assignment]
        keys = [c.name for c in table.primary_key.columns]
        insert = dialect_insert(table)
        changed = {c: insert.excluded[c] for c in rows[0] if c not in keys and c not in set(keep)}
        statement = _UPSERTS[key] = insert.on_conflict_do_update(index_elements=keys, set_=changed)
    session.execute(statement, list(rows))


def put_entries(session: Session, *, entries: Sequence[Mapping[str, Any]]) -> None:
    """Store entries (``key``, ``outputs``, ``origin``, ``blobs``, ``nbytes``); a key stored
    already is replaced, keeping when it was first made."""
    if not entries:
        return
    now = utcnow()
    _upsert(session, CacheEntry, [{"created_at": now, "used_at": now, **e} for e in entries], keep=("created_at",))
    session.flush()


def get_entry(session: Session, *, key: str) -> CacheEntry | None:
    return session.get(CacheEntry, key)


def entry_keys(session: Session, *, since: datetime | None = None) -> list[str]:
    """Every stored key (made after ``since``, if given)."""
    query = select(CacheEntry.key)
    if since is not None:
        query = query.where(CacheEntry.created_at >= since)
    return list(session.scalars(query))


def touch_entries(session: Session, *, keys: Iterable[str], at: datetime | None = None) -> None:
    """Mark entries used now (their place in the eviction order)."""
    chosen = sorted(set(keys))
    for start in range(0, len(chosen), 500):
        session.execute(update(CacheEntry).where(CacheEntry.key.in_(chosen[start:start + 500]))
                        .values(used_at=at or utcnow()).execution_options(synchronize_session=False))


def evict(session: Session, *, max_bytes: int) -> tuple[list[str], set[str]]:
    """Remove the least recently used entries until the rest weigh at most ``max_bytes``;
    the keys removed, and the blobs no remaining entry names."""
    total = int(session.scalar(select(func.coalesce(func.sum(CacheEntry.nbytes), 0))) or 0)
    if total <= max_bytes:
        return [], set()
    removed: list[str] = []
    freed: set[str] = set()
    for key, nbytes, blobs in session.execute(
        select(CacheEntry.key, CacheEntry.nbytes, CacheEntry.blobs).order_by(CacheEntry.used_at, CacheEntry.key)
    ):
        if total <= max_bytes:
            break
        removed.append(key)
        freed.update(blobs or ())
        total -= int(nbytes)
    for start in range(0, len(removed), 500):
        session.execute(delete(CacheEntry).where(CacheEntry.key.in_(removed[start:start + 500])))
    if freed:
        still = {b for (blobs,) in session.execute(select(CacheEntry.blobs)) for b in (blobs or ())}
        freed -= still
    session.flush()
    return removed, freed


def clear(session: Session) -> tuple[int, int]:
    """Remove every entry (the scopes' signatures stay, marked cleared); how many, and their bytes."""
    count, nbytes = session.execute(select(func.count(), func.coalesce(func.sum(CacheEntry.nbytes), 0))).one()
    session.execute(delete(CacheEntry))
    session.execute(update(CacheScope).values(cleared_at=utcnow()))
    session.flush()
    return int(count), int(nbytes)


def stats(session: Session) -> dict[str, Any]:
    """How many entries, their bytes, how many scopes, the oldest use."""
    count, nbytes, oldest = session.execute(
        select(func.count(), func.coalesce(func.sum(CacheEntry.nbytes), 0), func.min(CacheEntry.used_at))).one()
    scopes = session.scalar(select(func.count()).select_from(CacheScope)) or 0
    return {"entries": int(count), "bytes": int(nbytes), "scopes": int(scopes), "oldest_use": oldest}


def get_scope(session: Session, *, scope: str) -> CacheScope | None:
    return session.get(CacheScope, scope)


_SCOPE_TABLE = _as_table(CacheScope)
# SQLite's merge, one scope a statement (a run writes one, its graph's); ``cleared_at`` is
# carried over as the text it is stored as
_SQLITE_TOUCH_SCOPE = "UPDATE cache_scopes SET updated_at = ? WHERE scope = ?"
_SQLITE_READ_SCOPE = "SELECT signatures, cleared_at FROM cache_scopes WHERE scope = ?"
_SQLITE_PUT_SCOPE = ("INSERT INTO cache_scopes (scope, signatures, updated_at, cleared_at) VALUES (?, ?, ?, ?) "
                     "ON CONFLICT (scope) DO UPDATE SET signatures = excluded.signatures, "
                     "updated_at = excluded.updated_at, cleared_at = excluded.cleared_at")


def put_scopes(session: Session, *, scopes: Mapping[str, Mapping[str, Any]]) -> None:
    """Merge each scope's node signatures into what is stored (a node's newer one wins).

    PostgreSQL merges in the statement (``jsonb ||``, linear in the two documents), so two
    processes writing one scope at once both keep what they wrote. SQLite's ``json_patch``
    looks every key of the patch up in the stored object one by one (5,000 nodes: 60 ms), so
    there the scopes are read, merged in Python and written back, after an update that takes
    the database's write lock first: no other process can write between the read and the
    write."""
    if not scopes:
        return
    now = utcnow()
    rows: list[dict[str, Any]] = [{"scope": scope, "signatures": dict(signatures), "updated_at": now, "cleared_at": None}
                                  for scope, signatures in scopes.items()]
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import JSONB
        from sqlalchemy.dialects.postgresql import insert as pg_insert
        statement = pg_insert(_SCOPE_TABLE)
        merged = cast(cast(_SCOPE_TABLE.c.signatures, JSONB).op("||")(cast(statement.excluded.signatures, JSONB)), JSON)
        # ``cleared_at`` is kept: whether a stored signature predates a clear is the row's business
        session.execute(statement.on_conflict_do_update(
            index_elements=["scope"], set_={"signatures": merged, "updated_at": statement.excluded.updated_at}), rows)
        session.flush()
        return
    driver = sqlite_driver(session)  # three statements a run: SQLite's own driver, not SQLAlchemy's layers
    assert driver is not None, "the result cache keeps its scopes in SQLite or PostgreSQL"
    at = sqlite_datetime(now)
    for row in rows:
        driver.execute(_SQLITE_TOUCH_SCOPE, (at, row["scope"]))  # the write lock, first
        before = driver.execute(_SQLITE_READ_SCOPE, (row["scope"],)).fetchone()
        signatures = row["signatures"] if before is None else {**(json_value(before[0]) if before[0] else {}), **row["signatures"]}
        driver.execute(_SQLITE_PUT_SCOPE, (row["scope"], json_text(signatures), at, None if before is None else before[1]))
