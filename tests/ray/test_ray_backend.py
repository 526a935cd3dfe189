"""The Ray backend on a local cluster: model nodes run in actors (progress, cancel and
provenance flow as with threads; outputs travel as object references), trivial nodes stay
in this process, and a worker that dies fails its node only, with ``worker_lost``."""

from __future__ import annotations

import os
import signal
import threading
import time
from typing import Any

import pytest

from app.engine.context import CancelToken
from app.engine.events import Event
from app.engine.executor import Executor
from nodes.registry import Registry

pytestmark = pytest.mark.slow


def doc(nodes: list[dict[str, Any]], edges: list[tuple[str, str, str, str]]) -> dict[str, Any]:
    return {"schema": "genaisys.graph/1", "name": "ray", "nodes": nodes,
            "edges": [{"id": f"e{i}", "source": s, "source_port": sp, "target": t, "target_port": tp}
                      for i, (s, sp, t, tp) in enumerate(edges)]}


def probe(nid: str, **params: Any) -> dict[str, Any]:
    return {"id": nid, "type": "test.ray_probe", "params": params}


@pytest.fixture
def executor(registry: Registry, ray_backend: Any) -> Executor:
    return Executor(registry, backend=ray_backend)  # the backend outlives it: it is the session's


def wait_for(condition: Any, what: str, timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, f"waited {timeout:g} s for {what}"
        time.sleep(0.05)


def test_model_nodes_run_in_actors_and_hand_large_outputs_on_by_reference(executor: Executor) -> None:
    document = doc([probe("make", size=1_000_000), {"id": "sum", "type": "test.ray_total", "params": {"y": 2.0}},
                    {"id": "n", "type": "io.number_input", "params": {"value": 3.0}},
                    {"id": "out", "type": "io.json_output"}],
                   [("make", "array", "sum", "array"), ("n", "number", "make", "x"), ("sum", "total", "out", "value")])
    events: list[Event] = []
    sent = executor.backend.by_reference
    result = executor.run(document, on_event=events.append)
    assert result.status == "succeeded", {k: r.error for k, r in result.nodes.items() if r.error}
    assert result.outputs["out"] == sum(range(1_000_000)) + 2.0
    make, total = result.nodes["make"], result.nodes["sum"]
    assert make.outputs["y"] == 4.0 and make.outputs["array"].shape == (1_000_000,)
    workers = {w["actor_id"]: {k: v for k, v in w.items() if k != "threads"} for w in executor.backend.workers()}
    for record in (make, total):  # provenance says which worker ran it
        worker = record.provenance["worker"]
        assert workers[worker["actor_id"]] == worker and worker["pid"] != os.getpid()
        assert record.outputs["pid"] == worker["pid"]
    assert "worker" not in result.nodes["n"].provenance  # a trivial node stays here
    progress = [e.data for e in events if e.type == "node_progress" and e.node_id == "make"]
    assert progress[0]["message"] == f"pid {make.outputs['pid']}" and progress[-1] == {"fraction": 1.0, "message": "done"}
    # the array went to the next actor as a reference into the object store
    assert executor.backend.by_reference == sent + 1


def test_a_cancel_reaches_the_nodes_in_their_actors(executor: Executor) -> None:
    """Twenty slow model nodes: each actor runs one and holds the others, waiting for its lock
    or for a free thread; a cancel stops the running ones at their next poll and the others
    before they start."""
    cancel = CancelToken()
    later = threading.Timer(3.0, cancel.cancel)  # when every job has reached its actor

    def watch(event: Event) -> None:
        if event.type == "node_progress" and later.ident is None:
            later.start()

    t0 = time.monotonic()
    result = executor.run(doc([probe(f"slow{i}", seconds=120) for i in range(20)], []), on_event=watch, cancel=cancel)
    assert result.status == "cancelled"
    assert {r.status for r in result.nodes.values()} == {"cancelled"}
    assert time.monotonic() - t0 < 60  # the running nodes stopped at their next poll, far before 120 s


def test_a_worker_that_dies_fails_only_its_node_and_the_next_run_succeeds(executor: Executor) -> None:
    document = doc([probe("slow", seconds=120, size=10), probe("fast"),
                    {"id": "sum", "type": "test.ray_total", "params": {}},
                    {"id": "out", "type": "io.json_output"}],
                   [("slow", "array", "sum", "array"), ("fast", "y", "out", "value")])
    pids: list[int] = []

    def watch(event: Event) -> None:
        message = event.data.get("message", "")
        if event.type == "node_progress" and event.node_id == "slow" and message.startswith("pid "):
            pids.append(int(message.split()[1]))

    before = {w["actor_id"] for w in executor.backend.workers()}
    outcome: dict[str, Any] = {}
    runner = threading.Thread(target=lambda: outcome.update(result=executor.run(document, on_event=watch)))
    runner.start()
    wait_for(lambda: pids, "the slow node to start in its worker")
    os.kill(pids[0], signal.SIGKILL)
    runner.join(timeout=120)
    result = outcome["result"]
    assert result.status == "failed"
    slow = result.nodes["slow"]
    assert slow.status == "failed" and slow.error["code"] == "worker_lost", slow.error
    assert "died" in slow.error["message"]
    assert result.nodes["sum"].error["code"] == "upstream_failed"
    assert result.nodes["fast"].status == "succeeded" and result.outputs["out"] == 2.0

    fixed = doc([probe("slow", size=10), {"id": "sum", "type": "test.ray_total", "params": {}}],
                [("slow", "array", "sum", "array")])
    again = executor.run(fixed)
    assert again.status == "succeeded", {k: r.error for k, r in again.nodes.items() if r.error}
    after = {w["actor_id"] for w in executor.backend.workers()}
    assert len(after) == 2 and len(before - after) == 1  # the dead actor was replaced


def test_the_node_time_limit_stops_a_node_in_its_actor(registry: Registry, ray_backend: Any) -> None:
    executor = Executor(registry, backend=ray_backend, node_timeout_s=1.0)
    t0 = time.monotonic()
    result = executor.run(doc([probe("slow", seconds=120), probe("fast")], []))
    assert result.nodes["slow"].error["code"] == "timeout" and result.nodes["fast"].status == "succeeded"
    assert time.monotonic() - t0 < 60
    again = executor.run(doc([probe("slow", seconds=0.1)], []))  # the worker was told to stop, and is free
    assert again.status == "succeeded"


def test_studio_processes_on_one_cluster_share_its_model_workers(registry: Registry, ray_backend: Any) -> None:
    """Two replicas on one cluster: the second finds the first's named workers instead of asking
    for GPUs (or CPUs) of its own that the first holds, and stopping it leaves them running."""
    import dataclasses

    from app.engine.ray_backend import RayBackend

    assert ray_backend.shared
    other = RayBackend(runtime=dataclasses.replace(ray_backend.runtime), workers=2)
    try:
        mine = {w["actor_id"] for w in ray_backend.workers()}
        assert {w["actor_id"] for w in other.workers()} == mine
        ran = Executor(registry, backend=other).run(doc([probe("p", x=1.0)], []))
        assert ran.status == "succeeded" and ran.nodes["p"].provenance["worker"]["actor_id"] in mine
    finally:
        other.shutdown()
    still = Executor(registry, backend=ray_backend).run(doc([probe("q", x=2.0)], []))
    assert still.status == "succeeded" and still.nodes["q"].provenance["worker"]["actor_id"] in mine
