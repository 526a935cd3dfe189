"""Live demos at ``/demo/{token}``: a demo share's graph as a Gradio app, built on first use.

The route (``app.api.routes.demos``) mounts `DemoGate`; everything else lives here.

Nothing here imports gradio until a demo is first opened. One Starlette ``Mount`` at
``/demo/{token}`` (in the router, so it sits before the canvas's catch-all ``/`` mount)
leads every request to `DemoGate`, which

1. resolves the token on *every* request (page, assets, API, queue): unknown, revoked or
   expired tokens, tokens of ``view``/``fork`` shares and tokens whose graph is gone all
   get 404, so revoking a link stops a demo that is already built and open;
2. finds the built demo for (token, version) — a share that follows the latest version
   gets a new build once the graph is saved again, and the old one is closed — or builds
   it: imports gradio (in a thread; ``GRADIO_ANALYTICS_ENABLED=False`` first), builds the
   ``Blocks`` (``app.demo.blocks``), configures it with ``gr.mount_gradio_app`` and starts its
   queue (``run_startup_events`` / ``run_extra_startup_events``: a Blocks mounted after the
   server started never answers events otherwise);
3. hands the request to that Gradio app, whose scope (``root_path=/demo/{token}``) is the
   one a plain mount would give it — an upload through ``UploadGuard`` first, which bounds
   the files of one request and the bytes and files of the demo uploads folder.

A built demo costs CPU while it is mounted, requests or not: its Gradio queue polls for work
(two asyncio loops, waking every 1 and 10 ms on Linux; we slow them to Gradio's own Windows
pace, 50 and 100 ms). So the hub unmounts a demo that has had no request for ``demo_idle_s``
(``reap``; Gradio's heartbeat stream, which an open page may hold, does not count) and the
next request builds it again, with the same app id and the same event numbers: a page left
open still runs. Gradio itself is imported in the background a few seconds after start-up
(``warm_up``), off the start-up path, so that the first demo link opens fast.

``gr.mount_gradio_app`` is given a private FastAPI "shell" rather than the studio's app:
mounting on the studio's app would append a route behind the canvas's ``/`` mount (where
no request reaches it), grow its route list and lifespan chain with every build, and leave
no place for the per-request share check. The Gradio app it creates is taken from the shell.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import html
import importlib
import json
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount
from starlette.types import ASGIApp, Receive, Scope, Send

from app.api.errors import BodySizeLimit, error_body
from app.demo.blocks import allowed_files, build_blocks
from app.demo.spec import DemoContext, DemoField, DemoSpec, default_file, demo_spec
from app.demo.uploads import UploadGuard, UploadQuota
from nodes.runtime.sources import file_sha256
from storage import repo
from storage.errors import NotFound
from storage.models import ShareMode

log = logging.getLogger("genaisys.demos")

NOT_FOUND = "no live demo at this link: it was revoked, has expired, or never existed"

IDLE_CHECK_S = 15.0
"""Most seconds between two looks of the reaper at the built demos (a quarter of ``demo_idle_s``
when that is shorter), so a demo goes at most this long after its idle time is up."""
WARMUP_DELAY_S = 3.0
"""Seconds after start-up before gradio is imported in the background: the server answers
its first requests (the canvas, the catalog) before the import competes with them."""
HEARTBEAT = "/gradio_api/heartbeat/"
"""Gradio's keep-alive stream: an open page may hold it for hours, so it is not activity."""


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
    served: Any = None
    """The Gradio app that serves ``blocks`` (not ``blocks.app``, which Gradio made before the mount)."""
    in_flight: int = 0
    """Requests to it under way (Gradio's heartbeat stream left out)."""
    last_used: float = field(default_factory=time.monotonic)
    """When a request last began or ended (``time.monotonic``)."""

    async def serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.in_flight += 1
        self.last_used = time.monotonic()
        try:
            await self.asgi(scope, receive, send)
        finally:
            self.in_flight -= 1
            self.last_used = time.monotonic()

    def idle_for(self, now: float) -> float:
        """Seconds it has been idle: 0 while a request is under way or its queue holds an
        event (a client may join an event and never come back for the result)."""
        if self.in_flight or _queue_busy(self.blocks):
            return 0.0
        return now - self.last_used


