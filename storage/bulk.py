"""Many rows into one table in one ``executemany``, for the run path's node results and
event pages.

SQLAlchemy's Core executemany turns each row into parameters in Python (a compiled
parameter dict per row, then each column's bind processor): for a 1,000-node run that is
twice the database's own work. Here the statement is compiled once per table, dialect and
column set, each row becomes the driver's parameters in one pass, and the driver's
``executemany`` gets them directly: tuples for a positional paramstyle (SQLite's ``qmark``),
dicts for a named one (psycopg's ``pyformat``), as the compiled statement asks. The values
are converted with each column type's own bind processor, taken from the dialect's
implementation of the type (so every dialect writes what the ORM writes: psycopg gets its
``Json`` wrapper, SQLite text), except for the three column
kinds the run path writes most on SQLite, whose conversion is written out here and pinned
against SQLAlchemy's by ``tests/storage/test_bulk.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Table, insert
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from storage.sqltypes import UTCDateTime, json_text

Convert = Callable[[Any], Any] | None
_PLANS: dict[tuple[str, str, str, tuple[str, ...]], tuple[str, list[str], list[Convert], bool]] = {}


def insert_rows(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (each with the same keys, column names of ``table``) in the session's
    transaction. Errors are SQLAlchemy's, as for ``session.execute(insert(table), rows)``."""
    if not rows:
        return
    connection = session.connection()
    sql, order, converters, positional = _plan(table, connection.dialect, tuple(rows[0]))
    if positional:
        params: list[Any] = [tuple([r[k] if c is None else c(r[k]) for k, c in zip(order, converters, strict=True)])
                             for r in rows]
    else:
        params = [{k: r[k] if c is None else c(r[k]) for k, c in zip(order, converters, strict=True)} for r in rows]
    connection.exec_driver_sql(sql, params)


def _plan(table: Table, dialect: Dialect, keys: tuple[str, ...]) -> tuple[str, list[str], list[Convert], bool]:
    key = (table.name, dialect.name, str(dialect.paramstyle), keys)
    plan = _PLANS.get(key)
    if plan is None:
        compiled = insert(table).compile(dialect=dialect, column_keys=list(keys))
        positional = compiled.positiontup is not None
        order = list(compiled.positiontup) if compiled.positiontup is not None else list(keys)
        converters = [_converter(table.c[name].type, dialect) for name in order]
        plan = _PLANS[key] = (str(compiled), order, converters, positional)
    return plan


def _converter(column_type: Any, dialect: Dialect) -> Convert:
    if dialect.name == "sqlite":
        if isinstance(column_type, UTCDateTime):
            return sqlite_datetime
        if isinstance(column_type, JSON) and column_type.none_as_null:
            return json_or_null
        if isinstance(column_type, Boolean):
            return _sqlite_bool
    return column_type.dialect_impl(dialect).bind_processor(dialect)


def sqlite_datetime(value: datetime | None) -> str | None:
    """As ``UTCDateTime`` then SQLite's ``DATETIME`` write it: UTC, no offset, microseconds."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}: pass a time-zone aware value (UTC)")
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def sqlite_time(ts: float | None) -> str | None:
    """What ``sqlite_datetime`` writes for the aware UTC datetime of the Unix time ``ts``, in
    one step (the run path's rows give their start as a Unix time)."""
    return datetime.fromtimestamp(ts, UTC).isoformat(" ", "microseconds")[:26] if ts else None


def sqlite_driver(session: Session) -> Any | None:
    """The session's own ``sqlite3`` connection, in its transaction, once the session's pending
    objects are flushed; None on another database. The run path's per-run statements go to it
    directly on SQLite: through SQLAlchemy, recording a run and ending it cost a 2-node run
    0.39 ms of its 2.8 (served), its statements' own work a tenth of that."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return None
    session.flush()
    return connection.connection.driver_connection


def json_or_null(value: Any) -> str | None:
    """A JSON column's value as SQLite stores it (``None``: SQL NULL)."""
    return None if value is None else json_text(value)


def _sqlite_bool(value: Any) -> int | None:
    return None if value is None else int(bool(value))
