"""Run a checked graph: plan with networkx, skip what the cache already knows, run the rest.

One scheduler loop owns all bookkeeping (cache, records, events order); node work runs
inline for trivial nodes and on the backend's threads otherwise, so independent branches
overlap while GPU nodes take turns on one lock. A node that fails fails its descendants;
every other branch still finishes. Cancelling stops new nodes at once and running ones at
their next progress report or poll.
"""

from __future__ import annotations

import hashlib
import queue
import time
import traceback
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import networkx as nx
from pydantic import ValidationError

from app.engine.backend import (
    GPU_LOCK,
    Backend,
    NodeJob,
    Outcome,
    ThreadBackend,
    WorkerLost,
    run_node,
)
from app.engine.cache import ResultCache, Signature, params_hash
from app.engine.context import CancelToken, RunContext
from app.engine.events import Emitter, EventSink
from app.engine.problems import Problem
from app.engine.records import GraphInvalid, NodeRecord, RunResult
from app.engine.subgraphs import SubgraphNodes, flatten, has_subgraphs
from app.engine.validate import CheckedGraph, CheckedNode, validate
from app.engine.vocabulary import EventType, FailureCode, NodeStatus, RunStatus
from nodes.api import Node, NodeCancelled, NodeError
from nodes.registry import Registry

NodeHook = Callable[["NodeRecord"], Any]
MAX_TEXT_OUTPUT_BYTES = 16 * 1024 * 1024
"""The default bound on one text output (Settings.max_text_output_bytes)."""


class Executor:
    def __init__(
        self,
        registry: Registry,
        cache: ResultCache | None = None,
        backend: Backend | None = None,
        gpu_lock: Any = GPU_LOCK,
        node_timeout_s: float | None = None,
        max_text_output_bytes: int | None = MAX_TEXT_OUTPUT_BYTES,
    ) -> None:
        """``node_timeout_s`` bounds how long a node dispatched to the backend may run
        (inline nodes are trivial and never timed). ``max_text_output_bytes`` bounds each
        text a node returns (UTF-8 bytes): a larger one fails the node, so a small graph
        cannot make a huge artifact; None for no bound."""
        self.registry = registry
        self.node_timeout_s = node_timeout_s
        self.max_text_output_bytes = max_text_output_bytes
        self.cache = cache if cache is not None else ResultCache()
        self.backend = backend or ThreadBackend()
        self.gpu_lock = gpu_lock

    def run(
        self,
        document: Any,
        inputs: Mapping[str, Any] | None = None,
        *,
        on_event: EventSink | Iterable[EventSink] | None = None,
        cancel: CancelToken | None = None,
        run_id: str | None = None,
        scope: str | None = None,
        on_node_settled: NodeHook | None = None,
        owner_id: str | None = None,
        bypass_cache: bool = False,
    ) -> RunResult:
        """Validate ``document``, apply run ``inputs`` (io input node id -> value) and run it.

        Raises GraphInvalid before anything runs; otherwise always returns a RunResult,
        whatever the nodes do. ``scope`` names the graph for the cache's "why it ran".
        ``on_node_settled`` is called on the scheduler thread when a node has finished or
        was served from the cache, before its event goes out; what it returns (a JSON-safe
        summary of the outputs, say) rides on that event as ``outputs``.

        ``owner_id`` is the user whose run it is (``--auth``): nodes see it on their context,
        and cache keys and "why it ran" are that user's own, so no user is served another's
        result, nor learns from a cache hit what another ran.

        ``bypass_cache`` (a replay) runs every node again and leaves the cache as it was."""
        checked = document if isinstance(document, CheckedGraph) else validate(document, self.registry)
        if not checked.ok:
            raise GraphInvalid(checked.problems, checked)
        params = apply_inputs(checked, inputs or {})
        if has_subgraphs(checked):  # run the parts: path ids, ordinary nodes to the scheduler
            checked, params = flatten(checked, params)
        sinks = [on_event] if callable(on_event) else list(on_event or [])
        emitter = Emitter(run_id or uuid.uuid4().hex, sinks)
        scope = scope or checked.name
        if owner_id is not None:
            scope = f"user:{owner_id}:{scope}"
        run = _Run(self, checked, params, emitter, cancel or CancelToken(), scope, on_node_settled, owner_id)
        run.bypass = bypass_cache
        return run.execute()


