"""Signing in to a server started with ``--auth``; see ``app.auth`` for what is checked."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from app.auth import COOKIE, lookup
from app.deps import SessionDep, SettingsDep
from app.errors import ApiError
from storage.models import ApiToken
from storage.sqltypes import utcnow
from storage.users import hash_token

router = APIRouter(prefix="/api/auth", tags=["auth"])
SESSION_DAYS = 30


class UserPublic(BaseModel):
    id: str
    name: str


class Me(BaseModel):
    auth: bool = Field(description="whether this server requires signing in")
    user: UserPublic | None


class Login(BaseModel):
    model_config = ConfigDict(extra="forbid")
    token: str = Field(min_length=1, max_length=200, description="your API token (`genaisys users add NAME`)")


def _me(request: Request, settings: SettingsDep) -> Me:
    user = getattr(request.state, "user", None) if settings.auth else None
    return Me(auth=settings.auth, user=UserPublic(id=user.id, name=user.name) if user else None)


@router.get("/me", response_model=Me)
def me(request: Request, settings: SettingsDep) -> Me:
    """Whether the server requires signing in, and who is signed in."""
    return _me(request, settings)


@router.post("/login", response_model=Me)
def login(body: Login, request: Request, response: Response, session: SessionDep, settings: SettingsDep) -> Me:
    """Check a token and keep it in an HttpOnly, SameSite=Strict cookie for the canvas."""
    if not settings.auth:
        raise ApiError(409, "auth_off", "this server was started without --auth: there is nothing to sign in to")
    user = lookup(request.app.state.sessions, body.token)
    if user is None:
        raise ApiError(401, "invalid_token", "this API token is unknown or was revoked; ask the server's admin for a new one")
    with session.begin():
        row = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(body.token)))
        if row is not None:
            row.last_used_at = utcnow()
    response.set_cookie(COOKIE, body.token, max_age=SESSION_DAYS * 86400, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", path="/")
    request.state.user = user
    return _me(request, settings)


@router.post("/logout", status_code=204)
def logout() -> Response:
    """Forget the session cookie (the token itself stays valid: revoke it with `genaisys users revoke`)."""
    response = Response(status_code=204)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
    return response