class DemoHub:
    """The demos built in this process, by token (one version each), and the task that
    unmounts those left idle for ``idle_s``."""

    def __init__(self, idle_s: float = 120.0) -> None:
        self.demos: dict[str, BuiltDemo] = {}
        self.locks: dict[str, asyncio.Lock] = {}
        self.quota: UploadQuota | None = None
        """The demo uploads folder's, shared by every demo (they upload to one folder)."""
        self.idle_s = idle_s
        self.app_ids: dict[str, tuple[Any, int]] = {}
        """(version, Gradio app id) of the demos unmounted for idleness: a rebuild keeps the
        id, so a page left open sees the same app (``/gradio_api/app_id``) and carries on."""
        self.reaper: asyncio.Task[None] | None = None
        self.warmup: asyncio.Task[None] | None = None
        self.warmup_times: dict[str, float] = {}
        """The background warm-up's ``scheduled`` and ``began`` (``time.monotonic``) and ``took`` (s)."""

    def held(self, target: DemoTarget) -> BuiltDemo | None:
        """The demo built for ``target``, if it is mounted now."""
        built = self.demos.get(target.token)
        return built if built is not None and built.version_id == target.version_id else None

    async def get(self, app: FastAPI, target: DemoTarget) -> BuiltDemo:
        if (built := self.held(target)) is not None:
            return built
        lock = self.locks.setdefault(target.token, asyncio.Lock())
        async with lock:
            if (built := self.held(target)) is not None:
                return built
            old = self.demos.get(target.token)
            version, app_id = self.app_ids.pop(target.token, (None, None))
            fresh = await build_demo(app, target, app_id if version == target.version_id else None)
            self.demos[target.token] = fresh
            if old is not None:  # the graph was saved again: the old version's demo goes
                _close(old)
            log.info("demo %s…: graph %s version %d is live", target.token[:6], target.graph_id, target.version_number)
            if self.reaper is None or self.reaper.done():
                self.reaper = asyncio.create_task(self.reap(), name="demo-reaper")
            return fresh

    async def reap(self) -> None:
        """Unmount idle demos, looking every ``IDLE_CHECK_S`` at most; ends with the last demo."""
        every = min(IDLE_CHECK_S, max(self.idle_s / 4, 0.05))
        while self.demos:
            await asyncio.sleep(every)
            try:
                self.unmount_idle(time.monotonic())
            except Exception:  # keep looking: a demo left mounted only costs CPU
                log.exception("the demo reaper failed; it tries again in %.0f s", every)

    def unmount_idle(self, now: float) -> list[str]:
        """Close the demos idle for ``idle_s`` or more (not one being rebuilt); their tokens."""
        gone = []
        for token, built in list(self.demos.items()):
            lock = self.locks.get(token)
            if built.idle_for(now) < self.idle_s or (lock is not None and lock.locked()):
                continue
            del self.demos[token]
            self.app_ids[token] = (built.version_id, built.blocks.app_id)
            _close(built)
            gone.append(token)
            log.info("demo %s…: unmounted after %.0f s without requests; the next request builds it again",
                     token[:6], now - built.last_used)
        return gone

    def drop(self, token: str) -> None:
        """Unmount a demo whose link stopped working."""
        built = self.demos.pop(token, None)
        self.locks.pop(token, None)
        self.app_ids.pop(token, None)
        if built is not None:
            _close(built)

    def close_all(self) -> None:
        for task in (self.reaper, self.warmup):
            if task is not None:
                task.cancel()
        for token in list(self.demos):
            self.drop(token)


def hub_of(app: FastAPI) -> DemoHub:
    hub = getattr(app.state, "demos", None)
    if hub is None:
        settings = getattr(app.state, "settings", None)
        hub = app.state.demos = DemoHub(settings.demo_idle_s) if settings is not None else DemoHub()
    return hub


def _close(built: BuiltDemo) -> None:
    """Stop its queue, and end the heartbeat streams of the app that serves it (``Blocks.close``
    signals only ``blocks.app``'s)."""
    with contextlib.suppress(Exception):
        built.blocks.close(verbose=False)
    with contextlib.suppress(Exception):
        built.served.stop_event.set()


def _queue_busy(blocks: Any) -> bool:
    """Whether the Blocks' queue holds an event, waiting or running (Gradio's private
    ``Queue``: read defensively, and any surprise counts as not busy)."""
    try:
        queue = blocks._queue
        return len(queue) > 0 or any(job is not None for job in queue.active_jobs)
    except Exception:
        return False


def _poll_gently(queue: Any) -> None:
    """Gradio's queue polls for work every 1 ms and for progress every 10 ms on Linux, idle
    or not (``Queue.start_processing`` / ``start_progress_updates``): ~1,100 wake-ups a
    second per mounted demo. It uses 50 and 100 ms on Windows; so do we — an event waits at
    most 50 ms more to start, progress shows ten times a second."""
    for name, seconds in (("sleep_when_free", 0.05), ("progress_update_sleep_when_free", 0.1)):
        if isinstance(getattr(queue, name, None), float):
            setattr(queue, name, max(getattr(queue, name), seconds))


# -- gradio, lazily --------------------------------------------------------------------------


