"""Node work on a Ray cluster (``--backend ray``); the only module that imports ray.

Model nodes (``uses_gpu``) run in long-lived actors, one per GPU (``num_gpus=1``), or CPU
actors on a cluster without GPUs: each actor process has its own model runtime, so a model
loads once per worker and stays warm across runs. Every other node stays in this process:
trivial (``inline``) ones on the executor's loop as with threads, the rest (stores, loaders,
the splitter) on a thread pool here, since they read this machine's files and the embedded
Chroma store belongs to one process.

An actor's job is a streaming generator: progress items while the node runs, then a header
(error or output names, provenance) and one object per output. Those outputs stay in the
object store: a later actor job that takes one receives its reference and reads it from the
store, never a copy sent through this process. This process reads each output once, as the
executor must (the result cache, stored results, hashes, summaries). A cancel (or the node's
time limit) is sent to the actor, where the node sees it at its next poll. An actor that dies
fails its node with ``worker_lost`` and is replaced for the next job.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import queue
import threading
import time
import traceback
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ray
from ray.exceptions import RayActorError

from app.engine.backend import Done, NodeJob, Outcome, ThreadBackend, WorkerLost
from app.engine.context import CancelToken, RunContext
from nodes.runtime.config import RuntimeConfig, configure, current

ROOT = Path(__file__).resolve().parents[2]
"""The code the driver runs; workers on this machine put it first on their path, so they run
the same code (a checkout beside an installed copy included)."""
PASSED_ENV = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HUB_DISABLE_TELEMETRY", "ANONYMIZED_TELEMETRY")
"""What the driver's environment says that the libraries in a worker must hear too."""
POLL_S = 0.1
"""How often a waiting driver thread looks at the run's cancellation."""
ACTOR_THREADS = 8
"""Jobs one actor takes at once (GPU ones take turns on its lock); cancels have threads of their own."""
NAMESPACE = "genaisys"
"""Where the shared workers of a joined cluster are named: ``node-worker-0``, ``node-worker-1``, ..."""
NAME_FREED_S = 30.0
"""How long a replacement waits for a dead shared worker's name to be released by the cluster."""


class NodeWorker:
    """One worker process: the node registry and the model runtime of its own.

    Ray sets its math threads (``OMP_NUM_THREADS``) to its CPU share, so workers on one
    machine do not fight over its cores. Float sums over another thread count may differ in
    their last bits from a thread run's; with the driver's count they are identical."""

    def __init__(self, runtime: RuntimeConfig) -> None:
        configure(runtime)
        from nodes.registry import default_registry

        self.registry = default_registry()
        self.gpu_lock = threading.Lock()
        self.tokens: dict[str, CancelToken] = {}
        context = ray.get_runtime_context()
        self.identity = {"actor_id": context.get_actor_id(), "node_ip": ray.util.get_node_ip_address(),
                         "pid": os.getpid()}

    @ray.method(concurrency_group="control")
    def whoami(self) -> dict[str, Any]:
        return {**self.identity, "threads": os.environ.get("OMP_NUM_THREADS")}

    @ray.method(concurrency_group="control")
    def cancel(self, key: str, reason: str) -> None:
        """Cancel a job, running or not started yet (it then never starts). Its own threads, so
        jobs waiting for the GPU lock cannot hold a cancel up."""
        self.tokens.setdefault(key, CancelToken()).cancel(reason)

    @ray.method(num_returns="streaming")
    def run(self, spec: dict[str, Any], names: list[str], *values: Any) -> Iterator[Any]:
        """Run one node; yield ("progress", data)..., then ("done", header), then each output."""
        token = self.tokens.setdefault(spec["key"], CancelToken())
        items: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()

        def relay(_type: Any, _node_id: Any = None, **data: Any) -> None:
            items.put(("progress", data))

        ctx = RunContext(spec["node_id"], spec["run_id"], relay, token, owner_id=spec["owner_id"],
                         max_text_output_bytes=spec["max_text_output_bytes"])
        cls = self.registry.get(spec["type_id"])

        def work() -> None:
            if cls is None:
                outcome = Outcome(None, RuntimeError(f"node type {spec['type_id']!r} is not in this worker's "
                                                     "registry: give workers the same custom node folders"), 0.0)
            else:
                kwargs = {**spec["kwargs"], **dict(zip(names, values, strict=True))}
                outcome = NodeJob(cls, kwargs, ctx, self.gpu_lock).run_here()
            items.put(("outcome", outcome))

        threading.Thread(target=work, name=f"node-{spec['node_id']}", daemon=True).start()
        try:
            while True:
                kind, item = items.get()
                if kind == "progress":
                    yield ("progress", item)
                    continue
                ctx.record("worker", self.identity)
                out, exc, seconds, _ = item
                if exc is not None:
                    yield ("done", {"exc": _portable(exc, self.identity), "seconds": seconds,
                                    "provenance": ctx.provenance, "names": []})
                    return
                names_out = list(out) if isinstance(out, dict) else None
                yield ("done", {"exc": None, "seconds": seconds, "provenance": ctx.provenance, "names": names_out})
                if names_out is None:
                    yield out
                else:
                    for value in out.values():  # noqa: UP028 (a Ray generator cannot `yield from`)
                        yield value
                return
        finally:
            self.tokens.pop(spec["key"], None)


