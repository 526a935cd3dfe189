"""The live demos' routes: ``/demo/{token}`` redirects to the demo page, and a mount leads
everything under it to the demo hub's gate (``app.demo.hub``), which checks the share on
every request and builds the Gradio app on first use."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.routing import Mount

from app.api.body import ParsedBodyRoute
from app.demo.hub import DemoGate, active_demo, hub_of, not_found_response, warm_up


@contextlib.asynccontextmanager
async def _lifespan(app: Any) -> AsyncIterator[None]:
    """Runs inside the app's own lifespan (settings, sessions and runs are there)."""
    settings = getattr(app.state, "settings", None)
    if settings is not None and settings.demo_warmup:
        hub = hub_of(app)
        hub.warmup_times["scheduled"] = time.monotonic()
        hub.warmup = asyncio.create_task(warm_up(app), name="demo-warm-up")
    yield
    demos = getattr(app.state, "demos", None)
    if demos is not None:
        demos.close_all()


router = APIRouter(tags=["demos"], lifespan=_lifespan, route_class=ParsedBodyRoute)


@router.get("/demo/{token}", include_in_schema=False)
async def open_demo(token: str, request: Request) -> Response:
    """The demo page lives at ``/demo/{token}/``; 404 for a link that is not a live demo."""
    target = await asyncio.to_thread(active_demo, request.app.state.sessions, token)
    if target is None:
        hub_of(request.app).drop(token)
        return not_found_response(request.scope)
    query = f"?{request.url.query}" if request.url.query else ""
    return RedirectResponse(f"{token}/{query}", status_code=307)


router.routes.append(Mount("/demo/{token}", app=DemoGate(), name="demo"))
