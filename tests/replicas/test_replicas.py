"""API replicas on one PostgreSQL database: each run executes once, on the replica that took
it; a replica killed mid-run leaves no run ``running`` once its lease lapses; a watcher on one
replica follows a run on another, and a cancel reaches it; links made on one open on another.

Real `genaisys serve` processes (tests/integration/studio_server.py) on a throw-away
PostgreSQL server, with a 2 s run lease (conftest.py); the figures they measure are printed
(``-s``) and quoted in docs/deploy.md.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect

from tests.integration.helpers import graph, wait_run
from tests.replicas.conftest import LEASE_S

pytestmark = pytest.mark.slow

OPEN = ("queued", "running")


def marking(text: str, log: Path, seconds: float) -> dict[str, Any]:
    """text input -> test.mark (notes each execution in ``log``) -> text output."""
    return {"schema": "genaisys.graph/1", "name": "Marked", "description": "",
            "nodes": [{"id": "in", "type": "io.text_input", "params": {"value": text}},
                      {"id": "mark", "type": "test.mark", "params": {"log": str(log), "seconds": seconds}},
                      {"id": "out", "type": "io.text_output", "params": {}}],
            "edges": [{"id": "e1", "source": "in", "source_port": "text", "target": "mark", "target_port": "text"},
                      {"id": "e2", "source": "mark", "source_port": "text", "target": "out", "target_port": "value"}]}


def submit(api: httpx.Client, document: dict[str, Any]) -> str:
    r = api.post("/api/runs", json={"document": document})
    assert r.status_code == 202, r.text
    return str(r.json()["id"])


def test_each_run_executes_once_and_a_killed_replicas_runs_end_interrupted(replicas: Any, tmp_path: Path) -> None:
    a, b = replicas(2)
    log = tmp_path / "executions.log"
    with a.client() as on_a, b.client() as on_b:
        # one worker each: a replica's runs wait in its line, longer than a lease, and stay its own
        mine = {"a": [submit(on_a, marking(f"a{i}", log, 1.5)) for i in range(3)],
                "b": [submit(on_b, marking(f"b{i}", log, 1.5)) for i in range(3)]}
        wait_run(on_a, mine["b"][1], until=("running",), timeout=60)  # B's second run is mid-way
        b.kill()
        killed_at = time.monotonic()
        settled = {}
        for run_id in mine["b"]:
            settled[run_id] = wait_run(on_a, run_id, until=("succeeded", "interrupted"), timeout=60)
        settled_after_s = time.monotonic() - killed_at
        done = {run_id: wait_run(on_a, run_id, timeout=60) for run_id in mine["a"]}
        all_runs = on_a.get("/api/runs", params={"limit": 500}).json()["data"]

    executions = Counter(line.split()[0] for line in log.read_text().splitlines())
    pids = {line.split()[0]: int(line.split()[1]) for line in log.read_text().splitlines()}
    assert max(executions.values()) == 1, executions  # no run executed twice
    assert all(run["status"] not in OPEN for run in all_runs), [r["status"] for r in all_runs]
    for run_id, run in done.items():  # A's runs: executed once, on A, to the end
        assert run["status"] == "succeeded", run
        assert pids[run_id] == a.proc.pid
        assert {n["node_id"]: n["status"] for n in run["nodes"]} == {"in": "succeeded", "mark": "succeeded",
                                                                     "out": "succeeded"}
    first, second, third = (settled[r] for r in mine["b"])
    assert first["status"] == "succeeded" and pids[first["id"]] == b.proc.pid
    assert second["status"] == "interrupted" and pids[second["id"]] == b.proc.pid  # cut off mid-run
    assert second["error"]["code"] == "interrupted"
    assert all(n["status"] not in ("running", "pending") for n in second["nodes"]), second["nodes"]
    assert third["status"] == "interrupted" and third["id"] not in executions  # never started anywhere
    print(f"\nlease {LEASE_S} s: a killed replica's runs were settled by the survivor {settled_after_s:.1f} s after the kill")
    # (a lease and a reaper's period, ~LEASE_S * 4/3, on an idle machine: reported, not asserted; the
    # wait above bounds it at a minute however busy the machine is)


def watch(ws_url: str, run_id: str, kind: str = "runs") -> list[tuple[float, dict[str, Any]]]:
    """Each event a websocket watcher receives, with when it arrived (Unix time, as events' ``ts``)."""
    out = []
    with connect(f"{ws_url}/api/{kind}/{run_id}/events", open_timeout=30, close_timeout=2) as ws:
        for message in ws:
            for event in json.loads(message):
                out.append((time.time(), event))
    return out


def test_a_watcher_on_one_replica_follows_a_run_and_an_evaluation_on_another_and_cancels_a_run(replicas: Any) -> None:
    a, b = replicas(2)
    with a.client() as on_a, b.client() as on_b:
        run_id = submit(on_b, graph(text="far away", seconds=3 * LEASE_S))  # outlives its first lease
        started = time.time()
        seen = watch(a.ws_url, run_id)
        kinds = [e["type"] for _, e in seen]
        assert kinds[0] == "run_started" and kinds[-1] == "run_finished", kinds
        assert seen[-1][1]["data"]["status"] == "succeeded"
        assert {e["node_id"] for _, e in seen if e["type"] == "node_finished"} == {"in", "sleep", "out"}
        sleep_started, told = next((t, e) for t, e in seen if e["type"] == "node_started" and e["node_id"] == "sleep")
        slept_until = next(e["ts"] for _, e in seen if e["type"] == "node_finished" and e["node_id"] == "sleep")
        assert sleep_started < slept_until  # live: told while the node still slept, however busy the machine
        lag = max(t - e["ts"] for t, e in seen if e["type"] != "run_finished")  # reported, not asserted
        assert [e["seq"] for _, e in seen] == sorted({e["seq"] for _, e in seen})  # in order, none twice
        assert on_a.get(f"/api/runs/{run_id}").json()["status"] == "succeeded"
        print(f"\nA watcher on replica A followed a {3 * LEASE_S:.0f} s run on replica B to its end "
              f"{seen[-1][0] - started:.1f} s after it was queued; events reached it at most {lag:.2f} s "
              f"after they happened (the slow node's start: {sleep_started - told['ts']:.2f} s)")

        # a cancel asked of A reaches the run on B
        queued = submit(on_b, graph(text="to cancel", seconds=60))
        wait_run(on_a, queued, until=("running",), timeout=30)
        asked = time.monotonic()
        r = on_a.post(f"/api/runs/{queued}/cancel")
        assert r.status_code == 200, r.text
        run = wait_run(on_a, queued, timeout=30)
        assert run["status"] == "cancelled" and run["error"]["code"] == "cancelled"
        print(f"a cancel asked of replica A stopped the run on replica B in {time.monotonic() - asked:.1f} s")
        assert on_a.post(f"/api/runs/{queued}/cancel").status_code == 409  # it has ended

        # an evaluation runs where it was started; a watcher elsewhere is told its end
        gid = on_b.post("/api/graphs", json={"document": graph("Echo", seconds=LEASE_S)}).json()["id"]
        checks = [{"output": "out", "kind": "equals", "column": "want"}]
        cases = [{"in": "x", "want": "x"}, {"in": "y", "want": "z"}]
        evaluation = on_b.post(f"/api/graphs/{gid}/evals", json={"cases": cases, "checks": checks}).json()
        assert on_a.get(f"/api/evals/{evaluation['id']}/events").json() == []  # not here, not ended
        told = [e for _, e in watch(a.ws_url, evaluation["id"], kind="evals")]
        assert [e["type"] for e in told] == ["evaluation_finished"]
        assert told[0]["data"] == {"status": "succeeded", "cases": 2, "done": 2, "passed": 1}


def test_links_made_on_one_replica_open_on_another(replicas: Any, tmp_path: Path) -> None:
    gradio_client = pytest.importorskip("gradio_client")
    a, b = replicas(2)
    with a.client() as on_a, b.client() as on_b:
        gid = on_a.post("/api/graphs", json={"document": graph("Echo", text="hello")}).json()["id"]
        view = on_a.post(f"/api/graphs/{gid}/shares", json={"mode": "view"}).json()
        assert on_b.get(f"/api/shares/{view['token']}").json()["document"] == graph("Echo", text="hello")
        demo = on_a.post(f"/api/graphs/{gid}/shares", json={"mode": "demo"}).json()
        page = on_b.get(demo["url"], follow_redirects=True)
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        client = gradio_client.Client(f"{b.url}{demo['url']}/", verbose=False, download_files=str(tmp_path))
        assert client.predict("from B", api_name="/run") == "from B"
        runs = on_a.get("/api/runs", params={"graph_id": gid}).json()["data"]  # the demo's run, as A sees it
        assert [r["status"] for r in runs] == ["succeeded"]
