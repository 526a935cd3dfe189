"""The run queue: accepted runs wait here, worker threads execute them, events fan out.

The event loop never runs node work: a run is validated and recorded (``queued``) on the
request, then executed on a worker thread; with one worker (the default), one run at a
time holds the models, so one GPU is never asked for two at once. Every event goes to the
run's live watchers (each an asyncio queue, fed thread-safely) and, but for the many
``node_progress`` ticks, to the database, so a watcher that connects late, or after a
restart, is first given what already happened.

Node results and events are written in batches: at most every ``FLUSH_INTERVAL_S`` while a
run goes on (and the events a slow node keeps waiting, about once a second, by the lease
keeper: watchers on other replicas read them from the database), and the rest in the one
transaction that records the run's end. A transaction
per node made a 1,000-node run spend 5 ms a node on commits; a crash now loses at most the
last quarter second of a running run's node results (the run itself becomes ``interrupted``).
``run_finished`` reaches watchers only once that last transaction is committed, so a client
that reads the run when told it finished reads it finished.
"""

from __future__ import annotations

import contextlib
import logging
import platform
import socket
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from app.engine.events import Event
from app.engine.executor import Executor, NodeRecord, RunResult, apply_inputs
from app.engine.provenance import library_versions, node_provenance
from app.engine.validate import CheckedGraph
from app.engine.vocabulary import EventType, FailureCode, NodeStatus, RunStatus
from app.services.fair_queue import FairQueue
from app.services.leases import DEFAULT_LEASE_S, LeaseKeeper
from app.services.live_run import DONE, LiveRun
from app.services.outputs import preview, summarize
from app.services.replay import ReplayPlan
from app.services.replay import report as replay_report
from storage import repo
from storage.artifacts import ArtifactStore
from storage.errors import InvalidRunState

log = logging.getLogger("genaisys.runs")

CHECKED_KEPT = 64
"""Saved versions whose validation a run of them reuses (the no-change re-run's largest cost)."""

FLUSH_INTERVAL_S = 0.25
"""Longest a settled node's result waits before it is written (while its run goes on)."""


