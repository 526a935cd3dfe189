"""Faults a server meets: a node that hangs, one that runs out of memory, and a SIGKILL in
the middle of saves and artifact writes (on SQLite and on PostgreSQL). Each fails alone;
nothing committed is lost."""

from __future__ import annotations

import threading
import time

import httpx
import pytest
from helpers import graph, wait_run
from pg_server import PostgresServer
from sqlalchemy import text
from studio_server import DATABASES, Server, database_env

from storage.db import make_engine


def one_node(node_type: str, **params) -> dict:
    doc = graph("Fault")
    doc["nodes"].append({"id": "bad", "type": node_type, "params": params})
    doc["edges"] = [{"id": "a", "source": "in", "source_port": "text", "target": "bad", "target_port": "text"},
                    {"id": "b", "source": "bad", "source_port": "text", "target": "out", "target_port": "value"}]
    return doc


def test_a_hanging_node_times_out_and_the_server_keeps_serving(tmp_path):
    srv = Server(tmp_path / "data", env={"GENAISYS_NODE_TIMEOUT_S": "1"}).start()
    try:
        with srv.client() as api:
            t0 = time.monotonic()
            run = wait_run(api, api.post("/api/runs", json={"document": one_node("test.stuck", seconds=30)}).json()["id"])
            assert time.monotonic() - t0 < 10
            assert run["status"] == "failed" and run["error"]["node_id"] == "bad"
            assert "ran longer than 1 s" in run["error"]["message"]
            assert wait_run(api, api.post("/api/runs", json={"document": graph()}).json()["id"])["status"] == "succeeded"
    finally:
        srv.stop()


def test_a_node_out_of_memory_fails_alone(tmp_path):
    srv = Server(tmp_path / "data", memory_limit=4 * 1024**3).start()
    try:
        with srv.client() as api:
            run = wait_run(api, api.post("/api/runs", json={"document": one_node("test.hog", gigabytes=64)}).json()["id"])
            assert run["status"] == "failed" and "MemoryError" in run["error"]["message"]
            assert wait_run(api, api.post("/api/runs", json={"document": graph()}).json()["id"])["status"] == "succeeded"
            assert api.get("/api/health").json() == {"status": "ok"}
    finally:
        srv.stop()


@pytest.mark.parametrize("database", DATABASES)
def test_sigkill_during_saves_and_artifact_writes_leaves_a_sound_database(tmp_path, request, database):
    data, env = tmp_path / "data", database_env(request, database)
    srv = Server(data, env=env).start()
    with srv.client() as api:
        gid = api.post("/api/graphs", json={"document": graph("Hammered", text="0")}).json()["id"]
    stop = threading.Event()
    saved: list[int] = []

    def saver() -> None:
        with httpx.Client(base_url=srv.url, timeout=5) as http:
            version = 1
            while not stop.is_set():
                try:
                    resp = http.put(f"/api/graphs/{gid}", json={"document": graph("Hammered", text=str(version)), "based_on": version})
                except httpx.TransportError:
                    return
                if resp.status_code == 200:
                    version = resp.json()["version"]
                    saved.append(version)

    def artifact_runner() -> None:
        with httpx.Client(base_url=srv.url, timeout=5) as http:
            for i in range(1000):
                if stop.is_set():
                    return
                try:
                    http.post("/api/runs", json={"document": graph(f"Big {i}", text=f"x{i}", big=True)})
                except httpx.TransportError:
                    return

    threads = [threading.Thread(target=saver), threading.Thread(target=artifact_runner)]
    for t in threads:
        t.start()
    time.sleep(2.5)
    srv.kill()  # mid-save, mid-run, mid-artifact-write
    stop.set()
    for t in threads:
        t.join(10)
    assert len(saved) > 5, "the saver never got going"

    srv = Server(data, env=env).start()
    engine = make_engine(env.get("GENAISYS_DATABASE_URL", f"sqlite:///{data / 'genaisys.db'}"))
    try:
        with engine.connect() as db:
            if database == "sqlite":
                assert db.exec_driver_sql("PRAGMA integrity_check").one() == ("ok",)
            numbers = db.execute(text("SELECT number FROM graph_versions WHERE graph_id = :g ORDER BY number"), {"g": gid}).scalars().all()
            latest = db.execute(text("SELECT latest_version FROM graphs WHERE id = :g"), {"g": gid}).scalar_one()
            assert numbers == list(range(1, latest + 1)) and latest >= saved[-1]  # every acknowledged save is there
            for sha, size in db.execute(text("SELECT sha256, size FROM artifacts")):
                path = data / "artifacts" / sha[:2] / sha[2:4] / sha
                assert path.is_file() and path.stat().st_size == size, sha
            assert db.execute(text("SELECT count(*) FROM runs WHERE status IN ('queued', 'running')")).scalar_one() == 0
        engine.dispose()
        with srv.client() as api:
            for n in (1, latest):
                doc = api.get(f"/api/graphs/{gid}/versions/{n}").json()["document"]
                assert doc["name"] == "Hammered"
            assert wait_run(api, api.post("/api/runs", json={"graph_id": gid}).json()["id"])["status"] == "succeeded"
    finally:
        srv.stop()


