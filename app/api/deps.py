"""Dependency aliases the routes declare (`session: SessionDep`), as FastAPI's template does.

They are ``async def``: none of them waits on anything, and FastAPI runs a plain ``def``
dependency on its thread pool, a thread hop each, five of them on every run request."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends
from sqlalchemy.orm import Session
from starlette.requests import HTTPConnection as Request

from app.api.auth import SHARE_HEADER
from app.api.errors import ApiError
from app.engine.subgraphs import Resolver
from app.services.eval_queue import EvalManager
from app.services.graphs import saved_graphs, share_owner
from app.services.run_queue import RunManager
from app.settings import Settings
from nodes.registry import Registry
from storage.artifacts import ArtifactStore


async def get_owner(request: Request) -> str | None:
    """The signed-in user's id, which scopes graphs and runs (``owner_of``)."""
    return owner_of(request)


def owner_of(request: Request) -> str | None:
    """The signed-in user's id, which scopes graphs and runs; None on a server without
    ``--auth``. Refuses (401) in auth mode without a user, whatever the route's path."""
    if not request.app.state.settings.auth:
        return None
    user = getattr(request.state, "user", None)
    if user is None:
        raise ApiError(401, "auth_required", "sign in first: this server requires an API token")
    return user.id


async def get_session(request: Request) -> AsyncIterator[Session]:
    with request.app.state.sessions() as session:  # opening and closing one does no I/O to wait on
        yield session


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_registry(request: Request) -> Registry:
    return request.app.state.registry


async def get_runs(request: Request) -> RunManager:
    return request.app.state.runs


async def get_evals(request: Request) -> EvalManager:
    return request.app.state.evals


async def get_subgraphs(request: Request) -> Resolver:
    """Looks up the saved graphs a document's subgraph nodes run: the caller's own (any, on
    a server without ``--auth``), each in a short session of its own. A share page's viewer
    (``--auth``, no user, a share token) sees what the shared graph's owner would."""
    sessions = request.app.state.sessions
    if request.app.state.settings.auth and getattr(request.state, "user", None) is None:
        token = request.headers.get(SHARE_HEADER.decode())
        owner = await asyncio.to_thread(share_owner, sessions, token) if token else None
        return saved_graphs(sessions, owner) if owner is not None else (lambda graph_id, version: None)
    return saved_graphs(sessions, owner_of(request))


async def get_artifacts(request: Request) -> ArtifactStore:
    return request.app.state.artifacts


SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
RegistryDep = Annotated[Registry, Depends(get_registry)]
RunsDep = Annotated[RunManager, Depends(get_runs)]
EvalsDep = Annotated[EvalManager, Depends(get_evals)]
ArtifactsDep = Annotated[ArtifactStore, Depends(get_artifacts)]
OwnerDep = Annotated[str | None, Depends(get_owner)]
SubgraphsDep = Annotated[Resolver, Depends(get_subgraphs)]