def apply_inputs(checked: CheckedGraph, inputs: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Each node's params, with the run's inputs put into the io input nodes' ``value``."""
    params = {nid: node.params for nid, node in checked.nodes.items()}
    problems: list[Problem] = []
    for nid, value in inputs.items():
        node = checked.nodes.get(nid)
        if node is None or node.cls.role != "input":
            have = ", ".join(n for n, c in checked.nodes.items() if c.cls.role == "input") or "none"
            problems.append(Problem("unknown_input", f"{nid!r} is not an input node of this graph; its inputs: {have}", node_id=nid))
            continue
        try:
            params[nid] = node.cls.validate_params({**node.params, "value": value})
        except ValidationError as exc:
            msg = exc.errors(include_url=False)[0]["msg"]
            problems.append(Problem("bad_input", f"input {nid!r} ({node.cls.title}): {msg}", node_id=nid, param="value"))
    if problems:
        raise GraphInvalid(problems, checked)
    return params


class _Run:
    """The state of one run; lives on the caller's thread."""

    def __init__(
        self,
        ex: Executor,
        checked: CheckedGraph,
        params: dict[str, dict[str, Any]],
        emit: Emitter,
        cancel: CancelToken,
        scope: str,
        on_settled: NodeHook | None,
        owner_id: str | None = None,
    ) -> None:
        self.ex = ex
        self.owner_id = owner_id
        self.on_settled = on_settled
        self.checked = checked
        self.params = params
        self.emit = emit
        self.cancel = cancel
        self.scope = scope
        self.records = {nid: NodeRecord(nid, n.cls.type_id) for nid, n in checked.nodes.items()}
        self.values: dict[str, dict[str, Any]] = {}
        self.keys: dict[str, str] = {}
        self.handles: dict[str, dict[str, Any]] = {}
        """Per node, where the backend keeps its outputs (``Outcome.handles``)."""
        self.bypass = False
        self.always: set[str] = set()
        """Nodes that run every time (their class says so, or their values make them random)."""
        self.done_q: queue.SimpleQueue[tuple[str, Callable[[], Any]]] = queue.SimpleQueue()
        self.deadlines: dict[str, tuple[float, RunContext]] = {}
        self.timed_out: set[str] = set()
        self.subgraphs = SubgraphNodes(checked.groups, checked.group_outputs, self.records, self.values, emit,
                                       self._settled, self._fail)

    def _until_next_deadline(self) -> float | None:
        if not self.deadlines:
            return None
        return max(0.0, min(d for d, _ in self.deadlines.values()) - time.monotonic())

    def _overdue(self) -> list[str]:
        now = time.monotonic()
        return [nid for nid, (deadline, _) in self.deadlines.items() if deadline <= now]

    def _time_out(self, nid: str) -> None:
        """Fail a node that ran past the time limit. Its thread cannot be killed; it is told
        to stop (its next progress report or poll raises) and its late result is dropped."""
        _, ctx = self.deadlines.pop(nid)
        ctx.expire()
        self.timed_out.add(nid)
        limit = self.ex.node_timeout_s
        self._fail(self.records[nid], FailureCode.TIMEOUT, f"node {nid!r} ran longer than {limit:g} s and was stopped; "
                   "raise the limit with GENAISYS_NODE_TIMEOUT_S if it needs longer")

    def execute(self) -> RunResult:
        graph = self.checked.graph
        generations = [sorted(g) for g in nx.topological_generations(graph)]
        started, t0 = time.time(), time.perf_counter()
        self.emit(EventType.RUN_STARTED, nodes=len(self.records), generations=len(generations))
        waiting = {nid: graph.in_degree(nid) for nid in graph}
        ready = deque(n for gen in generations for n in gen if waiting[n] == 0)
        in_flight = 0
        while ready or in_flight:
            if not ready:
                try:
                    nid, finish = self.done_q.get(timeout=self._until_next_deadline())
                except queue.Empty:  # a node ran past its time limit: it fails, the run goes on
                    for late in self._overdue():
                        in_flight -= 1
                        self._time_out(late)
                        self._release(late, waiting, ready)
                    continue
                if nid in self.timed_out:
                    continue  # it finished after all, too late: already failed and released
                self.deadlines.pop(nid, None)
                in_flight -= 1
                finish()
                self._release(nid, waiting, ready)
                continue
            nid = ready.popleft()
            if self._start(nid):  # dispatched to the backend
                in_flight += 1
            else:
                self._release(nid, waiting, ready)
        self.subgraphs.settle_empty()
        status = self._final_status()
        duration = time.perf_counter() - t0
        outputs = {nid: self.values[nid].get("value") for nid, n in self.checked.nodes.items()
                   if n.cls.role == "output" and nid in self.values and not self.subgraphs.inside(nid)}
        self.emit(EventType.RUN_FINISHED, status=status, duration_s=duration, outputs=list(outputs))
        return RunResult(self.emit.run_id, status, self.records, outputs, started, duration, generations)

    def _release(self, nid: str, waiting: dict[str, int], ready: deque[str]) -> None:
        self.subgraphs.settled(nid)
        for child in self.checked.graph.successors(nid):
            waiting[child] -= 1
            if waiting[child] == 0:
                ready.append(child)

    def _final_status(self) -> str:
        statuses = {r.status for r in self.records.values()}
        if self.cancel.cancelled or NodeStatus.CANCELLED in statuses:
            return RunStatus.CANCELLED
        return RunStatus.FAILED if NodeStatus.FAILED in statuses else RunStatus.SUCCEEDED

    # -- one node ------------------------------------------------------------------------

    def _start(self, nid: str) -> bool:
        """Start ``nid``; True if it now runs elsewhere, False if it is already settled."""
        node, record = self.checked.nodes[nid], self.records[nid]
        if self.cancel.cancelled:
            record.status, record.reason = NodeStatus.CANCELLED, "run cancelled before this node started"
            return False
        for src, _ in node.incoming.values():
            if self.records[src].status in (NodeStatus.FAILED, NodeStatus.CANCELLED):
                self._fail(record, FailureCode.UPSTREAM_FAILED, f"not run: upstream node {src!r} did not finish")
                return False
        kwargs, signature, handles = self._inputs(node)
        random = node.cls.nondeterminism(kwargs)
        cacheable = node.cls.cacheable and random is None and not self.bypass
        if not cacheable:
            self.always.add(nid)
        key = signature.key() if cacheable else f"{signature.key()}:{self.emit.run_id}"
        if self.owner_id is not None:  # each user's results are their own
            key = hashlib.sha256(f"user:{self.owner_id}|{key}".encode()).hexdigest()
        record.cache_key, self.keys[nid] = key, key
        entry = self.ex.cache.entry(key) if cacheable else None
        stale = (entry is not None and entry[1].get("restored") is True and node.cls.overrides("still_valid")
                 and not _still_valid(node.cls, entry[0], self.owner_id))  # read back from disk: checked once
        if entry is not None and not stale:
            hit, origin = entry
            record.status, record.reason, record.outputs = NodeStatus.CACHED, "unchanged", hit
            record.provenance = {**origin.get("provenance", {}), "computed_by_run": origin.get("run_id")}
            self.values[nid] = hit
            self.ex.cache.remember(self.scope, nid, signature)
            self.emit(EventType.NODE_CACHED, nid, reason="unchanged", **self._settled(record))
            return False
        before = self.ex.cache.last_signature(self.scope, nid)
        why = signature.why_changed(before) if cacheable else ""
        if why == "evicted" and node.cls.inline and before is not None and before.restored:
            why = "recomputed: a trivial node's result is not kept across restarts"
        record.reason = ("what it stored changed since (its cached result no longer holds)" if stale
                         else why if cacheable else f"always runs: {random}" if random
                         else "replayed: the result cache is bypassed" if self.bypass else "always runs")
        record.status, record.started_at = NodeStatus.RUNNING, time.time()
        self.emit(EventType.NODE_STARTED, nid, reason=record.reason)
        self.subgraphs.started(nid, record.reason)
        ctx = RunContext(nid, self.emit.run_id, self.emit, self.cancel, owner_id=self.owner_id,
                         max_text_output_bytes=self.ex.max_text_output_bytes)
        if node.cls.inline:
            self._finish(node, record, signature, ctx, run_node(node.cls, kwargs, ctx, self.ex.gpu_lock))
            return False
        job = NodeJob(node.cls, kwargs, ctx, self.ex.gpu_lock, handles)
        if self.ex.node_timeout_s:
            self.deadlines[nid] = (time.monotonic() + self.ex.node_timeout_s, ctx)
        # done() runs on a backend thread: the bookkeeping goes back to the loop
        self.ex.backend.submit(job, lambda outcome: self.done_q.put(
            (nid, lambda: self._finish(node, record, signature, ctx, outcome))))
        return True

    def _inputs(self, node: CheckedNode) -> tuple[dict[str, Any], Signature, dict[str, Any] | None]:
        params = self.params[node.id]
        kwargs: dict[str, Any] = {}
        handles: dict[str, Any] | None = None
        input_keys: list[str] = []
        effective: dict[str, Any] = {}
        for port in node.ports.inputs:
            source = node.incoming.get(port.name)
            if source is not None:
                value = self.values[source[0]][source[1]]
                kwargs[port.name] = [value] if port.name in node.lifted else value
                input_keys.append(f"{port.name}={self.keys[source[0]]}:{source[1]}")
                if self.handles and port.name not in node.lifted:  # the thread backend keeps none
                    kept = self.handles.get(source[0])
                    if kept is not None and source[1] in kept:
                        handles = handles or {}
                        handles[port.name] = kept[source[1]]
            elif port.name in params:
                kwargs[port.name] = effective[port.name] = params[port.name]
            elif port.has_default:
                kwargs[port.name] = port.default
        content = node.cls.content_identity(effective) if node.cls.overrides("content_identity") else None
        sig = Signature(node.cls.type_id, node.cls.version, params_hash(effective), tuple(input_keys), content)
        return kwargs, sig, handles

    def _finish(self, node: CheckedNode, record: NodeRecord, signature: Signature, ctx: RunContext, outcome: Outcome) -> None:
        out, exc, seconds = outcome.out, outcome.exc, outcome.seconds
        record.duration_s = seconds
        record.provenance = ctx.provenance
        if exc is None:
            exc = _check_outputs(node, out, self.ex.max_text_output_bytes)
        if isinstance(exc, NodeCancelled):
            record.status, record.reason = NodeStatus.CANCELLED, "run cancelled while this node ran"
            self._settled(record)
            self.emit(EventType.NODE_FAILED, node.id, code=FailureCode.CANCELLED, message=record.reason)
            return
        if exc is not None:
            code = (FailureCode.NODE_ERROR if isinstance(exc, NodeError) else FailureCode.WORKER_LOST
                    if isinstance(exc, WorkerLost) else FailureCode.NODE_CRASHED)
            message = str(exc) if isinstance(exc, NodeError) else f"{type(exc).__name__}: {exc}"
            record.traceback = "".join(traceback.format_exception(exc))
            self._fail(record, code, message)
            return
        record.status, record.outputs = NodeStatus.SUCCEEDED, out
        record.provenance["node_version"] = node.cls.version
        self.values[node.id] = out
        if outcome.handles:
            self.handles[node.id] = outcome.handles
        if node.id not in self.always:
            origin = {"run_id": self.emit.run_id, "provenance": record.provenance}
            self.ex.cache.put(record.cache_key, out, origin, durable=not node.cls.inline)
            self.ex.cache.remember(self.scope, node.id, signature)
        self.emit(EventType.NODE_FINISHED, node.id, duration_s=seconds, **self._settled(record))

    def _settled(self, record: NodeRecord) -> dict[str, Any]:
        if self.on_settled is None:
            return {}
        try:
            summary = self.on_settled(record)
        except Exception as exc:  # storing a result failed: the node's work is still good
            record.error = {"code": FailureCode.NOT_STORED, "message": f"{type(exc).__name__}: {exc}"}
            return {}
        return {} if summary is None else {"outputs": summary}

    def _fail(self, record: NodeRecord, code: str, message: str) -> None:
        record.status, record.error = NodeStatus.FAILED, {"code": code, "message": message}
        self._settled(record)
        self.emit(EventType.NODE_FAILED, record.node_id, code=code, message=message)


def _still_valid(cls: type[Node], outputs: dict[str, Any], owner_id: str | None) -> bool:
    try:
        return bool(cls.still_valid(outputs, owner_id))
    except Exception:  # it cannot tell: run the node again, which can
        return False


def _check_outputs(node: CheckedNode, out: Any, max_text_bytes: int | None = None) -> Exception | None:
    if not isinstance(out, dict):
        return NodeError(f"node {node.id!r} ({node.cls.type_id}) returned {type(out).__name__}, not a dict of outputs")
    wanted = ("value",) if node.cls.role == "output" else node.ports.outputs_by_name
    missing = [name for name in wanted if name not in out]
    if missing:
        return NodeError(f"node {node.id!r} ({node.cls.type_id}) did not return its output(s) {', '.join(missing)}")
    if max_text_bytes is not None:
        for value in out.values():
            if isinstance(value, str) and (size := _text_bytes(value, max_text_bytes)) > max_text_bytes:
                at_least = "" if value.isascii() or len(value) < size else "at least "
                return NodeError(f"node {node.id!r} produced a text of {at_least}{size:,} bytes; the limit is "
                                 f"{_amount(max_text_bytes)} (GENAISYS_MAX_TEXT_OUTPUT_BYTES)")
    return None


def _text_bytes(text: str, limit: int) -> int:
    """The UTF-8 size of ``text`` as far as ``limit`` needs it, encoding only when the length
    cannot decide: exact for ASCII, else the length when that is over the limit (a lower
    bound: no character is under a byte) or surely under it (four bytes a character at most)."""
    if text.isascii() or len(text) > limit or 4 * len(text) <= limit:
        return len(text)
    return len(text.encode("utf-8", "surrogatepass"))


def _amount(n: int) -> str:
    return f"{n // 1024**2} MiB" if n % 1024**2 == 0 else f"{n:,} bytes"
