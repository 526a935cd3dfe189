"""Signing in to a server started with ``--auth``; see ``app.api.auth`` for what is checked."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from app.api.auth import COOKIE, AuthUser
from app.api.body import ParsedBodyRoute
from app.api.deps import SessionDep, SettingsDep
from app.api.errors import ApiError
from app.api.schemas.auth import Login, Me, UserPublic
from storage import repo

router = APIRouter(prefix="/api/auth", tags=["auth"], route_class=ParsedBodyRoute)
SESSION_DAYS = 30


def _me(request: Request, settings: SettingsDep) -> Me:
    user = getattr(request.state, "user", None) if settings.auth else None
    return Me(auth=settings.auth, user=UserPublic.model_validate(user) if user else None)


@router.get("/me", response_model=Me)
def me(request: Request, settings: SettingsDep) -> Me:
    """Whether the server requires signing in, and who is signed in."""
    return _me(request, settings)


@router.post("/login", response_model=Me)
def login(body: Login, request: Request, response: Response, session: SessionDep, settings: SettingsDep) -> Me:
    """Check a token and keep it in an HttpOnly, SameSite=Strict cookie for the canvas."""
    if not settings.auth:
        raise ApiError(409, "auth_off", "this server was started without --auth: there is nothing to sign in to")
    with session.begin():
        found = repo.user_for_token(session, token=body.token, touch=True)
        user = None if found is None else AuthUser(found.id, found.name)
    if user is None:
        raise ApiError(401, "invalid_token", "this API token is unknown or was revoked; ask the server's admin for a new one")
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