class RunManager:
    def __init__(
        self,
        executor: Executor,
        session_factory: Callable[[], Session],
        artifacts: ArtifactStore,
        *,
        workers: int = 1,
        inline_limit: int = 64 * 1024,
        max_queued_per_owner: int = 20,
        replica_id: str | None = None,
        lease_s: float = DEFAULT_LEASE_S,
    ) -> None:
        self.executor = executor
        self.replica_id = replica_id or f"{socket.gethostname()}-{uuid.uuid4().hex[:8]}"
        """Whose claim this process's runs carry (``app.services.leases``): the server's
        ``GENAISYS_REPLICA_ID``; a fresh one for ``genaisys run``."""
        self.lease_s = lease_s
        self.sessions = session_factory
        self.artifacts = artifacts
        self.inline_limit = inline_limit
        self._queue = FairQueue(max_queued_per_owner)
        self._live: dict[str, LiveRun] = {}
        self._checked: OrderedDict[Any, CheckedGraph] = OrderedDict()
        self._checked_lock = threading.Lock()
        self._threads = [threading.Thread(target=self._worker, name=f"genaisys-run-{i}", daemon=True) for i in range(workers)]
        self.leases = LeaseKeeper(self)

    def start(self) -> None:
        for t in self._threads:
            t.start()
        self.leases.start()

    def stop(self, timeout: float = 10.0) -> None:
        for live in list(self._live.values()):
            live.cancel.cancel("the server is shutting down")
        self._queue.close()  # the workers settle what is still waiting (cancelled), then stop
        for t in self._threads:
            t.join(timeout)
        self.leases.stop()  # last: the runs settled above held their leases until the end

    # -- requests (event loop thread) ----------------------------------------------------

    def submit(self, checked: CheckedGraph, inputs: dict[str, Any], *, document: dict[str, Any],
               graph_id: str | None = None, graph_version_id: Any = None, owner_id: str | None = None,
               replay: ReplayPlan | None = None) -> str:
        """Record a checked graph as a queued run and put it in line. Raises GraphInvalid
        for inputs the graph's input nodes do not accept, and TooManyQueued when its owner
        already has the most runs waiting; nothing is recorded then. A ``replay`` runs past
        the result cache and ends with its verdicts in the run's provenance."""
        apply_inputs(checked, inputs)
        run_id = uuid.uuid4().hex
        started = self._queue.claim()  # a worker is idle and nothing waits: the run starts now
        reserved = False
        try:
            with self.sessions() as session, session.begin():
                owner_id = repo.record_run(  # as recorded: a run without one is its graph owner's
                    session, run_id=run_id, graph_id=graph_id, graph_version_id=graph_version_id, document=document,
                    inputs=inputs, owner_id=owner_id, provenance={"replay": replay.header()} if replay else None,
                    status=RunStatus.RUNNING if started else RunStatus.QUEUED,
                    claimed_by=self.replica_id, lease_until=repo.lease_until(session, self.lease_s))
                if not started:
                    self._queue.reserve(owner_id)  # a full line rolls the row back
                    reserved = True
        except BaseException:
            if started:
                self._queue.unclaim()
            if reserved:  # the commit failed after all
                self._queue.release(owner_id)
            raise
        self._live[run_id] = LiveRun(run_id, graph_id, checked, inputs, owner_id=owner_id, replay=replay, started=started)
        if started:
            self._queue.hand(owner_id, run_id)
        else:
            self._queue.put(owner_id, run_id)
        return run_id

    def run_here(self, checked: CheckedGraph, inputs: dict[str, Any], *, document: dict[str, Any],
                 graph_id: str | None = None, graph_version_id: Any = None, owner_id: str | None = None,
                 listener: Callable[[Event], Any] | None = None) -> tuple[str, RunResult | None]:
        """Record a run and execute it on the calling thread (``genaisys run``): the same
        record, node results and events as a queued run's, in the same history. ``listener``
        sees each event as it happens. Returns the run's id and result (None if the run hit
        an internal error, which is recorded). Raises GraphInvalid for refused inputs."""
        apply_inputs(checked, inputs)
        run_id = uuid.uuid4().hex
        with self.sessions() as session, session.begin():
            owner_id = repo.record_run(session, run_id=run_id, graph_id=graph_id, graph_version_id=graph_version_id,
                                       document=document, inputs=inputs, owner_id=owner_id, status=RunStatus.RUNNING,
                                       claimed_by=self.replica_id, lease_until=repo.lease_until(session, self.lease_s))
        live = LiveRun(run_id, graph_id, checked, inputs, owner_id=owner_id, listener=listener, started=True)
        self._live[run_id] = live
        with self.leases.kept():  # a long run outlives its first lease; a server would settle it
            self._settle(live)
        return run_id, live.result

    def checked_version(self, graph_version_id: Any) -> CheckedGraph | None:
        """The validator's verdict on a saved version that passed before (versions never change;
        one with subgraph nodes is never kept, as the graphs it names may be deleted)."""
        if graph_version_id is None:
            return None
        with self._checked_lock:
            checked = self._checked.get(graph_version_id)
            if checked is not None:
                self._checked.move_to_end(graph_version_id)
            return checked

    def keep_checked(self, graph_version_id: Any, checked: CheckedGraph) -> None:
        with self._checked_lock:
            self._checked[graph_version_id] = checked
            while len(self._checked) > CHECKED_KEPT:
                self._checked.popitem(last=False)

    def live(self, run_id: str) -> LiveRun | None:
        return self._live.get(run_id)

    def live_ids(self) -> list[str]:
        """The runs this process holds that have not ended."""
        return [run_id for run_id, live in list(self._live.items()) if not live.finished]

    def cancel(self, run_id: str, reason: str = "cancelled by the user") -> bool:
        """Stop a run of this process; one still waiting leaves its line and ends ``cancelled``
        now, on the caller's thread (no node of it runs), so its place is free at once."""
        live = self._live.get(run_id)
        if live is None or live.finished:
            return False
        live.cancel.cancel(reason)
        if self._queue.remove(run_id):
            self._settle(live)
        return True

    # -- work (worker threads) -----------------------------------------------------------

    def _worker(self) -> None:
        while (run_id := self._queue.take()) is not None:
            self._settle(self._live[run_id])

    def _settle(self, live: LiveRun) -> None:
        """Execute a run taken from the queue and see it finished, whatever happens."""
        run_id = live.id
        try:
            self._execute(live)
        except InvalidRunState as exc:  # settled by another replica while this one had lost its lease
            log.warning("run %s was not recorded here: %s", run_id, exc)
        except Exception:  # a bug of ours: the run fails, the worker lives on
            log.exception("run %s crashed", run_id)
            with contextlib.suppress(InvalidRunState):  # unless another replica settled it meanwhile
                self._finish(live, RunStatus.FAILED, {"code": FailureCode.INTERNAL_ERROR, "message": "the run stopped on an internal error; it is logged"}, {}, {})
        finally:
            live.publish(DONE)
            # everything is committed by now: a later watcher reads the stored record, and the
            # run's objects leave the heap (kept a minute, they made each collection walk them)
            self._live.pop(run_id, None)

    def _execute(self, live: LiveRun) -> None:
        if not live.started:  # recorded queued: started now, if still ours to start
            with self.sessions() as session, session.begin():
                repo.mark_run_started(session, run_id=live.id, replica_id=self.replica_id)

        def on_event(event: Event) -> None:
            if live.listener is not None:
                live.listener(event)
            data = event.to_json()
            if "preview" in event.data:
                data["data"] = {**event.data, "preview": preview(event.data["preview"])}
            if data["type"] == EventType.RUN_FINISHED:
                live.hold_ending(data)
            else:
                live.publish(data)

        result = self.executor.run(
            live.checked, live.inputs, on_event=on_event, cancel=live.cancel, run_id=live.id,
            scope=live.graph_id or "unsaved", on_node_settled=lambda record: self._store_node(live, record),
            owner_id=live.owner_id, bypass_cache=live.replay is not None,
        )
        live.result = result
        outputs = {nid: self.summary(v) for nid, v in result.outputs.items()}
        error = None
        if result.status == RunStatus.FAILED:
            failed = [r for r in result.nodes.values() if r.error and r.error["code"] != FailureCode.UPSTREAM_FAILED]
            if failed and (first := failed[0]).error is not None:
                error = {"code": FailureCode.NODE_FAILED, "message": f"node {first.node_id!r} failed: {first.error['message']}",
                         "node_id": first.node_id}
        elif result.status == RunStatus.CANCELLED:
            error = {"code": FailureCode.CANCELLED, "message": live.cancel.reason or "the run was cancelled"}
        provenance: dict[str, Any] = {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "generations": result.generations,
            "cache": {nid: {"status": r.status, "reason": r.reason} for nid, r in result.nodes.items()},
            "nodes": {nid: r.provenance for nid, r in result.nodes.items() if r.provenance},
            "libraries": library_versions(),
        }
        if live.replay is not None:
            provenance["replay"] = replay_report(live.replay, live.checked, result, provenance["libraries"])
        never_ran = [self._settled(r, None) for r in result.nodes.values() if r.status in (NodeStatus.PENDING, NodeStatus.CANCELLED) and not r.started_at]
        self._finish(live, result.status, error, outputs, provenance, never_ran)

    def _finish(self, live: LiveRun, status: str, error: Any, outputs: dict[str, Any], provenance: dict[str, Any],
                rows: list[repo.Settled] | None = None) -> None:
        """Write what is left and the run's end in one transaction, then tell the watchers."""
        with live.write_lock, self.sessions() as session, session.begin():
            repo.finish_run(session, run_id=live.id, status=status, error=error, outputs=outputs, provenance=provenance)
            repo.add_settled(session, run_id=live.id, nodes=live.take_rows() + (rows or []))
            repo.add_run_events(session, run_id=live.id, events=live.take_unsaved())
            self._flush_cache(session, signatures=True)
        live.ended = (status, outputs, error)
        if live.ending is not None:
            live.publish(live.ending, saved=True)

    def _store_node(self, live: LiveRun, record: NodeRecord) -> Any:
        """Keep one node's result as it settles, written with the next batch; return the
        outputs' summary for its event (big outputs are in the artifact store already)."""
        summary = {k: self.summary(v) for k, v in record.outputs.items()} if record.status in (NodeStatus.SUCCEEDED, NodeStatus.CACHED) else None
        with live.lock:
            live.rows.append(self._settled(record, summary))
            due = time.monotonic() - live.flushed_at >= FLUSH_INTERVAL_S
        if due:
            self._flush(live)
        return summary

    def _flush(self, live: LiveRun) -> None:
        with live.write_lock, self.sessions() as session, session.begin():
            repo.add_settled(session, run_id=live.id, nodes=live.take_rows())
            repo.add_run_events(session, run_id=live.id, events=live.take_unsaved())
            self._flush_cache(session)

    def flush_events(self) -> None:
        """Write the events of running runs that wait for their next batch (a slow node's
        ``node_started``), so a watcher on another replica, who reads them from the database,
        sees them (``app.services.leases`` calls this about once a second)."""
        for live in list(self._live.values()):
            if live.unsaved and live.write_lock.acquire(blocking=False):
                try:
                    if events := live.take_unsaved(before_end=True):
                        with self.sessions() as session, session.begin():
                            repo.add_run_events(session, run_id=live.id, events=events)
                finally:
                    live.write_lock.release()

    def _flush_cache(self, session: Session, *, signatures: bool = False) -> None:
        """The persistent cache's new entries go with the node results that made them."""
        flush = getattr(self.executor.cache, "flush", None)
        if flush is not None:
            flush(session, signatures=signatures)

    def summary(self, value: Any) -> Any:
        """``value`` JSON-safe for the database and clients: big outputs as artifacts."""
        return summarize(value, self._store_artifact, self.inline_limit)

    def _store_artifact(self, data: bytes, mime: str) -> dict[str, Any]:
        ref = self.artifacts.put_bytes(data, mime)  # the file is in place before the row names it
        with self.sessions() as session, session.begin():
            repo.record_artifact(session, ref=ref)
        return {"$artifact": ref.sha256, "mime": ref.mime, "size": ref.size, "url": f"/api/artifacts/{ref.sha256}"}

    @staticmethod
    def _settled(record: NodeRecord, outputs: Any) -> repo.Settled:
        return repo.Settled(
            record.node_id, record.type, NodeStatus.CANCELLED if record.status == NodeStatus.PENDING else record.status,
            record.reason, record.cache_key or None, record.started_at or None, record.duration_s, outputs,
            record.error, node_provenance(record, outputs))
