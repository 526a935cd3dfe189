"""The result cache outlives the server: after a restart, and after `kill -9`, an unchanged
node is served from the disk cache, and a changed one says what changed."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import graph, wait_run
from studio_server import DATABASES, Server, database_env

pytestmark = pytest.mark.slow


def saved_run(api, document):
    graph_id = api.post("/api/graphs", json={"document": document}).raise_for_status().json()["id"]
    return graph_id, run(api, graph_id)


def run(api, graph_id):
    run_id = api.post("/api/runs", json={"graph_id": graph_id}).raise_for_status().json()["id"]
    done = wait_run(api, run_id, timeout=60)
    assert done["status"] == "succeeded", done
    return {n["node_id"]: n for n in done["nodes"]}


@pytest.mark.parametrize("database", DATABASES)
@pytest.mark.parametrize("stop", ["restart", "kill -9"])
def test_a_result_survives_the_server(tmp_path: Path, stop: str, database: str, request: pytest.FixtureRequest) -> None:
    env = database_env(request, database)
    server = Server(tmp_path / "data", env=env).start()
    with server.client() as api:
        graph_id, first = saved_run(api, graph("Slow", text="kept", seconds=0.3))
        assert first["sleep"]["status"] == "succeeded"
    if stop == "restart":
        server.stop()
    else:
        server.kill()  # no shutdown at all: what the run committed is all there is
    server = Server(tmp_path / "data", port=server.port, env=env).start()
    try:
        with server.client() as api:
            again = run(api, graph_id)
            assert again["sleep"]["status"] == "cached" and again["sleep"]["reason"] == "unchanged"
            assert again["out"]["outputs"] == first["out"]["outputs"] == {"value": "kept"}
            assert again["sleep"]["provenance"]["computed_by_run"]
            document = api.get(f"/api/graphs/{graph_id}").json()["document"]
            document["nodes"][next(i for i, n in enumerate(document["nodes"]) if n["id"] == "sleep")]["params"]["seconds"] = 0.2
            version = api.get(f"/api/graphs/{graph_id}").json()["version"]
            api.put(f"/api/graphs/{graph_id}", json={"document": document, "based_on": version}).raise_for_status()
            changed = run(api, graph_id)
            assert changed["sleep"]["reason"] == "params changed"  # not "new node": the history knows
    finally:
        server.stop()


def test_genaisys_cache_stats_and_clear(tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    data = tmp_path / "data"

    def cache(*args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "app.cli", "cache", *args, "--data-dir", str(data)],
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
        return done.stdout + done.stderr

    server = Server(data).start()
    with server.client() as api:
        graph_id, _ = saved_run(api, graph("Slow", text="kept", seconds=0.2))
    server.stop()
    stats = json.loads(cache("stats", "--json"))
    assert stats["entries"] == 1 and stats["bytes"] > 0 and stats["scopes"] == 1
    assert "1 result(s)" in cache("stats")
    assert "cleared 1 result(s)" in cache("clear")
    assert json.loads(cache("stats", "--json"))["entries"] == 0
    server = Server(data, port=server.port).start()
    try:
        with server.client() as api:
            assert run(api, graph_id)["sleep"]["reason"] == "cache cleared"
    finally:
        server.stop()
