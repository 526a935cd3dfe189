"""Copy every row of a studio's database into another database: how a studio moves from
SQLite to PostgreSQL (``genaisys db copy``), or back.

The copy goes through the table classes of ``storage.models``, so each value is read and
written by its column type (JSON documents as JSON, times as aware UTC) whatever the two
databases are. The source is read in one transaction (one consistent snapshot, even while
something else writes to it); the target is migrated to head and written in one
transaction, so a copy that fails half-way leaves no row in the target.
Row ids are copied as they are, and PostgreSQL's id sequences are moved past them, so new
rows in the target never collide with copied ones. Artifact files stay where they are:
the rows name them by content hash, under the data directory both databases share.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, Integer, Table, func, insert, select, text
from sqlalchemy.engine import make_url

from storage.db import current_revision, head_revision, upgrade_to_head
from storage.errors import StorageError
from storage.models import Base

BATCH_ROWS = 500
"""Rows read and written per statement: bounds memory, whatever the size of the tables."""


class CopyRefused(StorageError):
    """The copy cannot start; nothing was written. The message says what to do instead."""


@dataclass(frozen=True, slots=True)
class TableCopy:
    table: str
    rows: int


def copy_database(source: Engine, target: Engine,
                  progress: Callable[[str, int], None] | None = None) -> list[TableCopy]:
    """Copy every table of ``source`` into ``target`` (an empty database, migrated to head
    here); returns the rows copied per table, in the order they were written. Raises
    ``CopyRefused`` for a source not at this version's schema or a target that holds data."""
    if _same_database(source, target):
        raise CopyRefused("the source and the target are the same database; name another target")
    at, head = current_revision(source), head_revision()
    if at != head:
        found = "no studio schema" if at is None else f"schema revision {at}"
        raise CopyRefused(f"the source has {found}, this version of the studio writes revision {head}: "
                          "start the studio (or run any `genaisys` command that opens it) on the source "
                          "once with this version, so that it is migrated, then copy again")
    upgrade_to_head(target)
    tables = Base.metadata.sorted_tables  # parents before the rows that name them
    copied: list[TableCopy] = []
    with source.connect() as reader, reader.begin(), target.begin() as writer:
        if reader.dialect.name == "sqlite":
            # pysqlite begins a transaction only before a write: begin one for the reads, so
            # that every table is read from the same snapshot (WAL lets writers go on).
            reader.exec_driver_sql("BEGIN")
        if full := [t.name for t in tables if writer.scalar(select(func.count()).select_from(t))]:
            raise CopyRefused(f"the target already holds data (in {', '.join(full)}); copy into a new, "
                              "empty database, so that nothing in it is overwritten or mixed")
        for table in tables:
            count = _copy_table(table, reader, writer)
            copied.append(TableCopy(table.name, count))
            if progress is not None:
                progress(table.name, count)
        if writer.dialect.name == "postgresql":
            for table in tables:
                _move_sequence_past_copied_ids(table, writer)
    return copied


def _copy_table(table: Table, reader: Connection, writer: Connection) -> int:
    rows = reader.execution_options(stream_results=True, yield_per=BATCH_ROWS).execute(
        select(table).order_by(*table.primary_key.columns))
    count = 0
    for batch in rows.partitions(BATCH_ROWS):
        writer.execute(insert(table), [row._asdict() for row in batch])
        count += len(batch)
    return count


def _move_sequence_past_copied_ids(table: Table, writer: Connection) -> None:
    """An id column PostgreSQL numbers itself (SERIAL) next gives ``max(id) + 1``."""
    for column in table.primary_key.columns:
        if isinstance(column.type, Integer) and column.autoincrement in (True, "auto"):
            writer.execute(
                text(f"SELECT setval(pg_get_serial_sequence(:table, :column), "
                     f"coalesce((SELECT max({column.name}) FROM {table.name}), 0) + 1, false)"),
                {"table": table.name, "column": column.name})


def _same_database(source: Engine, target: Engine) -> bool:
    a, b = make_url(source.url), make_url(target.url)
    return (a.get_backend_name(), a.host, a.port, a.database) == (b.get_backend_name(), b.host, b.port, b.database)
