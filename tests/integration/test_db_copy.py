"""`genaisys db copy`: a studio made on SQLite (through the API and the CLI) moves to PostgreSQL
with every graph, version, run, node result, event, share, artifact and user, and the server
started on PostgreSQL with the same data directory serves them all and goes on working."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from helpers import graph, wait_run
from studio_server import Server

ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "app.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, **(env or {})}, timeout=120)


def test_a_sqlite_studio_moves_to_postgresql(tmp_path, postgres):
    data = tmp_path / "data"
    srv = Server(data).start()
    try:
        with srv.client() as api:
            gid = api.post("/api/graphs", json={"document": graph("Moved", text="v1")}).json()["id"]
            assert api.put(f"/api/graphs/{gid}", json={"document": graph("Moved", text="v2"), "based_on": 1}).status_code == 200
            run = wait_run(api, api.post("/api/runs", json={"document": graph("Big", text="hello", big=True)}).json()["id"])
            share = api.post(f"/api/graphs/{gid}/shares", json={"mode": "view", "version": 1}).json()
            events = api.get(f"/api/runs/{run['id']}/events").json()
            graphs = api.get("/api/graphs").json()
    finally:
        srv.stop()
    assert run["status"] == "succeeded" and events
    added = cli("users", "add", "ada", "--data-dir", str(data))
    assert added.returncode == 0, added.stderr

    url = postgres.create_database()
    try:
        copied = cli("db", "copy", "--from", f"sqlite:///{data / 'genaisys.db'}", "--to", url)
        assert copied.returncode == 0, copied.stderr
        assert "graph_versions" in copied.stderr and "GENAISYS_DATABASE_URL=" in copied.stdout
        again = cli("db", "copy", "--from", f"sqlite:///{data / 'genaisys.db'}", "--to", url)
        assert again.returncode == 1 and "already holds data" in again.stderr

        srv = Server(data, env={"GENAISYS_DATABASE_URL": url}).start()
        try:
            with srv.client() as api:
                assert api.get("/api/graphs").json() == graphs  # the seeded examples too, none seeded again
                versions = api.get(f"/api/graphs/{gid}/versions").json()["data"]
                assert [v["number"] for v in versions] == [2, 1]
                assert api.get(f"/api/graphs/{gid}/versions/1").json()["document"] == graph("Moved", text="v1")
                moved = api.get(f"/api/runs/{run['id']}").json()
                assert moved == run
                assert api.get(f"/api/runs/{run['id']}/events").json() == events
                assert api.get(moved["outputs"]["out"]["url"]).text == "hello" * 100_000
                assert api.get(f"/api/shares/{share['token']}").json()["document"] == graph("Moved", text="v1")
                stale = api.put(f"/api/graphs/{gid}", json={"document": graph("Moved", text="x"), "based_on": 1})
                assert stale.status_code == 409
                assert api.put(f"/api/graphs/{gid}", json={"document": graph("Moved", text="v3"), "based_on": 2}).status_code == 200
                again_run = wait_run(api, api.post("/api/runs", json={"graph_id": gid}).json()["id"])
                assert again_run["status"] == "succeeded" and again_run["outputs"] == {"out": "v3"}
        finally:
            srv.stop()
        users = cli("users", "list", "--data-dir", str(data), env={"GENAISYS_DATABASE_URL": url})
        assert users.returncode == 0 and "ada" in users.stdout, users.stderr
    finally:
        postgres.drop_database(url)
