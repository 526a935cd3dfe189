"""The ``--auth`` mode: every request names a user, or is one of the few public ones.

Credentials are a user's API token (``genaisys users add NAME`` makes one), sent as
``Authorization: Bearer <token>`` by scripts, or held by the canvas in an HttpOnly,
SameSite=Strict cookie set by ``POST /api/auth/login`` (so images, audio and the run
websocket carry it too). `AuthGate` is an ASGI middleware in front of every route, so a
route added later is closed until someone decides otherwise: the public ones are listed
in `is_public`, and a test walks every route of the app against that list.

Requests authenticated by the cookie that could change something (any method but
GET/HEAD/OPTIONS, and websockets) must come from this server's own pages: their ``Origin``
must be this server's. That, with SameSite=Strict, keeps other sites from acting with a
signed-in user's cookie. Ownership is enforced by the routes (``OwnerDep``): another
user's graph or run answers 404, exactly like one that does not exist.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from app.api.errors import refuse

COOKIE = "genaisys_session"
SHARE_HEADER = b"x-share-token"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_SHARE_READ = re.compile(r"^/api/shares/[A-Za-z0-9_-]{1,64}$")
_OPEN_API = frozenset({"/api/health", "/api/auth/me", "/api/auth/login", "/api/auth/logout"})
_SHARE_PAGE_CALLS = frozenset({("GET", "/api/nodes"), ("POST", "/api/validate")})
_CHALLENGE = ((b"www-authenticate", b'Bearer realm="genaisys"'),)


@dataclass(frozen=True)
class AuthUser:
    id: str
    name: str


def is_public(method: str, path: str) -> bool:
    """Requests that need no user: the canvas's own files and pages, health, signing in,
    reading what a share link shows (its token is the credential), and the demos (their
    gate checks the share on every request)."""
    if path in _OPEN_API or path.startswith("/demo/"):
        return True
    if method in ("GET", "HEAD"):
        if _SHARE_READ.match(path):
            return True
        return not path.startswith("/api/")  # the canvas, /s/{token}, the API docs: no data
    return False


def credentials(headers: dict[bytes, bytes]) -> tuple[str | None, bool]:
    """(token, from_cookie): the bearer token, else the session cookie's, else None."""
    auth = headers.get(b"authorization", b"").decode("latin-1")
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip() or None, False
    raw = headers.get(b"cookie", b"").decode("latin-1")
    if raw:
        cookie: SimpleCookie = SimpleCookie()
        try:
            cookie.load(raw)
        except Exception:  # a malformed Cookie header: as if there were none
            return None, False
        if COOKIE in cookie:
            return cookie[COOKIE].value or None, True
    return None, False


def same_origin(scope: Scope, headers: dict[bytes, bytes]) -> bool:
    """The request's Origin is this server (scheme and host as the request reached it)."""
    origin = headers.get(b"origin", b"").decode("latin-1")
    host = headers.get(b"host", b"").decode("latin-1")
    scheme = {"ws": "http", "wss": "https"}.get(scope.get("scheme", "http"), scope.get("scheme", "http"))
    return bool(origin and host) and origin == f"{scheme}://{host}"


def lookup(sessions: Any, token: str) -> AuthUser | None:
    from storage import repo

    with sessions() as session:
        user = repo.user_for_token(session, token=token)
        return None if user is None else AuthUser(user.id, user.name)


def valid_share(sessions: Any, token: str) -> bool:
    from storage import repo
    from storage.errors import NotFound

    with sessions() as session:
        try:
            repo.resolve_share(session, token=token)
        except NotFound:
            return False
        return True


class AuthGate:
    """Sets ``request.state.user`` from the credentials; refuses non-public requests without."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        sessions = scope["app"].state.sessions
        method = "WEBSOCKET" if scope["type"] == "websocket" else scope["method"]
        path = scope["path"]
        headers = dict(scope.get("headers") or [])
        token, from_cookie = credentials(headers)
        user = await asyncio.to_thread(lookup, sessions, token) if token else None
        if user is not None and from_cookie and method not in _SAFE_METHODS and not same_origin(scope, headers):
            await refuse(scope, send, 403, "cross_origin",
                         "this request came from another site with your session cookie; it was refused")
            return
        scope.setdefault("state", {})["user"] = user
        if user is None and not is_public(method, path):
            share = headers.get(SHARE_HEADER)
            if not ((method, path) in _SHARE_PAGE_CALLS and share
                    and await asyncio.to_thread(valid_share, sessions, share.decode("latin-1"))):
                if token:
                    await refuse(scope, send, 401, "invalid_token",
                                 "this API token is unknown or was revoked; ask the server's admin for a new one",
                                 _CHALLENGE)
                else:
                    await refuse(scope, send, 401, "auth_required",
                                 "this server requires signing in: send 'Authorization: Bearer <your API token>' "
                                 "(made with `genaisys users add NAME`), or sign in on the canvas", _CHALLENGE)
                return
        await self.app(scope, receive, send)


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
