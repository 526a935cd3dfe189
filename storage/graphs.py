"""Repository functions for graphs and their immutable versions.

The caller owns the transaction (``with session.begin(): ...``): functions flush their
writes but never commit, so several calls can form one atomic change. After any
exception the caller must roll back (``session.begin()`` does it).

Concurrent saves: a save names the version it was ``based_on``. It first moves
``graphs.latest_version`` from ``based_on`` to ``based_on + 1`` with a compare-and-set
UPDATE (``WHERE latest_version = based_on``), which the database serialises: of two
racing saves exactly one changes a row, the other changes none and gets
``VersionConflict``. ``UNIQUE(graph_id, number)`` backs this up, so even a writer that
skipped the guard cannot overwrite or duplicate a version.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, bindparam, func, select, update
from sqlalchemy.dialects.sqlite import dialect as sqlite_dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.bulk import sqlite_driver
from storage.errors import NotFound, UnstorableText, VersionConflict
from storage.models import Graph, GraphVersion
from storage.sqltypes import json_value, new_id, utcnow


def create_graph(
    session: Session,
    *,
    name: str,
    description: str = "",
    document: dict[str, Any],
    message: str = "",
    owner_id: str | None = None,
) -> tuple[Graph, GraphVersion]:
    """Create a graph with ``document`` as its version 1 (owned by ``owner_id``, if given)."""
    _check_texts(name=name, description=description, message=message)
    now = utcnow()
    graph = Graph(
        id=new_id(),
        name=name,
        description=description,
        latest_version=1,
        created_at=now,
        updated_at=now,
        owner_id=owner_id,
    )
    session.add(graph)
    session.flush()  # the graph row must exist before its version's foreign key names it
    version = GraphVersion(
        graph_id=graph.id, number=1, document=document, message=message, created_at=now
    )
    session.add(version)
    session.flush()
    return graph, version


def get_graph(
    session: Session, *, graph_id: str, include_deleted: bool = False, owner_id: str | None = None
) -> Graph:
    """The graph ``graph_id``; a soft-deleted one counts as missing unless asked for.
    With ``owner_id``, another user's graph counts as missing too (it reveals nothing)."""
    graph = session.get(Graph, graph_id, populate_existing=True)
    if graph is None or (owner_id is not None and graph.owner_id != owner_id):
        raise NotFound("graph", graph_id)
    if graph.deleted_at is not None and not include_deleted:
        raise NotFound("graph", graph_id, hint="it was deleted; undelete it to use it again")
    return graph