async def load_gradio(temp_dir: Any = None) -> Any:
    """Import gradio off the event loop (it takes seconds), analytics off."""
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    if temp_dir is not None:
        os.environ.setdefault("GRADIO_TEMP_DIR", str(temp_dir))
    return await asyncio.to_thread(importlib.import_module, "gradio")


async def warm_up(app: FastAPI, delay: float = WARMUP_DELAY_S) -> None:
    """Import gradio (in a thread) and build a throwaway demo (not started: no queue), so the
    first demo link pays only for its own Blocks. Runs ``delay`` seconds after start-up."""
    state, hub = app.state, hub_of(app)
    await asyncio.sleep(delay)
    t0 = hub.warmup_times["began"] = time.monotonic()
    try:
        gr = await load_gradio(state.settings.data_dir / "gradio")
        spec = DemoSpec("warm-up", "", (DemoField("text", "text", "Text", "hello"),), (DemoField("out", "text", "Out"),))
        ctx = DemoContext(runs=state.runs, sessions=state.sessions, registry=state.registry,
                          data_dir=state.settings.data_dir, max_upload_bytes=state.settings.max_upload_bytes,
                          document={}, graph_id="", version_id=None, version_number=0, spec=spec,
                          upload_root=Path(gr.utils.get_upload_folder()))
        gr.mount_gradio_app(FastAPI(), build_blocks(ctx), path="/demo/warm-up", footer_links=["api", "gradio"],
                            run_history=False, mcp_server=False)
    except Exception:  # the first demo then pays for it, as before
        log.warning("demo warm-up failed; the first demo will import gradio itself", exc_info=True)
        return
    hub.warmup_times["took"] = time.monotonic() - t0
    gc.freeze()  # gradio's modules live as long as the server: out of the collector's walks
    log.info("gradio is ready for demos (warmed up in the background in %.1f s)", hub.warmup_times["took"])


async def build_demo(app: FastAPI, target: DemoTarget, app_id: int | None = None) -> BuiltDemo:
    state = app.state
    settings = state.settings
    gr = await load_gradio(settings.data_dir / "gradio")
    document = await asyncio.to_thread(_load_document, state.sessions, target)
    spec = demo_spec(document, state.registry)
    defaults = await asyncio.to_thread(allowed_files, spec)
    digests = {}
    for fld in spec.inputs:
        if fld.kind in ("file", "audio", "image") and (default_path := default_file(fld.default)) is not None:
            digests[fld.node_id] = await asyncio.to_thread(file_sha256, default_path)
    ctx = DemoContext(
        runs=state.runs, sessions=state.sessions, registry=state.registry, data_dir=settings.data_dir,
        max_upload_bytes=settings.max_upload_bytes, document=document, graph_id=target.graph_id,
        version_id=target.version_id, version_number=target.version_number, spec=spec, default_digests=digests,
        upload_root=Path(gr.utils.get_upload_folder()),
    )
    blocks = build_blocks(ctx)
    if app_id is not None:  # a rebuild after idleness: the same app to a page left open
        blocks.app_id = app_id
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
    _poll_gently(blocks._queue)
    blocks.run_startup_events()
    await blocks.run_extra_startup_events()
    # JSON bodies stay under the studio's body limit; uploads are bounded by max_file_size per
    # file, app.demo.uploads.MAX_UPLOAD_FILES per request and the quota of the uploads folder
    upload = f"{path}/gradio_api/upload"
    asgi: ASGIApp = BodySizeLimit(gradio_app, limit=settings.max_body_bytes, streamed=(upload,))
    hub = hub_of(app)
    if hub.quota is None:
        hub.quota = UploadQuota(Path(ctx.upload_root or gr.utils.get_upload_folder()), settings.demo_uploads_max_bytes,
                                settings.demo_uploads_max_files)
    asgi = UploadGuard(asgi, upload, hub.quota, settings.data_dir / "demo" / "incoming")
    return BuiltDemo(target.version_id, blocks, asgi, served=gradio_app)


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
        if share.mode != ShareMode.DEMO:
            return None
        return DemoTarget(token, graph.id, version.id, version.number)


def _load_document(sessions: Any, target: DemoTarget) -> dict[str, Any]:
    with sessions() as session:
        version = repo.get_version(session, graph_id=target.graph_id, number=target.version_number)
        return json.loads(json.dumps(version.document))  # a private copy


def not_found_response(scope: Scope) -> Response:
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
            await not_found_response(scope)(scope, receive, send)
            return
        if scope["type"] == "http" and HEARTBEAT in scope.get("path", ""):
            # not activity, and no reason to build: a demo that is not mounted has no sessions
            if (held := hub.held(target)) is not None:
                await held.asgi(scope, receive, send)
            else:
                await Response(status_code=204)(scope, receive, send)
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
        await demo.serve(scope, receive, send)
