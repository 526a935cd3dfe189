"""Where node work runs: threads in this process by default, Ray workers with ``--backend ray``.

The executor hands a backend one ``NodeJob`` per node: the node's class (its ``type_id``
names it in any process that loaded the same registry), its keyword inputs, and the run's
context for that node (progress out, cancel in, provenance back). The backend calls
``done(Outcome)`` once, from any thread. Ray is imported only by ``app.engine.ray_backend``,
and only when that backend is chosen (``Settings.node_backend``)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

if TYPE_CHECKING:
    from app.engine.context import RunContext
    from nodes.api import Node

GPU_LOCK = threading.Lock()
"""One lock for the whole process: GPU work is serialised, so one GPU never holds two jobs."""


class WorkerLost(Exception):
    """The process running a node died (a Ray actor killed, its machine gone): the node fails
    with ``worker_lost``; the backend replaces the worker for the next job."""


class Outcome(NamedTuple):
    out: Any
    exc: Exception | None
    seconds: float
    handles: dict[str, Any] | None = None
    """Per output name, where the backend keeps that value (a Ray object ref), so a job that
    takes it as an input receives the handle instead of a copy from this process."""


@dataclass(slots=True)
class NodeJob:
    """One node's work, in a shape a backend can ship elsewhere."""

    cls: type[Node]
    kwargs: dict[str, Any]
    ctx: RunContext
    gpu_lock: Any = GPU_LOCK
    handles: dict[str, Any] | None = None
    """Input port -> the backend's handle of the value in ``kwargs`` (from ``Outcome.handles``)."""

    def run_here(self) -> Outcome:
        """Run the node in this process."""
        return run_node(self.cls, self.kwargs, self.ctx, self.gpu_lock)


def run_node(cls: type[Node], kwargs: dict[str, Any], ctx: RunContext, gpu_lock: Any = GPU_LOCK) -> Outcome:
    """Run a node here (a trivial node on the executor's loop, any job on a thread or in a
    worker); every failure is the node's, never the run's."""
    t0 = time.perf_counter()
    try:
        ctx.check_cancelled()  # queued on the backend before a cancel: it must not start after it
        instance = cls()
        if cls.uses_gpu:
            with gpu_lock:
                ctx.check_cancelled()
                out = instance.run(ctx, **kwargs)
        else:
            out = instance.run(ctx, **kwargs)
        return Outcome(out, None, time.perf_counter() - t0)
    except Exception as exc:
        return Outcome(None, exc, time.perf_counter() - t0)


Done = Callable[[Outcome], Any]


class Backend(Protocol):
    def submit(self, job: NodeJob, done: Done) -> None: ...

    def shutdown(self) -> None: ...


class ThreadBackend:
    def __init__(self, max_workers: int | None = None) -> None:
        self._pool = ThreadPoolExecutor(
            max_workers=max_workers or max(4, (os.cpu_count() or 2) * 2),
            thread_name_prefix="genaisys-node",
        )

    def submit(self, job: NodeJob, done: Done) -> None:
        self._pool.submit(lambda: done(job.run_here()))

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