def list_graphs(
    session: Session,
    *,
    include_deleted: bool = False,
    search: str | None = None,
    limit: int = 50,
    offset: int = 0,
    owner_id: str | None = None,
) -> tuple[list[Graph], int]:
    """One page of graphs, most recently changed first, and the total count that matched.

    ``search`` matches name or description, case-insensitively, as plain text
    (``%`` and ``_`` are not wildcards). With ``owner_id``, only that user's graphs.
    """
    where: list[ColumnElement[bool]] = []
    if owner_id is not None:
        where.append(Graph.owner_id == owner_id)
    if not include_deleted:
        where.append(Graph.deleted_at.is_(None))
    if search:
        where.append(
            Graph.name.icontains(search, autoescape=True)
            | Graph.description.icontains(search, autoescape=True)
        )
    count = session.scalar(select(func.count()).select_from(Graph).where(*where)) or 0
    items = session.scalars(
        select(Graph)
        .where(*where)
        .order_by(Graph.updated_at.desc(), Graph.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return list(items), count


def update_graph_meta(
    session: Session,
    *,
    graph_id: str,
    name: str | None = None,
    description: str | None = None,
) -> Graph:
    """Rename or re-describe a graph; this does not make a new version."""
    _check_texts(name=name, description=description)
    graph = get_graph(session, graph_id=graph_id)
    if name is not None:
        graph.name = name
    if description is not None:
        graph.description = description
    graph.updated_at = utcnow()
    session.flush()
    return graph


def soft_delete_graph(session: Session, *, graph_id: str) -> Graph:
    """Hide a graph (recoverable with ``undelete_graph``); its versions and runs stay."""
    graph = get_graph(session, graph_id=graph_id, include_deleted=True)
    if graph.deleted_at is None:
        graph.deleted_at = utcnow()
        session.flush()
    return graph


def undelete_graph(session: Session, *, graph_id: str) -> Graph:
    """Bring back a soft-deleted graph exactly as it was."""
    graph = get_graph(session, graph_id=graph_id, include_deleted=True)
    if graph.deleted_at is not None:
        graph.deleted_at = None
        session.flush()
    return graph


def save_version(
    session: Session,
    *,
    graph_id: str,
    document: dict[str, Any],
    based_on: int,
    message: str = "",
) -> GraphVersion:
    """Save ``document`` as version ``based_on + 1``.

    Raises ``VersionConflict`` (with the current and the based-on numbers, and the
    rejected document) when another save landed since ``based_on``; nothing is written then.
    """
    graph = get_graph(session, graph_id=graph_id)
    if graph.latest_version != based_on:
        raise VersionConflict(
            current=graph.latest_version, based_on=based_on, graph_id=graph_id, document=document
        )
    return _append_version(
        session, graph_id=graph_id, document=document, based_on=based_on, message=message
    )


def restore_version(
    session: Session, *, graph_id: str, number: int, message: str | None = None
) -> GraphVersion:
    """Make a new latest version that copies version ``number`` (history is never rewritten).
    The graph takes back that version's name and description, as a save of it would."""
    old = get_version(session, graph_id=graph_id, number=number)
    graph = get_graph(session, graph_id=graph_id)
    version = _append_version(
        session,
        graph_id=graph_id,
        document=old.document,
        based_on=graph.latest_version,
        message=f"Restored version {number}" if message is None else message,
    )
    name, description = old.document.get("name"), old.document.get("description")
    update_graph_meta(
        session,
        graph_id=graph_id,
        name=name if isinstance(name, str) and name.strip() else None,
        description=description if isinstance(description, str) else None,
    )
    return version


def list_versions(session: Session, *, graph_id: str) -> list[GraphVersion]:
    """Every version of a graph, newest first (deleted graphs too: history is history)."""
    get_graph(session, graph_id=graph_id, include_deleted=True)
    versions = session.scalars(
        select(GraphVersion)
        .where(GraphVersion.graph_id == graph_id)
        .order_by(GraphVersion.number.desc())
    ).all()
    return list(versions)


def get_version(session: Session, *, graph_id: str, number: int) -> GraphVersion:
    """Version ``number`` of a graph."""
    version = session.scalars(
        select(GraphVersion).where(GraphVersion.graph_id == graph_id, GraphVersion.number == number)
    ).one_or_none()
    if version is None:
        raise NotFound("graph version", f"{graph_id}@{number}")
    return version


def version_to_run(
    session: Session, *, graph_id: str, number: int | None = None, owner_id: str | None = None
) -> tuple[str, dict[str, Any]]:
    """The id and document of version ``number`` (the latest if None) of a graph that is not
    deleted, for a run: one prebuilt query, not the two rows ``get_graph`` and ``get_version``
    load (on a small run, reading them cost more than running it). Raises their NotFound."""
    if (driver := sqlite_driver(session)) is not None:  # on SQLite, asked of its own driver
        found = driver.execute(_SQLITE_VERSION_TO_RUN, (graph_id, number)).fetchone()
        if found is not None:
            found = (found[0], json_value(found[1]), found[2])
    else:
        found = session.execute(_VERSION_TO_RUN, {"graph": graph_id, "number": number}).one_or_none()
    if found is None or (owner_id is not None and found[2] != owner_id):
        graph = get_graph(session, graph_id=graph_id, owner_id=owner_id)  # says what is missing
        get_version(session, graph_id=graph_id, number=number or graph.latest_version)
        raise NotFound("graph version", f"{graph_id}@{number}")  # gone since: a concurrent delete
    return found[0], found[1]


_VERSION_TO_RUN = (
    select(GraphVersion.id, GraphVersion.document, Graph.owner_id)
    .join(Graph, Graph.id == GraphVersion.graph_id)
    .where(Graph.id == bindparam("graph"), Graph.deleted_at.is_(None),
           GraphVersion.number == func.coalesce(bindparam("number", type_=GraphVersion.number.type), Graph.latest_version))
)
_SQLITE_VERSION_TO_RUN = str(_VERSION_TO_RUN.compile(dialect=sqlite_dialect()))
"""Its parameters in this order: the graph's id, the number."""


def get_latest_version(session: Session, *, graph_id: str) -> GraphVersion:
    """The newest version of a graph."""
    graph = get_graph(session, graph_id=graph_id, include_deleted=True)
    return get_version(session, graph_id=graph_id, number=graph.latest_version)


def _append_version(
    session: Session, *, graph_id: str, document: dict[str, Any], based_on: int, message: str
) -> GraphVersion:
    """Claim number ``based_on + 1`` by compare-and-set, then insert it.

    The UPDATE comes first so that it takes the write lock (SQLite) or the row lock
    (PostgreSQL) before anything is read for the insert: a racing save waits for it and
    then finds ``latest_version`` moved, so it updates no row.
    """
    _check_texts(message=message)
    now = utcnow()
    number = based_on + 1
    claimed = session.execute(
        update(Graph)
        .where(
            Graph.id == graph_id,
            Graph.latest_version == based_on,
            Graph.deleted_at.is_(None),
        )
        .values(latest_version=number, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        graph = get_graph(session, graph_id=graph_id)  # NotFound if deleted meanwhile
        raise VersionConflict(
            current=graph.latest_version, based_on=based_on, graph_id=graph_id, document=document
        )
    taken = session.scalar(
        select(func.max(GraphVersion.number)).where(GraphVersion.graph_id == graph_id)
    )
    if taken is not None and taken >= number:
        # Versions were written without the guard; refuse rather than shadow them, and
        # undo the claim so that even a caller who commits after the error changes nothing.
        session.execute(
            update(Graph)
            .where(Graph.id == graph_id, Graph.latest_version == number)
            .values(latest_version=based_on)
            .execution_options(synchronize_session=False)
        )
        raise VersionConflict(
            current=taken, based_on=based_on, graph_id=graph_id, document=document
        )
    version = GraphVersion(
        graph_id=graph_id, number=number, document=document, message=message, created_at=now
    )
    session.add(version)
    try:
        session.flush()
    except IntegrityError:
        # UNIQUE(graph_id, number): the last line of defence, should the checks be bypassed.
        raise VersionConflict(
            current=number, based_on=based_on, graph_id=graph_id, document=document
        ) from None
    # Bring a Graph the caller already holds up to date (the UPDATE bypassed the ORM).
    session.get(Graph, graph_id, populate_existing=True)
    return version


_TEXT_COLUMNS = {"name": Graph.name, "description": Graph.description, "message": GraphVersion.message}


def _check_texts(**texts: str | None) -> None:
    """``UnstorableText`` for a graph's name, description or version message that holds a NUL
    character or is longer than its column, before anything is written."""
    for field, value in texts.items():
        if value is None:
            continue
        what = "version message" if field == "message" else f"graph {field}"
        if "\x00" in value:
            raise UnstorableText(what, "holds a NUL character (U+0000), which the database cannot store; remove it")
        limit = getattr(_TEXT_COLUMNS[field].type, "length", None)
        if limit is not None and len(value) > limit:
            raise UnstorableText(what, f"is {len(value)} characters long; it may have at most {limit}: shorten it")