def _portable(exc: Exception, identity: dict[str, Any]) -> Exception:
    """``exc`` as it can travel back (its own class when it pickles), with the worker's
    traceback as a note, since a traceback does not travel."""
    text = "".join(traceback.format_exception(exc))
    try:
        sent: Exception = pickle.loads(pickle.dumps(exc))
    except Exception:
        sent = RuntimeError(f"{type(exc).__name__}: {exc}")
    sent.add_note(f"on Ray worker {identity}:\n{text}")
    return sent


@dataclass
class _Slot:
    """One actor and its load: jobs go to the least busy; a dead actor is replaced here."""

    actor: Any
    index: int = 0
    busy: int = 0


class RayBackend:
    """Model nodes in Ray actors, other nodes in this process (see the module's docstring)."""

    def __init__(self, address: str | None = None, runtime: RuntimeConfig | None = None, workers: int = 0) -> None:
        self._started_ray = not ray.is_initialized()
        if self._started_ray:
            ray.init(address=address or "local", include_dashboard=False, configure_logging=False, log_to_driver=False)
        self.shared = not self._started_ray or (address or "local") != "local"
        """On a cluster this process joined, the model workers are named and detached, one set for
        every studio process on it (the replicas behind one proxy): the first to start creates
        them, the others use them, none stops them, and their models stay loaded across a
        replica's restart. A cluster of this process's own gets workers of its own."""
        self.runtime = runtime or current()
        resources = ray.cluster_resources()
        gpus = int(resources.get("GPU", 0))
        if gpus:
            self._options: dict[str, Any] = {"num_gpus": 1}
            count = workers or gpus
        else:  # an equal share of the CPUs each; Ray gives a worker as many math threads
            cpus = max(1, int(resources.get("CPU", 1)))
            count = min(workers or 2, cpus)
            self._options = {"num_cpus": cpus // count}
        env = {name: os.environ[name] for name in PASSED_ENV if name in os.environ}
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
        self._options.update(max_concurrency=ACTOR_THREADS, runtime_env={"env_vars": env})
        # ray's overloads omit concurrency_groups, which ray.remote takes (cancels get threads of their own)
        self._actor_class = ray.remote(concurrency_groups={"control": 2})(NodeWorker)  # type: ignore[call-overload]
        self._lock = threading.Lock()
        self._closing = False
        self.slots = [_Slot(self._new_actor(i), i) for i in range(count)]
        self._relays = ThreadPoolExecutor(max_workers=64, thread_name_prefix="genaisys-ray")
        self._local = ThreadBackend()
        self.by_reference = 0
        """How many inputs went to actors as object references (the bench and tests read it)."""

    def _new_actor(self, index: int, dead: Any = None) -> Any:
        if not self.shared:
            return self._actor_class.options(**self._options).remote(self.runtime)
        name = f"node-worker-{index}"
        deadline = time.monotonic() + NAME_FREED_S
        while True:
            actor = self._actor_class.options(**self._options, name=name, namespace=NAMESPACE, get_if_exists=True,
                                              lifetime="detached").remote(self.runtime)
            if dead is None or actor._actor_id != dead._actor_id or time.monotonic() > deadline:
                return actor  # a live one, made here or by another studio process
            time.sleep(POLL_S)  # the cluster still names the dead one: its name is released soon

    def workers(self) -> list[dict[str, Any]]:
        """Each actor's identity (actor id, node ip, pid); waits until they have started."""
        return list(ray.get([slot.actor.whoami.remote() for slot in self.slots]))

    def submit(self, job: NodeJob, done: Done) -> None:
        if not job.cls.uses_gpu:
            self._local.submit(job, done)
            return
        with self._lock:
            slot = min(self.slots, key=lambda s: s.busy)
            slot.busy += 1
        self._relays.submit(self._relay, slot, job, done)

    def _relay(self, slot: _Slot, job: NodeJob, done: Done) -> None:
        """On a driver thread: start the job on ``slot``'s actor, pass its progress on, send
        it a cancel when the run is cancelled, and hand back its outcome."""
        ctx, t0 = job.ctx, time.perf_counter()
        actor = slot.actor
        try:
            # cancelled before it was sent: it never starts, run_here says so
            outcome = job.run_here() if ctx.cancelled else self._remote(actor, job, ctx, t0)
        except RayActorError as exc:
            self._replace(slot, actor)
            message = f"the Ray worker running node {ctx.node_id!r} died ({type(exc).__name__}); it was replaced"
            outcome = Outcome(None, WorkerLost(message), time.perf_counter() - t0)
        except Exception as exc:  # the job could not be sent (an input that does not pickle, ...)
            outcome = Outcome(None, exc, time.perf_counter() - t0)
        finally:
            with self._lock:
                slot.busy -= 1
        done(outcome)

    def _remote(self, actor: Any, job: NodeJob, ctx: RunContext, t0: float) -> Outcome:
        handles = job.handles or {}
        names = list(handles)
        self.by_reference += len(names)
        spec = {"key": uuid.uuid4().hex, "type_id": job.cls.type_id, "node_id": ctx.node_id, "run_id": ctx.run_id,
                "owner_id": ctx.owner_id, "max_text_output_bytes": ctx.max_text_output_bytes,
                "kwargs": {k: v for k, v in job.kwargs.items() if k not in handles}}
        stream = actor.run.remote(spec, names, *(handles[n] for n in names))
        told = False
        while True:
            if ctx.cancelled and not told:
                actor.cancel.remote(spec["key"], ctx.cancel_reason)
                told = True
            ready, _ = ray.wait([stream], timeout=POLL_S)
            if not ready:
                continue
            try:
                kind, data = ray.get(next(stream))
            except StopIteration:
                raise WorkerLost(f"the Ray worker running node {ctx.node_id!r} ended without a result") from None
            if kind == "progress":
                ctx.relay_progress(data)
                continue
            ctx.provenance.update(data["provenance"])
            if data["exc"] is not None:
                return Outcome(None, data["exc"], data["seconds"])
            if data["names"] is None:
                return Outcome(ray.get(next(stream)), None, data["seconds"])
            refs = [next(stream) for _ in data["names"]]
            values = ray.get(refs)
            return Outcome(dict(zip(data["names"], values, strict=True)), None, data["seconds"],
                           dict(zip(data["names"], refs, strict=True)))

    def _replace(self, slot: _Slot, dead: Any) -> None:
        with self._lock:
            if slot.actor is not dead or self._closing:
                return  # another job on it saw it die first, or the backend is closing
        with contextlib.suppress(Exception):  # already gone
            ray.kill(dead, no_restart=True)
        fresh = self._new_actor(slot.index, dead)  # outside the lock: it may wait for the name
        with self._lock:
            if slot.actor is dead and not self._closing:
                slot.actor = fresh
                return
        if not self.shared:  # another job replaced it meanwhile, or the backend closed
            with contextlib.suppress(Exception):
                ray.kill(fresh, no_restart=True)

    def shutdown(self) -> None:
        """Stop this process's own actors (a job still running on one ends as ``worker_lost``;
        shared workers stay for the other studio processes), then the rest."""
        with self._lock:
            self._closing = True
        for slot in self.slots if not self.shared else ():
            with contextlib.suppress(Exception):
                ray.kill(slot.actor, no_restart=True)
        self._relays.shutdown(wait=True, cancel_futures=True)
        self._local.shutdown()
        if self._started_ray:
            ray.shutdown()

