"""What a browser may do with this server, whichever mode it runs in.

`SiteGuard` keeps web pages of other sites from using a studio that runs on the user's own
machine (the hole behind LangFlow's CVE-2026-48520): it serves only the Host names the
server is reachable by, so a DNS-rebinding page (whose requests carry its own name) gets
nothing; and it refuses any request that could change something (every method but
GET/HEAD/OPTIONS, and every websocket) when the browser says it came from a page of another
origin (``Origin``, ``Sec-Fetch-Site``). Scripts send neither header and are not affected.

`SecurityHeaders` adds to every response: no MIME sniffing, no referrer leaks, and for the
canvas's pages a content security policy that allows only this server (and data: images
for previews) and forbids framing. Demos (/demo/...) may be framed: embedding them is the
point of a demo; the API docs page keeps its own needs."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.errors import refuse

CANVAS_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "media-src 'self' blob: data:; connect-src 'self'; font-src 'self' data:; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
_ALWAYS = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer")]
_OWN_RULES = ("/demo/", "/docs", "/redoc")


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        own_rules = scope["path"].startswith(_OWN_RULES)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in _ALWAYS if k not in present]
                is_html = any(k.lower() == b"content-type" and v.startswith(b"text/html") for k, v in headers)
                if is_html and not own_rules:
                    headers += [(b"content-security-policy", CANVAS_CSP.encode()), (b"x-frame-options", b"DENY")]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
_WILDCARD_BINDS = {"", "0.0.0.0", "::", "[::]"}
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_OTHER_SITES = frozenset({b"cross-site", b"same-site"})
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


def allowed_host_names(bind_host: str, extra: Iterable[str]) -> frozenset[str] | None:
    """The Host names to serve: loopback's, the address bound (unless it is a wildcard) and
    the configured extras; None if the extras say ``*`` (a proxy in front checks Host)."""
    names = {n.strip().lower().strip("[]") for n in extra if n.strip()}
    if "*" in names:
        return None
    if bind_host.strip().lower() not in _WILDCARD_BINDS:
        names.add(bind_host.strip().lower().strip("[]"))
    return frozenset(names | set(LOOPBACK_NAMES))


def _split_host(value: str, scheme: str = "") -> tuple[str, int | None] | None:
    """(name, port) of a Host header or of an Origin's authority, the port None when absent
    or the scheme's default (a browser leaves it out of both); None if it is not a host."""
    try:
        parts = urlsplit(f"//{value}")
        port = parts.port
    except ValueError:
        return None
    if not parts.hostname:
        return None
    return parts.hostname, None if port == _DEFAULT_PORTS.get(scheme) else port


def _is_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


class SiteGuard:
    """Refuses (403) requests under a Host name the server does not go by, and writes and
    websockets that a browser made for a page of another origin."""

    def __init__(self, app: ASGIApp, *, bind_host: str = "127.0.0.1", allowed_hosts: Iterable[str] = ()) -> None:
        self.app = app
        self.names = allowed_host_names(bind_host, allowed_hosts)

    def host_allowed(self, host: tuple[str, int | None] | None) -> bool:
        """Address literals always pass: a rebinding page reaches the server by a name it
        controls, and a browser sends that name as Host, never the address behind it."""
        if host is None:
            return False
        return self.names is None or host[0] in self.names or _is_address(host[0])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        raw_host = headers.get(b"host", b"").decode("latin-1")
        host = _split_host(raw_host)
        if not self.host_allowed(host):
            shown = raw_host[:100] or "(none)"
            await refuse(scope, send, 403, "host_not_allowed",
                         f"this studio does not answer to the host name {shown!r}: open it as localhost or "
                         "127.0.0.1, or add the name to GENAISYS_ALLOWED_HOSTS (comma-separated)")
            return
        if (scope["type"] == "websocket" or scope["method"] not in _SAFE_METHODS) and self.from_another_site(headers, host):
            await refuse(scope, send, 403, "cross_origin",
                         "this request came from a page of another site; only the studio's own pages, "
                         "and scripts, may change anything here")
            return
        await self.app(scope, receive, send)

    @staticmethod
    def from_another_site(headers: dict[bytes, bytes], host: tuple[str, int | None] | None) -> bool:
        """What the browser says: ``Sec-Fetch-Site`` (sent by every current browser), and
        ``Origin`` compared by host and port with the Host the request came to."""
        if headers.get(b"sec-fetch-site", b"").lower() in _OTHER_SITES:
            return True
        origin = headers.get(b"origin")
        if origin is None:
            return False  # not sent for a page's own same-origin GETs, nor by scripts
        parts = urlsplit(origin.decode("latin-1").strip())
        return _split_host(parts.netloc, parts.scheme) != host if parts.netloc else True