def test_sigkill_of_postgresql_mid_save_loses_no_acknowledged_save(tmp_path):
    """PostgreSQL itself is killed (server and backends) while saves stream in: every save the
    studio acknowledged is there after PostgreSQL recovers, versions stay gapless, and the same
    studio process goes on saving without a restart (its pool reconnects)."""
    pg = PostgresServer().start()  # its own cluster: the session's must not die
    try:
        env = {"GENAISYS_DATABASE_URL": pg.create_database()}
        srv = Server(tmp_path / "data", env=env).start()
        try:
            with srv.client() as api:
                gid = api.post("/api/graphs", json={"document": graph("Hammered", text="0")}).json()["id"]
            stop, killed = threading.Event(), threading.Event()
            saved: list[tuple[int, bool]] = []  # (version, saved after the kill)

            def saver() -> None:
                with httpx.Client(base_url=srv.url, timeout=30) as http:
                    version = 1
                    while not stop.is_set():
                        after = killed.is_set()
                        try:
                            resp = http.put(f"/api/graphs/{gid}", json={"document": graph("Hammered", text=str(version)),
                                                                        "based_on": version})
                            if resp.status_code == 200:
                                version = resp.json()["version"]
                                saved.append((version, after))
                                continue
                            # PostgreSQL was down: learn where the graph is and go on from there
                            time.sleep(0.05)
                            latest = http.get(f"/api/graphs/{gid}")
                            if latest.status_code == 200:
                                version = latest.json()["latest_version"]
                        except httpx.TransportError:  # the server drops a connection after a 500
                            time.sleep(0.05)

            thread = threading.Thread(target=saver)
            thread.start()
            deadline = time.monotonic() + 30
            while len(saved) < 10 and time.monotonic() < deadline:
                time.sleep(0.05)
            pg.kill()
            killed.set()
            time.sleep(0.5)
            pg.start_again()
            deadline = time.monotonic() + 60
            while sum(after for _, after in saved) < 5 and time.monotonic() < deadline:
                time.sleep(0.05)
            stop.set()
            thread.join(60)
            assert sum(after for _, after in saved) >= 5, "the studio did not save again after PostgreSQL came back"
        finally:
            srv.stop()
        engine = make_engine(env["GENAISYS_DATABASE_URL"])
        with engine.connect() as db:
            rows = db.execute(text("SELECT number, document FROM graph_versions WHERE graph_id = :g ORDER BY number"),
                              {"g": gid}).all()
            latest = db.execute(text("SELECT latest_version FROM graphs WHERE id = :g"), {"g": gid}).scalar_one()
        engine.dispose()
        assert [n for n, _ in rows] == list(range(1, latest + 1))
        documents = dict(rows)
        for version, _ in saved:  # every acknowledged save, with the document it was acknowledged for
            assert documents[version]["nodes"][0]["params"]["value"] == str(version - 1)
    finally:
        pg.stop()
