"""Dependency aliases the routes declare (`session: SessionDep`), as FastAPI's template does."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends
from sqlalchemy.orm import Session
from starlette.requests import HTTPConnection as Request

from app.api.errors import ApiError
from app.services.run_queue import RunManager
from app.settings import Settings
from nodes.registry import Registry
from storage.artifacts import ArtifactStore


def get_owner(request: Request) -> str | None:
    """The signed-in user's id, which scopes graphs and runs; None on a server without
    ``--auth``. Refuses (401) in auth mode without a user, whatever the route's path."""
    if not request.app.state.settings.auth:
        return None
    user = getattr(request.state, "user", None)
    if user is None:
        raise ApiError(401, "auth_required", "sign in first: this server requires an API token")
    return user.id


def get_session(request: Request) -> Iterator[Session]:
    with request.app.state.sessions() as session:
        yield session


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_registry(request: Request) -> Registry:
    return request.app.state.registry


def get_runs(request: Request) -> RunManager:
    return request.app.state.runs


def get_artifacts(request: Request) -> ArtifactStore:
    return request.app.state.artifacts


SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
RegistryDep = Annotated[Registry, Depends(get_registry)]
RunsDep = Annotated[RunManager, Depends(get_runs)]
ArtifactsDep = Annotated[ArtifactStore, Depends(get_artifacts)]
OwnerDep = Annotated[str | None, Depends(get_owner)]
