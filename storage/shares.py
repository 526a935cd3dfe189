"""Repository functions for share links (the caller owns the transaction, as in ``graphs``).

A share's token is the only secret: 32 random bytes (``secrets.token_urlsafe``), so links
cannot be guessed or enumerated. ``resolve_share`` answers "not found" alike for a token
that never existed, was revoked, expired, or whose graph was deleted, so a holder of a
dead link learns nothing about the graph.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.errors import NotFound
from storage.graphs import get_graph, get_version
from storage.models import Graph, GraphVersion, Share, ShareMode
from storage.sqltypes import utcnow


def create_share(
    session: Session,
    *,
    graph_id: str,
    mode: ShareMode | str,
    version: int | None = None,
    expires_at: datetime | None = None,
) -> Share:
    """Create a link to a graph; ``version`` None follows whatever is latest when opened."""
    mode = ShareMode(mode)
    get_graph(session, graph_id=graph_id)
    if version is not None:
        get_version(session, graph_id=graph_id, number=version)
    share = Share(
        token=secrets.token_urlsafe(32),
        graph_id=graph_id,
        mode=mode.value,
        version=version,
        created_at=utcnow(),
        expires_at=expires_at,
    )
    session.add(share)
    session.flush()
    return share


def get_share(session: Session, *, token: str) -> Share:
    """The share row, active or not (for its owner's list and revocation)."""
    share = session.get(Share, token, populate_existing=True)
    if share is None:
        raise NotFound("share", token)
    return share


def list_shares(session: Session, *, graph_id: str) -> list[Share]:
    """Every share of a graph, newest first, revoked and expired ones included."""
    return list(
        session.scalars(
            select(Share).where(Share.graph_id == graph_id).order_by(Share.created_at.desc())
        ).all()
    )


def revoke_share(session: Session, *, token: str) -> Share:
    """Stop a link from working; revoking twice keeps the first time."""
    share = get_share(session, token=token)
    if share.revoked_at is None:
        share.revoked_at = utcnow()
        session.flush()
    return share


def resolve_share(session: Session, *, token: str) -> tuple[Share, Graph, GraphVersion]:
    """What an active link shows: the share, its graph and the version it points at."""
    share = session.get(Share, token, populate_existing=True)
    if share is None or not share.is_active():
        raise NotFound("share", token)
    try:
        graph = get_graph(session, graph_id=share.graph_id)
        number = share.version if share.version is not None else graph.latest_version
        version = get_version(session, graph_id=graph.id, number=number)
    except NotFound:
        raise NotFound("share", token) from None
    return share, graph, version
