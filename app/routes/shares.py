"""Share links: a token for a graph (or one version of it) that lets its holder view it,
copy it into their own graphs, or use its live demo — and nothing else.

A canvas opened from a link sends the token in ``X-Share-Token`` with every request;
`ShareGuard` refuses any write made with it (only the share's own read and, for ``fork``
links, the fork itself get through), so a link can never be used to change what it shows.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import FileResponse, HTMLResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.types import ASGIApp, Receive, Scope, Send

from app.auth import SHARE_HEADER
from app.deps import OwnerDep, RegistryDep, SessionDep
from app.errors import ApiError, refuse
from app.routes.graphs import graph_detail
from app.schemas import MAX_INT, GraphDetail
from storage import repo
from storage.errors import NotFound
from storage.sqltypes import utcnow

router = APIRouter(tags=["shares"])
pages = APIRouter(include_in_schema=False)



class ShareCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mode: str = Field(pattern="^(view|fork|demo)$", description="view: read-only canvas; fork: view + copy; demo: the live demo only")
    version: int | None = Field(None, ge=1, le=MAX_INT, description="pin a version; null follows the latest")
    expires_in_days: float | None = Field(None, gt=0, le=3650)


class SharePublic(BaseModel):
    token: str
    graph_id: str
    mode: str
    version: int | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    active: bool
    url: str


class SharesPublic(BaseModel):
    data: list[SharePublic]
    count: int


class SharedGraph(BaseModel):
    token: str
    mode: str
    graph_name: str
    description: str
    version: int
    document: dict[str, Any] | None = Field(description="null for demo links: they show only the demo")
    demo_url: str | None


def share_url(token: str, mode: str) -> str:
    return f"/demo/{token}" if mode == "demo" else f"/s/{token}"


def share_public(share: Any) -> SharePublic:
    return SharePublic(token=share.token, graph_id=share.graph_id, mode=share.mode, version=share.version,
                       created_at=share.created_at, expires_at=share.expires_at, revoked_at=share.revoked_at,
                       active=share.is_active(), url=share_url(share.token, share.mode))


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
    demo = share.mode == "demo"
    return SharedGraph(token=token, mode=share.mode, graph_name=graph.name, description=graph.description,
                       version=version.number, document=None if demo else version.document,
                       demo_url=share_url(token, "demo") if demo else None)


@router.post("/api/shares/{token}/fork", response_model=GraphDetail, status_code=201)
def fork_share(token: str, session: SessionDep, registry: RegistryDep, owner: OwnerDep) -> GraphDetail:
    """Copy a fork link's graph into one's own graphs, as a new graph."""
    with session.begin():
        share, graph, version = repo.resolve_share(session, token=token)
        if share.mode != "fork":
            raise ApiError(403, "forbidden", f"this link is a {share.mode} link; only fork links can be copied")
        document = {**version.document, "name": f"{graph.name} (copy)"}
        new, first = repo.create_graph(session, name=document["name"], description=graph.description,
                                       document=document, message=f"forked from a shared link (version {version.number})",
                                       owner_id=owner)
        return graph_detail(new, first, None, registry)


@pages.get("/s/{token}")
def open_share_page(token: str, session: SessionDep) -> Any:
    """The canvas, which reads the token from the address and opens read-only."""
    from app.main import FRONTEND_DIST

    try:
        share, _, _ = repo.resolve_share(session, token=token)
    except NotFound:
        return HTMLResponse("<!doctype html><title>Link not found</title><h1>This link does not exist, "
                            "or was revoked, or has expired.</h1>", status_code=404)
    if share.mode == "demo":
        return HTMLResponse(status_code=307, headers={"Location": share_url(token, "demo")})
    index = FRONTEND_DIST / "index.html"
    if not index.is_file():
        raise ApiError(503, "canvas_not_built", "the canvas is not built: run `make install`")
    return FileResponse(index, headers={"Cache-Control": "no-store"})


class ShareGuard:
    """Requests carrying a share token may read; they may not write. The token's own
    resolution and a fork link's fork are the only non-GET calls let through."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in ("GET", "HEAD", "OPTIONS"):
            token = dict(scope.get("headers") or []).get(SHARE_HEADER)
            if token is not None and not _allowed(scope["method"], scope["path"], token.decode("latin-1")):
                await _refuse(scope, send)
                return
        await self.app(scope, receive, send)


def _allowed(method: str, path: str, token: str) -> bool:
    return (method == "POST" and path in (f"/api/shares/{token}/fork", "/api/validate"))


async def _refuse(scope: Scope, send: Send) -> None:
    await refuse(scope, send, 403, "read_only_share", "this page was opened from a shared link, which can only read; "
                 "copy the graph into your own graphs to change it")
