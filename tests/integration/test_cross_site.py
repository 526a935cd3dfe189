"""A web page of another site must not be able to use a studio on the user's machine, in
the default mode (no ``--auth``) as in auth mode: DNS rebinding is met by serving only the
Host names the server is reachable by, cross-site writes and websockets by checking where
a browser says the request came from (``Origin``, ``Sec-Fetch-Site``). Scripts, which send
neither header, keep working. Each request below is what a browser sends for the page."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from helpers import graph, wait_run
from studio_server import Server
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

pytestmark = pytest.mark.slow

EVIL = "http://evil.example"
REBIND = "rebind.attacker.example"


def loader(path: Path) -> dict:
    """The rebinding page's graph: read a file of the user's and hand it back as JSON."""
    return {"schema": "genaisys.graph/1", "name": "Steal", "nodes": [
        {"id": "load", "type": "encoders.document_loader", "params": {"path": str(path)}},
        {"id": "out", "type": "io.json_output", "params": {}}],
        "edges": [{"id": "e", "source": "load", "source_port": "documents", "target": "out", "target_port": "value"}]}


def graph_count(api: httpx.Client) -> int:
    return api.get("/api/graphs", params={"include_deleted": True}).json()["count"]


def test_a_rebinding_page_gets_nothing_under_a_foreign_host_name(server: Server, api: httpx.Client, tmp_path: Path) -> None:
    secret = tmp_path / "notes.txt"
    secret.write_text("my bank password")
    host = {"Host": f"{REBIND}:{server.port}"}
    listed = api.get("/api/graphs", headers=host)
    assert listed.status_code == 403 and listed.json()["error"]["code"] == "host_not_allowed"
    assert REBIND in listed.json()["error"]["message"] and "GENAISYS_ALLOWED_HOSTS" in listed.json()["error"]["message"]
    # the page's own origin is the rebound name, so Origin matches Host: only the Host check stops it
    posted = api.post("/api/runs", json={"document": loader(secret)},
                      headers={**host, "Origin": f"http://{REBIND}:{server.port}"})
    assert posted.status_code == 403 and posted.json()["error"]["code"] == "host_not_allowed"
    run_id = api.post("/api/runs", json={"document": loader(secret)}).json()["id"]  # the user's own run
    assert wait_run(api, run_id, timeout=120)["status"] == "succeeded"
    read = api.get(f"/api/runs/{run_id}", headers=host)
    assert read.status_code == 403 and "bank password" not in read.text
    for page in ("/", "/docs", "/openapi.json", "/api/health"):
        assert api.get(page, headers=host).status_code == 403, page
    with pytest.raises(InvalidStatus) as refused:
        connect(f"{server.ws_url}/api/runs/{run_id}/events", additional_headers=host, open_timeout=30).close()
    assert refused.value.response.status_code == 403
    # the names the server is reachable by, and any address literal (rebinding needs a name)
    for name in ("localhost", "127.0.0.1", "[::1]", "LOCALHOST"):
        assert api.get("/api/graphs", headers={"Host": f"{name}:{server.port}"}).status_code == 200, name
    assert api.get("/api/health", headers={"Host": "10.1.2.3"}).status_code == 200


def test_more_host_names_come_from_a_setting(tmp_path: Path) -> None:
    srv = Server(tmp_path / "data", env={"GENAISYS_ALLOWED_HOSTS": "studio.lan, Team.Example"}).start()
    try:
        with srv.client() as api:
            for name in ("studio.lan", "team.example", f"studio.lan:{srv.port}"):
                assert api.get("/api/health", headers={"Host": name}).status_code == 200, name
            assert api.get("/api/health", headers={"Host": "evil.studio.lan"}).status_code == 403
    finally:
        srv.stop()


def test_another_sites_page_cannot_write(server: Server, api: httpx.Client) -> None:
    """The three writes seen from a page of another origin: a text/plain upload (a "simple"
    request, sent without a preflight), a version restore and a share fork (no body)."""
    gid = api.post("/api/graphs", json={"document": graph("Mine"), "message": ""}).json()["id"]
    token = api.post(f"/api/graphs/{gid}/shares", json={"mode": "fork"}).json()["token"]
    uploads = server.data_dir / "uploads"
    before_uploads = sorted(p.name for p in uploads.iterdir()) if uploads.is_dir() else []
    before_graphs = graph_count(api)
    versions = api.get(f"/api/graphs/{gid}/versions").json()["count"]
    for headers in ({"Origin": EVIL}, {"Sec-Fetch-Site": "cross-site"}, {"Origin": "null"},
                    {"Sec-Fetch-Site": "same-site", "Origin": f"http://sub.127.0.0.1:{server.port}"}):
        up = api.post("/api/uploads", params={"filename": "fill.txt"}, content=b"x" * 1000,
                      headers={"Content-Type": "text/plain", **headers})
        assert up.status_code == 403 and up.json()["error"]["code"] == "cross_origin", (headers, up.text)
        restore = api.post(f"/api/graphs/{gid}/versions/1/restore", headers=headers)
        assert restore.status_code == 403, headers
        fork = api.post(f"/api/shares/{token}/fork", headers=headers)
        assert fork.status_code == 403, headers
    after_uploads = sorted(p.name for p in uploads.iterdir()) if uploads.is_dir() else []
    assert after_uploads == before_uploads
    assert graph_count(api) == before_graphs
    assert api.get(f"/api/graphs/{gid}/versions").json()["count"] == versions
    # the studio's own pages (same origin) and scripts (no Origin at all) still write
    own = {"Origin": server.url, "Sec-Fetch-Site": "same-origin"}
    assert api.post(f"/api/graphs/{gid}/versions/1/restore", headers=own).status_code == 200
    assert api.post(f"/api/graphs/{gid}/versions/1/restore", headers={"Origin": f"http://localhost:{server.port}",
                                                                     "Host": f"localhost:{server.port}"}).status_code == 200
    assert api.post(f"/api/shares/{token}/fork").status_code == 201
    assert api.post("/api/uploads", params={"filename": "a.txt"}, content=b"typed by hand",
                    headers={"Sec-Fetch-Site": "none"}).status_code == 201  # typed into the address bar: no page


def test_another_sites_page_cannot_watch_a_run(server: Server, api: httpx.Client) -> None:
    run_id = api.post("/api/runs", json={"document": graph("Watched", text="private words")}).json()["id"]
    wait_run(api, run_id, timeout=60)
    with pytest.raises(InvalidStatus) as refused:
        connect(f"{server.ws_url}/api/runs/{run_id}/events", additional_headers={"Origin": EVIL}, open_timeout=30).close()
    assert refused.value.response.status_code == 403
    with connect(f"{server.ws_url}/api/runs/{run_id}/events", additional_headers={"Origin": server.url},
                 open_timeout=30) as ws:
        seen = [e for m in ws for e in json.loads(m)]
    assert any(e["type"] == "run_finished" for e in seen)
