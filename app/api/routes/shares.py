"""Share links: a token for a graph (or one version of it) that lets its holder view it,
copy it into their own graphs, or use its live demo — and nothing else.

A canvas opened from a link sends the token in ``X-Share-Token`` with every request;
`app.api.auth.ShareGuard` refuses any write made with it (only the share's own read and, for ``fork``
links, the fork itself get through), so a link can never be used to change what it shows.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import FileResponse, HTMLResponse

from app.api.body import ParsedBodyRoute
from app.api.deps import OwnerDep, RegistryDep, SessionDep
from app.api.errors import ApiError
from app.api.schemas.graphs import GraphDetail, graph_detail
from app.api.schemas.shares import (
    ShareCreate,
    SharedGraph,
    SharePublic,
    SharesPublic,
    share_public,
    share_url,
)
from app.services.graphs import bundle_of, import_document, saved_in
from app.settings import FRONTEND_DIST
from storage import repo
from storage.errors import NotFound
from storage.models import ShareMode
from storage.sqltypes import utcnow

router = APIRouter(tags=["shares"], route_class=ParsedBodyRoute)
pages = APIRouter(include_in_schema=False, route_class=ParsedBodyRoute)



@router.post("/api/graphs/{graph_id}/shares", response_model=SharePublic, status_code=201)
def create_share(graph_id: str, body: ShareCreate, session: SessionDep, owner: OwnerDep) -> SharePublic:
    """Make a link (an unguessable 256-bit token) to a graph or one of its versions."""
    expires = utcnow() + timedelta(days=body.expires_in_days) if body.expires_in_days else None
    with session.begin():
        repo.get_graph(session, graph_id=graph_id, owner_id=owner)
        share = repo.create_share(session, graph_id=graph_id, mode=body.mode, version=body.version, expires_at=expires)
        return share_public(share)


@router.get("/api/graphs/{graph_id}/shares", response_model=SharesPublic)
def list_shares(graph_id: str, session: SessionDep, owner: OwnerDep) -> SharesPublic:
    """Every link to a graph, revoked and expired ones included."""
    repo.get_graph(session, graph_id=graph_id, include_deleted=True, owner_id=owner)
    shares = [share_public(s) for s in repo.list_shares(session, graph_id=graph_id)]
    return SharesPublic(data=shares, count=len(shares))


@router.delete("/api/shares/{token}", status_code=204)
def revoke_share(token: str, session: SessionDep, owner: OwnerDep) -> Response:
    """Stop a link from working, at once and for good."""
    with session.begin():
        if owner is not None:  # only the owner of the shared graph may revoke its links
            share = repo.get_share(session, token=token)
            try:
                repo.get_graph(session, graph_id=share.graph_id, include_deleted=True, owner_id=owner)
            except NotFound:
                raise NotFound("share", token) from None
        repo.revoke_share(session, token=token)
    return Response(status_code=204)


@router.get("/api/shares/{token}", response_model=SharedGraph)
def read_share(token: str, session: SessionDep) -> SharedGraph:
    """What a link shows. 404 alike for unknown, revoked and expired links."""
    share, graph, version = repo.resolve_share(session, token=token)
    demo = share.mode == ShareMode.DEMO
    return SharedGraph(token=token, mode=share.mode, graph_name=graph.name, description=graph.description,
                       version=version.number, document=None if demo else version.document,
                       demo_url=share_url(token, ShareMode.DEMO) if demo else None)


@router.post("/api/shares/{token}/fork", response_model=GraphDetail, status_code=201)
def fork_share(token: str, session: SessionDep, registry: RegistryDep, owner: OwnerDep) -> GraphDetail:
    """Copy a fork link's graph into one's own graphs, as a new graph."""
    with session.begin():
        share, graph, version = repo.resolve_share(session, token=token)
        if share.mode != ShareMode.FORK:
            raise ApiError(403, "forbidden", f"this link is a {share.mode} link; only fork links can be copied")
        document = {**version.document, "name": f"{graph.name} (copy)"}
        message = f"forked from a shared link (version {version.number})"
        bundle = bundle_of(document, saved_in(session, graph.owner_id)) if owner != graph.owner_id else []
        if bundle:  # the graphs its subgraph nodes run are the sharer's: the copy gets copies of them
            imported = import_document(session, registry, {**document, "graphs": bundle}, message, owner_id=owner)
            return graph_detail(imported.graph, imported.version, imported.checked, registry)
        new, first = repo.create_graph(session, name=document["name"], description=graph.description,
                                       document=document, message=message, owner_id=owner)
        return graph_detail(new, first, None, registry, saved_in(session, owner))


@pages.get("/s/{token}")
def open_share_page(token: str, session: SessionDep) -> Any:
    """The canvas, which reads the token from the address and opens read-only."""
    try:
        share, _, _ = repo.resolve_share(session, token=token)
    except NotFound:
        return HTMLResponse("<!doctype html><title>Link not found</title><h1>This link does not exist, "
                            "or was revoked, or has expired.</h1>", status_code=404)
    if share.mode == ShareMode.DEMO:
        return HTMLResponse(status_code=307, headers={"Location": share_url(token, ShareMode.DEMO)})
    index = FRONTEND_DIST / "index.html"
    if not index.is_file():
        raise ApiError(503, "canvas_not_built", "the canvas is not built: run `make install`")
    return FileResponse(index, headers={"Cache-Control": "no-store"})
