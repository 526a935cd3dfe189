"""The FastAPI application: API routers first, then the canvas's static files.

Start-up migrates the database (`alembic upgrade head`), turns runs a crash left
``queued``/``running`` into ``interrupted`` (this replica's, and those of replicas whose lease
lapsed: ``app.services.leases``), seeds the examples into a new database once,
and starts the run workers. Nothing here imports torch, gradio or chromadb: the first
response comes in well under a second and a half.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from app.api import errors
from app.api.auth import AuthGate, ShareGuard
from app.api.routes import (
    analyze,
    artifacts,
    auth,
    demos,
    evals,
    exchange,
    graphs,
    nodes,
    runs,
    shares,
    uploads,
    validate,
)
from app.api.security import SecurityHeaders, SiteGuard
from app.engine.executor import Executor
from app.services.bootstrap import open_database
from app.services.eval_queue import EvalManager
from app.services.leases import hold_replica_id
from app.services.run_queue import RunManager
from app.services.warm_start import warm_start
from app.settings import FRONTEND_DIST, Settings
from nodes.registry import default_registry
from nodes.runtime.config import configure
from storage import repo
from storage.artifacts import ArtifactStore
from storage.checkpoint import background_checkpoints

log = logging.getLogger("genaisys")

GC_YOUNG_THRESHOLD = 10_000
"""Allocations between two collections of the cyclic collector's youngest generation in a
studio (Python's default: 700)."""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    fence_files(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine, sessions = open_database(settings)
        replica, replica_lock = (settings.replica_id, None) if settings.replica_id else hold_replica_id(settings.data_dir)
        with sessions() as session, session.begin():
            # ours (this replica id's, from before a crash), lapsed ones (a dead replica's) and
            # unclaimed ones (from before leases); other live replicas' runs are theirs
            interrupted = repo.mark_interrupted(session, replica_id=replica, lapsed_at=repo.db_now(session),
                                                unclaimed=True)
            if interrupted:
                log.warning("%d run(s) were cut off by a crash and are now 'interrupted'", interrupted)
            if cut := repo.mark_evaluations_interrupted(session, replica_id=replica, lapsed_at=repo.db_now(session),
                                                        unclaimed=True):
                log.warning("%d evaluation(s) were cut off by a crash and are now 'interrupted'", cut)
        registry = default_registry()
        executor = Executor(registry, settings.result_cache(sessions), backend=settings.node_backend(),
                            node_timeout_s=settings.node_timeout_s,
                            max_text_output_bytes=settings.max_text_output_bytes)
        store = ArtifactStore(settings.artifacts_dir)
        manager = RunManager(executor, sessions, store, workers=settings.run_workers,
                             inline_limit=settings.inline_output_bytes,
                             max_queued_per_owner=settings.max_queued_runs_per_user,
                             replica_id=replica, lease_s=settings.run_lease_s)
        app.state.settings, app.state.sessions, app.state.registry = settings, sessions, registry
        evaluations = EvalManager(executor, sessions, show=manager.summary,  # the runs' cache and models
                                  replica_id=replica, lease_s=settings.run_lease_s)  # its keeper renews them
        app.state.artifacts, app.state.runs, app.state.evals = store, manager, evaluations
        stop_checkpoints = background_checkpoints(engine)  # SQLite: no commit waits for the WAL's copy-back
        manager.start()
        if settings.warm_start and settings.backend == "thread":  # Ray workers keep their own models
            warm_start(sessions, registry)
        evaluations.start()
        # What start-up loaded (modules, the catalog) lives as long as the server: moved out
        # of the collector's reach, a full collection during a run walks only the run's own
        # objects (on a 2,000-node run it had cost a tenth of the run path).
        gc.freeze()
        # The youngest generation is collected every 10,000 allocations, not 700: a run's
        # records, events and rows live until it ends, and every collection walked them again
        # (a 5,000-node run spent 86 ms of 370 in the collector, 57 ms now). Model evictions
        # collect on their own (``nodes.runtime.cache``).
        thresholds = gc.get_threshold()
        gc.set_threshold(GC_YOUNG_THRESHOLD, *thresholds[1:])
        try:
            yield
        finally:
            gc.set_threshold(*thresholds)
            evaluations.stop()
            manager.stop()
            executor.backend.shutdown()
            if stop_checkpoints is not None:
                stop_checkpoints()
            engine.dispose()
            if replica_lock is not None:
                replica_lock.close()

    app = FastAPI(title="GenAISys Studio", version="0.1.0", lifespan=lifespan,
                  description="Compose generative AI systems as typed graphs; run them; keep every version and run.")
    errors.install(app)

    # routes are matched in order, each costing a request a few µs: the liveness probe and a
    # run's requests go first (a 2-node run through the graph's API: 2.73 to 2.51 ms with its
    # route first, not 35th)
    @app.get("/api/health", tags=["health"])
    async def health() -> dict[str, str]:
        """Liveness: the server answers (on the event loop: a probe needs no thread)."""
        return {"status": "ok"}

    app.include_router(runs.graph_router)
    app.include_router(runs.router)
    for module in (auth, nodes, validate, analyze, exchange, graphs, artifacts, uploads, shares, demos):
        app.include_router(module.router)
    app.include_router(evals.router)
    app.include_router(evals.graph_router)
    app.include_router(shares.pages)

    mount_frontend(app)
    app.add_middleware(ShareGuard)
    if settings.auth:
        app.add_middleware(AuthGate)
    app.add_middleware(errors.BodySizeLimit, limit=settings.max_body_bytes, streamed=("/api/uploads", "/demo/"))
    app.add_middleware(SiteGuard, bind_host=settings.host, allowed_hosts=settings.allowed_hosts.split(","))
    app.add_middleware(SecurityHeaders)  # outermost: its headers go on every refusal too
    return app


def fence_files(settings: Settings) -> None:
    """Hand the loader nodes their configuration (``nodes.runtime.config``) when graphs' reads
    are fenced: to the configured roots, or in auth mode the uploads, models and examples folders."""
    config = settings.runtime()
    if config.file_roots:
        for folder in (settings.uploads_dir, settings.models_dir):
            folder.mkdir(parents=True, exist_ok=True)
        configure(config)


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
