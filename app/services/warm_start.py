"""Warm start: after the server starts, load in the background the models its latest runs
used, so that the first run after a restart finds them loaded, as it would on a server that
never stopped (with the persistent result cache, a restart then costs a run nothing).

It reads the documents of the latest succeeded runs, and for each node whose class can warm up
(``Node.warm_up``: the model families) loads its model once, newest runs first, within the
model runtime's budget (which evicts as for any load). It runs on a daemon thread after
start-up, so the server answers at once; a failure is logged and skipped, never fatal.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.engine.vocabulary import RunStatus
from nodes.api import Node
from nodes.registry import Registry
from storage.models import Run

log = logging.getLogger("genaisys.warm_start")

RECENT_RUNS = 5
"""How many of the latest runs' models are loaded."""


def models_to_warm(documents: list[Any], registry: Registry) -> list[tuple[type[Node], dict[str, Any]]]:
    """Each (node class, params) that would load a distinct model, in the order first met."""
    seen: set[tuple[str, str]] = set()
    found: list[tuple[type[Node], dict[str, Any]]] = []
    for document in documents:
        for node in (document or {}).get("nodes") or []:
            if not isinstance(node, dict):
                continue
            cls = registry.get(str(node.get("type")))
            if cls is None or not cls.overrides("warm_up"):
                continue
            given = node.get("params")
            params: dict[str, Any] = given if isinstance(given, dict) else {}
            key = (cls.type_id, json.dumps(params.get("model"), sort_keys=True))
            if key not in seen:
                seen.add(key)
                found.append((cls, dict(params)))
    return found


def warm_start(sessions: Callable[[], Session], registry: Registry, *, runs: int = RECENT_RUNS) -> threading.Thread:
    """Start loading the latest runs' models on a daemon thread; returns the thread."""
    thread = threading.Thread(target=_warm, args=(sessions, registry, runs), name="genaisys-warm-start", daemon=True)
    thread.start()
    return thread


def _warm(sessions: Callable[[], Session], registry: Registry, runs: int) -> None:
    t0 = time.perf_counter()
    try:
        with sessions() as session:
            documents = list(session.scalars(
                select(Run.document).where(Run.status == RunStatus.SUCCEEDED.value)
                .order_by(Run.created_at.desc()).limit(runs)))
    except Exception:
        log.exception("warm start could not read the latest runs")
        return
    loaded = 0
    for cls, params in models_to_warm(documents, registry):
        try:
            loaded += bool(cls.warm_up(params))
        except Exception as exc:  # a model that is gone or broken: its next run says so
            log.warning("warm start skipped %s (%s): %s", cls.type_id, params.get("model", "default model"), exc)
    if loaded:
        log.info("warm start: %d loaded (the models and stores of the latest runs) in %.1f s", loaded,
                 time.perf_counter() - t0)
