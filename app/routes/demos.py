"""Live demos at ``/demo/{token}``: a demo share's graph as a Gradio app, built on first use.

Nothing here imports gradio until a demo is first opened. One Starlette ``Mount`` at
``/demo/{token}`` (in the router, so it sits before the canvas's catch-all ``/`` mount)
leads every request to ``DemoGate``, which

1. resolves the token on *every* request (page, assets, API, queue): unknown, revoked or
   expired tokens, tokens of ``view``/``fork`` shares and tokens whose graph is gone all
   get 404, so revoking a link stops a demo that is already built and open;
2. finds the built demo for (token, version) — a share that follows the latest version
   gets a new build once the graph is saved again, and the old one is closed — or builds
   it: imports gradio (in a thread; ``GRADIO_ANALYTICS_ENABLED=False`` first), builds the
   ``Blocks`` (``app.demo``), configures it with ``gr.mount_gradio_app`` and starts its
   queue (``run_startup_events`` / ``run_extra_startup_events``: a Blocks mounted after the
   server started never answers events otherwise);
3. hands the request to that Gradio app, whose scope (``root_path=/demo/{token}``) is the
   one a plain mount would give it.

``gr.mount_gradio_app`` is given a private FastAPI "shell" rather than the studio's app:
mounting on the studio's app would append a route behind the canvas's ``/`` mount (where
no request reaches it), grow its route list and lifespan chain with every build, and leave
no place for the per-request share check. The Gradio app it creates is taken from the shell.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import importlib
import json
import logging
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount
from starlette.types import ASGIApp, Receive, Scope, Send

from app.demo import DemoContext, default_file, demo_spec, file_digest
from app.demo_blocks import allowed_files, build_blocks
from app.errors import BodySizeLimit, error_body
from storage import repo
from storage.errors import NotFound
from storage.models import ShareMode

log = logging.getLogger("genaisys.demos")

NOT_FOUND = "no live demo at this link: it was revoked, has expired, or never existed"


@dataclass(frozen=True)
class DemoTarget:
    """What an active demo token points at, read from the database on each request."""

    token: str
    graph_id: str
    version_id: Any
    version_number: int


@dataclass
class BuiltDemo:
    version_id: Any
    blocks: Any
    asgi: ASGIApp


class DemoHub:
    """The demos built in this process, by token (one version each)."""

    def __init__(self) -> None:
        self.demos: dict[str, BuiltDemo] = {}
        self.locks: dict[str, asyncio.Lock] = {}

    async def get(self, app: FastAPI, target: DemoTarget) -> ASGIApp:
        built = self.demos.get(target.token)
        if built is not None and built.version_id == target.version_id:
            return built.asgi
        lock = self.locks.setdefault(target.token, asyncio.Lock())
        async with lock:
            built = self.demos.get(target.token)
            if built is not None and built.version_id == target.version_id:
                return built.asgi
            fresh = await build_demo(app, target)
            self.demos[target.token] = fresh
            if built is not None:  # the graph was saved again: the old version's demo goes
                _close(built)
            log.info("demo %s…: graph %s version %d is live", target.token[:6], target.graph_id, target.version_number)
            return fresh.asgi

    def drop(self, token: str) -> None:
        """Unmount a demo whose link stopped working."""
        built = self.demos.pop(token, None)
        self.locks.pop(token, None)
        if built is not None:
            _close(built)

    def close_all(self) -> None:
        for token in list(self.demos):
            self.drop(token)


def hub_of(app: FastAPI) -> DemoHub:
    hub = getattr(app.state, "demos", None)
    if hub is None:
        hub = app.state.demos = DemoHub()
    return hub


def _close(built: BuiltDemo) -> None:
    with contextlib.suppress(Exception):
        built.blocks.close(verbose=False)


# -- gradio, lazily --------------------------------------------------------------------------


async def load_gradio(temp_dir: Any = None) -> Any:
    """Import gradio off the event loop (it takes seconds), analytics off."""
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    if temp_dir is not None:
        os.environ.setdefault("GRADIO_TEMP_DIR", str(temp_dir))
    return await asyncio.to_thread(importlib.import_module, "gradio")


async def build_demo(app: FastAPI, target: DemoTarget) -> BuiltDemo:
    state = app.state
    settings = state.settings
    gr = await load_gradio(settings.data_dir / "gradio")
    document = await asyncio.to_thread(_load_document, state.sessions, target)
    spec = demo_spec(document, state.registry)
    defaults = await asyncio.to_thread(allowed_files, spec)
    digests = {}
    for fld in spec.inputs:
        if fld.kind in ("file", "audio", "image") and (path := default_file(fld.default)) is not None:
            digests[fld.node_id] = await asyncio.to_thread(file_digest, path)
    ctx = DemoContext(
        runs=state.runs, sessions=state.sessions, registry=state.registry, data_dir=settings.data_dir,
        max_upload_bytes=settings.max_upload_bytes, document=document, graph_id=target.graph_id,
        version_id=target.version_id, version_number=target.version_number, spec=spec, default_digests=digests,
        upload_root=Path(gr.utils.get_upload_folder()),
    )
    blocks = build_blocks(ctx)
    path = f"/demo/{target.token}"
    shell = FastAPI()
    gr.mount_gradio_app(
        shell, blocks, path=path,
        allowed_paths=[str(ctx.outputs_dir), *map(str, defaults)],
        max_file_size=settings.max_upload_bytes,
        footer_links=["api", "gradio"], run_history=False, show_error=True, mcp_server=False,
    )
    gradio_app = next(r.app for r in shell.router.routes if isinstance(r, Mount) and r.path == path)
    # Gradio checks that input files were uploaded (and output files are allowed) only for
    # apps it "launched"; a mounted app must ask for it, or a request could name any path.
    blocks.has_launched = True
    blocks.run_startup_events()
    await blocks.run_extra_startup_events()
    # JSON bodies stay under the studio's body limit; uploads are bounded by max_file_size
    asgi = BodySizeLimit(gradio_app, limit=settings.max_body_bytes, streamed=(f"{path}/gradio_api/upload",))
    return BuiltDemo(target.version_id, blocks, asgi)


# -- the share check -------------------------------------------------------------------------


def active_demo(sessions: Any, token: str) -> DemoTarget | None:
    """The demo an active ``demo`` share token points at; None for anything else."""
    if not token or len(token) > 64:
        return None
    with sessions() as session:
        try:
            share, graph, version = repo.resolve_share(session, token=token)
        except NotFound:
            return None
        if share.mode != ShareMode.DEMO.value:
            return None
        return DemoTarget(token, graph.id, version.id, version.number)


def _load_document(sessions: Any, target: DemoTarget) -> dict[str, Any]:
    with sessions() as session:
        version = repo.get_version(session, graph_id=target.graph_id, number=target.version_number)
        return json.loads(json.dumps(version.document))  # a private copy


def _not_found_response(scope: Scope) -> Response:
    accept = dict(scope.get("headers") or []).get(b"accept", b"").decode("latin-1")
    if "text/html" in accept:
        return HTMLResponse(
            "<!doctype html><title>Demo not found</title><h1>Demo not found</h1>"
            f"<p>{html.escape(NOT_FOUND)}.</p>", status_code=404)
    return JSONResponse(error_body("not_found", NOT_FOUND), status_code=404)


class DemoGate:
    """The ASGI app behind ``/demo/{token}``: share check, lazy build, then Gradio."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            return
        app: FastAPI = scope["app"]
        token = str(scope.get("path_params", {}).get("token", ""))
        target = await asyncio.to_thread(active_demo, app.state.sessions, token)
        hub = hub_of(app)
        if target is None:
            hub.drop(token)
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 4404})
                return
            await _not_found_response(scope)(scope, receive, send)
            return
        try:
            demo = await hub.get(app, target)
        except Exception:
            log.exception("demo %s…: the demo could not be built", token[:6])
            if scope["type"] == "http":
                response = JSONResponse(error_body("internal_error", "the demo could not be built; the server log says why"),
                                        status_code=500)
                await response(scope, receive, send)
            return
        await demo(scope, receive, send)


@contextlib.asynccontextmanager
async def _lifespan(app: Any) -> AsyncIterator[None]:
    yield
    hub = getattr(app.state, "demos", None)
    if hub is not None:
        hub.close_all()


router = APIRouter(tags=["demos"], lifespan=_lifespan)


@router.get("/demo/{token}", include_in_schema=False)
async def open_demo(token: str, request: Request) -> Response:
    """The demo page lives at ``/demo/{token}/``; 404 for a link that is not a live demo."""
    target = await asyncio.to_thread(active_demo, request.app.state.sessions, token)
    if target is None:
        hub_of(request.app).drop(token)
        return _not_found_response(request.scope)
    query = f"?{request.url.query}" if request.url.query else ""
    return RedirectResponse(f"{token}/{query}", status_code=307)


router.routes.append(Mount("/demo/{token}", app=DemoGate(), name="demo"))
