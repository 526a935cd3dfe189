"""The FastAPI application: API routers first, then the canvas's static files.

Start-up migrates the database (`alembic upgrade head`), turns runs a crash left
``queued``/``running`` into ``interrupted``, seeds the examples into a new database once,
and starts the run workers. Nothing here imports torch, gradio or chromadb: the first
response comes in well under a second and a half.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from app import errors
from app.auth import AuthGate
from app.engine.cache import ResultCache
from app.engine.executor import Executor
from app.routes import (
    artifacts,
    auth,
    demos,
    exchange,
    graphs,
    nodes,
    runs,
    shares,
    uploads,
    validate,
)
from app.runs import RunManager
from app.security import SecurityHeaders, SiteGuard
from app.settings import Settings
from nodes.registry import default_registry
from storage import repo
from storage.artifacts import ArtifactStore
from storage.db import current_revision, make_engine, make_session_factory, upgrade_to_head

log = logging.getLogger("genaisys")
ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
FRONTEND_DIST = ROOT / "frontend" / "dist"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    fence_files(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine, sessions = open_database(settings)
        with sessions() as session, session.begin():
            interrupted = repo.mark_interrupted(session)
            if interrupted:
                log.warning("%d run(s) were cut off by a crash and are now 'interrupted'", interrupted)
        registry = default_registry()
        executor = Executor(registry, ResultCache(settings.cache_entries, settings.cache_bytes),
                            node_timeout_s=settings.node_timeout_s,
                            max_text_output_bytes=settings.max_text_output_bytes)
        store = ArtifactStore(settings.artifacts_dir)
        manager = RunManager(executor, sessions, store, workers=settings.run_workers,
                             inline_limit=settings.inline_output_bytes,
                             max_queued_per_owner=settings.max_queued_runs_per_user)
        app.state.settings, app.state.sessions, app.state.registry = settings, sessions, registry
        app.state.artifacts, app.state.runs = store, manager
        manager.start()
        try:
            yield
        finally:
            manager.stop()
            executor.backend.shutdown()
            engine.dispose()

    app = FastAPI(title="GenAISys Studio", version="0.1.0", lifespan=lifespan,
                  description="Compose generative AI systems as typed graphs; run them; keep every version and run.")
    errors.install(app)
    for module in (auth, nodes, validate, exchange, graphs, runs, artifacts, uploads, shares, demos):
        app.include_router(module.router)
    app.include_router(runs.graph_router)
    app.include_router(shares.pages)

    @app.get("/api/health", tags=["health"])
    def health() -> dict[str, str]:
        """Liveness: the server answers."""
        return {"status": "ok"}

    mount_frontend(app)
    app.add_middleware(shares.ShareGuard)
    if settings.auth:
        app.add_middleware(AuthGate)
    app.add_middleware(errors.BodySizeLimit, limit=settings.max_body_bytes, streamed=("/api/uploads", "/demo/"))
    app.add_middleware(SiteGuard, bind_host=settings.host, allowed_hosts=settings.allowed_hosts.split(","))
    app.add_middleware(SecurityHeaders)  # outermost: its headers go on every refusal too
    return app


def fence_files(settings: Settings) -> None:
    """Tell the loader nodes which folders graphs may read (``nodes.runtime.paths``): the
    configured roots, or in auth mode the uploads, models and examples folders."""
    roots = settings.file_roots or None  # empty counts as unset: it must never open the fence
    if roots is None and settings.auth:
        roots = os.pathsep.join(str(p) for p in (settings.uploads_dir, settings.models_dir, EXAMPLES))
    if roots:
        for folder in (settings.uploads_dir, settings.models_dir):
            folder.mkdir(parents=True, exist_ok=True)
        os.environ["GENAISYS_FILE_ROOTS"] = roots


def open_database(settings: Settings) -> Any:
    """The engine and session factory of the settings' database, migrated to head. A
    brand-new database gets the examples."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.db_url)
    new_database = current_revision(engine) is None
    upgrade_to_head(engine)
    sessions = make_session_factory(engine)
    if new_database and settings.seed_examples:  # whoever opens it first: the server, or `users add`
        with sessions() as session, session.begin():
            seed_examples(session)
    return engine, sessions


def seed_examples(session: Session) -> int:
    """Put the shipped example graphs into a new database (once: a user may delete them)."""
    count = 0
    for path in sorted(EXAMPLES.glob("*.json")):
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            log.warning("example %s skipped: %s", path.name, exc)
            continue
        repo.create_graph(session, name=document.get("name") or path.stem, description=document.get("description", ""),
                          document=document, message=f"example {path.name}")
        count += 1
    return count


def mount_frontend(app: FastAPI) -> None:
    """Serve the built canvas at ``/``; API routes were added first and win."""
    index = FRONTEND_DIST / "index.html"
    if index.is_file():
        from fastapi.staticfiles import StaticFiles

        app.mount("/", StaticFiles(directory=FRONTEND_DIST, html=True), name="canvas")
        return

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def no_canvas() -> str:
        return ("<!doctype html><title>GenAISys Studio</title><h1>GenAISys Studio</h1>"
                "<p>The API is running: see <a href='/docs'>/docs</a>. The canvas is not built yet.</p>")
