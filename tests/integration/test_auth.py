"""The ``--auth`` mode on a real server: every route checked, tokens hashed at rest, graphs
and runs owned by users, shares scoped to their graph's owner, cookies only from this
origin, and loader nodes fenced into the server's own folders."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from helpers import graph, wait_run
from studio_server import DATABASES, Server, database_env
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

ROOT = Path(__file__).resolve().parents[2]

# The only requests a signed-out client may make: the decision is here, in one place, and
# test_every_route_is_checked fails for a new route until someone adds it here on purpose.
PUBLIC = {
    ("GET", "/api/health"),
    ("GET", "/api/auth/me"),
    ("POST", "/api/auth/login"),
    ("POST", "/api/auth/logout"),
    ("GET", "/api/shares/{token}"),  # the share token in the path is the credential
}


def add_user(data_dir: Path, name: str, env: dict[str, str] | None = None) -> str:
    out = subprocess.run([sys.executable, "-m", "app.cli", "users", "add", name, "--data-dir", str(data_dir)],
                         capture_output=True, text=True, cwd=ROOT, check=True, env={**os.environ, **(env or {})})
    token = out.stdout.strip().splitlines()[-1]
    assert token.startswith("gsk_") and "shown only now" in out.stderr
    return token


@pytest.fixture
def database() -> str:
    """SQLite, unless a test parametrizes ``database`` over ``DATABASES``."""
    return "sqlite"


@pytest.fixture
def database_vars(request: pytest.FixtureRequest, database: str) -> dict[str, str]:
    return database_env(request, database)


@pytest.fixture
def users(tmp_path: Path, database_vars: dict[str, str]) -> dict[str, str]:
    data = tmp_path / "data"
    return {"alice": add_user(data, "alice", database_vars), "bob": add_user(data, "bob", database_vars)}


@pytest.fixture
def auth_server(tmp_path: Path, users: dict[str, str], database_vars: dict[str, str]) -> Iterator[Server]:
    srv = Server(tmp_path / "data", env={"GENAISYS_AUTH": "1", **database_vars}).start()
    yield srv
    srv.stop()


def client(server: Server, token: str | None = None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=server.url, timeout=30, headers=headers)


def routes(items: list) -> Iterator:
    """Every route, through routers included into others (FastAPI wraps those)."""
    for r in items:
        inner = getattr(r, "original_router", None)
        yield from routes(inner.routes) if inner is not None else [r]


def fill(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x" * 12, path)


def test_every_route_is_checked(auth_server: Server, users: dict[str, str]) -> None:
    """Every operation in the app's own OpenAPI schema, signed out: 401 auth_required unless
    it is in PUBLIC; and the routes outside the schema are accounted for too."""
    anon = client(auth_server)
    schema = anon.get("/openapi.json").json()
    checked = 0
    for path, ops in schema["paths"].items():
        for method in ops:
            method = method.upper()
            r = anon.request(method, fill(path), json={})
            if (method, path) in PUBLIC:
                assert r.status_code != 401 and r.status_code < 500, (method, path, r.text)
            else:
                assert r.status_code == 401, (method, path, r.status_code, r.text)
                assert r.json()["error"]["code"] == "auth_required"
                assert r.headers["www-authenticate"].startswith("Bearer")
                assert "Traceback" not in r.text
            checked += 1
    assert checked >= 25
    # a public entry that does not exist in the schema would be a stale decision
    assert {(m.upper(), p) for p, ops in schema["paths"].items() for m in ops} >= PUBLIC

    from app.main import create_app
    from app.settings import Settings
    from nodes.runtime.config import configure

    try:
        app = create_app(Settings(auth=True, data_dir=auth_server.data_dir))
    finally:  # it fenced this process's file reads: back to the environment's configuration
        configure(None)
    in_schema = set(schema["paths"])
    others = {getattr(r, "path", "") for r in routes(app.routes)} - in_schema
    # outside the schema: the share page and demos (checked by their token), the canvas's
    # static files and the API docs (no data); the run websocket shares its path with the
    # documented GET of the run's events (checked above) and is checked below
    assert others == {"/s/{token}", "/demo/{token}", "",
                      "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"}, others
    with pytest.raises(InvalidStatus) as refused:
        connect(f"{auth_server.ws_url}/api/runs/{'x' * 12}/events", open_timeout=10).close()
    assert refused.value.response.status_code == 403
    with pytest.raises(InvalidStatus) as refused:
        connect(f"{auth_server.ws_url}/api/evals/{'x' * 12}/events", open_timeout=10).close()
    assert refused.value.response.status_code == 403


def test_tokens_are_stored_only_as_hashes(auth_server: Server, users: dict[str, str]) -> None:
    db = (auth_server.data_dir / "genaisys.db").read_bytes() + b"".join(
        p.read_bytes() for p in auth_server.data_dir.glob("genaisys.db-*"))
    for token in users.values():
        assert token.encode() not in db
        assert hashlib.sha256(token.encode()).hexdigest().encode() in db
    with client(auth_server, users["alice"]) as alice:
        assert alice.get("/api/auth/me").json() == {"auth": True, "user": {"id": alice.get("/api/auth/me").json()["user"]["id"],
                                                                          "name": "alice"}}
        assert alice.get("/api/graphs").status_code == 200
    token = users["alice"]
    with client(auth_server, token[:-1] + ("B" if token.endswith("A") else "A")) as wrong:  # one character off
        r = wrong.get("/api/graphs")
        assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_token"


@pytest.mark.parametrize("database", DATABASES)
def test_revoked_tokens_stop_working_at_once(auth_server: Server, users: dict[str, str],
                                             database_vars: dict[str, str]) -> None:
    with client(auth_server, users["bob"]) as bob:
        assert bob.get("/api/graphs").status_code == 200
        subprocess.run([sys.executable, "-m", "app.cli", "users", "revoke", "bob", "--data-dir", str(auth_server.data_dir)],
                       cwd=ROOT, check=True, capture_output=True, env={**os.environ, **database_vars})
        r = bob.get("/api/graphs")
        assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_token"


@pytest.mark.parametrize("database", DATABASES)
def test_users_see_and_change_only_their_own_graphs_and_runs(auth_server: Server, users: dict[str, str]) -> None:
    alice, bob = client(auth_server, users["alice"]), client(auth_server, users["bob"])
    # the seeded examples went to the first user made; bob starts empty
    assert alice.get("/api/graphs").json()["count"] >= 4
    assert bob.get("/api/graphs").json() == {"data": [], "count": 0}

    g = alice.post("/api/graphs", json={"document": graph("Alice's", "secret plans"), "message": "v1"}).json()
    gid = g["id"]
    run = alice.post("/api/runs", json={"graph_id": gid}).json()
    assert wait_run(alice, run["id"])["outputs"] == {"out": "secret plans"}
    share = alice.post(f"/api/graphs/{gid}/shares", json={"mode": "fork"}).json()

    not_found = [
        bob.get(f"/api/graphs/{gid}"),
        bob.put(f"/api/graphs/{gid}", json={"document": graph("taken"), "based_on": 1, "message": ""}),
        bob.delete(f"/api/graphs/{gid}"),
        bob.post(f"/api/graphs/{gid}/undelete"),
        bob.get(f"/api/graphs/{gid}/versions"),
        bob.get(f"/api/graphs/{gid}/versions/1"),
        bob.post(f"/api/graphs/{gid}/versions/1/restore"),
        bob.get(f"/api/graphs/{gid}/export"),
        bob.post(f"/api/graphs/{gid}/run", json={}),
        bob.post(f"/api/graphs/{gid}/shares", json={"mode": "view"}),
        bob.get(f"/api/graphs/{gid}/shares"),
        bob.delete(f"/api/shares/{share['token']}"),
        bob.post("/api/runs", json={"graph_id": gid}),
        bob.post("/api/runs", json={"graph_id": gid, "document": graph("edit")}),
        bob.get(f"/api/runs/{run['id']}"),
        bob.post(f"/api/runs/{run['id']}/cancel"),
    ]
    for r in not_found:  # exactly as if it did not exist: nothing about it leaks
        assert r.status_code == 404, (r.request.method, r.request.url, r.status_code, r.text)
        assert "secret" not in r.text and "Alice" not in r.text
    assert all(r["id"] != run["id"] for r in bob.get("/api/runs").json()["data"])
    assert all(x["id"] != gid for x in bob.get("/api/graphs", params={"include_deleted": True}).json()["data"])
    cookies = {"genaisys_session": users["bob"]}
    with connect(f"{auth_server.ws_url}/api/runs/{run['id']}/events", additional_headers={
            "Cookie": f"genaisys_session={users['bob']}", "Origin": auth_server.url}) as ws:
        assert json.loads(ws.recv())["error"]["code"] == "not_found"
    del cookies

    # nothing bob tried changed alice's graph; her run's events still replay for her
    detail = alice.get(f"/api/graphs/{gid}").json()
    assert (detail["latest_version"], detail["deleted"], detail["name"]) == (1, False, "Alice's")
    assert alice.get(f"/api/graphs/{gid}/shares").json()["data"][0]["active"] is True

    # the link works for anyone; copying it needs an account and makes the copy the copier's
    anon = client(auth_server)
    assert anon.get(f"/api/shares/{share['token']}").json()["document"]["name"] == "Alice's"
    assert anon.post(f"/api/shares/{share['token']}/fork").status_code == 401
    fork = bob.post(f"/api/shares/{share['token']}/fork").json()
    assert bob.get(f"/api/graphs/{fork['id']}").status_code == 200
    assert alice.get(f"/api/graphs/{fork['id']}").status_code == 404
    # and only alice can revoke it
    assert alice.delete(f"/api/shares/{share['token']}").status_code == 204
    assert anon.get(f"/api/shares/{share['token']}").status_code == 404


def test_a_share_page_reads_the_catalog_and_validates_but_nothing_else(auth_server: Server, users: dict[str, str]) -> None:
    with client(auth_server, users["alice"]) as alice:
        gid = alice.post("/api/graphs", json={"document": graph("Shown"), "message": ""}).json()["id"]
        token = alice.post(f"/api/graphs/{gid}/shares", json={"mode": "view"}).json()["token"]
    anon = client(auth_server)
    assert anon.get("/api/nodes").status_code == 401
    shared = httpx.Client(base_url=auth_server.url, headers={"X-Share-Token": token})
    assert shared.get("/api/nodes").status_code == 200
    assert shared.post("/api/validate", json=graph("Shown")).status_code == 200
    assert shared.get("/api/graphs").status_code == 401
    bogus = httpx.Client(base_url=auth_server.url, headers={"X-Share-Token": "x" * 43})
    assert bogus.get("/api/nodes").status_code == 401
    assert anon.get(f"/s/{token}").status_code in (200, 503)  # the page itself (503 if the canvas is unbuilt)


def test_the_canvas_cookie_works_only_from_this_origin(auth_server: Server, users: dict[str, str]) -> None:
    browser = httpx.Client(base_url=auth_server.url, timeout=30)
    wrong = browser.post("/api/auth/login", json={"token": "gsk_not-a-token"})
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "invalid_token"
    r = browser.post("/api/auth/login", json={"token": users["alice"]})
    assert r.status_code == 200 and r.json()["user"]["name"] == "alice"
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/" in cookie
    assert browser.get("/api/graphs").status_code == 200  # the cookie alone signs GETs in
    doc = {"document": graph("From the page"), "message": ""}
    evil = browser.post("/api/graphs", json=doc, headers={"Origin": "https://evil.example"})
    assert evil.status_code == 403 and evil.json()["error"]["code"] == "cross_origin"
    assert browser.post("/api/graphs", json=doc).status_code == 403  # no Origin: not from a page of ours
    ok = browser.post("/api/graphs", json=doc, headers={"Origin": auth_server.url})
    assert ok.status_code == 201
    with pytest.raises(InvalidStatus):  # cross-site websocket hijacking is refused too
        connect(f"{auth_server.ws_url}/api/runs/x/events", additional_headers={
            "Cookie": f"genaisys_session={users['alice']}", "Origin": "https://evil.example"}, open_timeout=10).close()
    assert all(x["name"] != "From the page" or x["id"] == ok.json()["id"] for x in browser.get("/api/graphs").json()["data"])
    out = browser.post("/api/auth/logout", headers={"Origin": auth_server.url})
    assert out.status_code == 204
    assert browser.get("/api/graphs").status_code == 401


def test_loader_nodes_read_only_the_servers_own_folders(auth_server: Server, users: dict[str, str], tmp_path: Path) -> None:
    outside = tmp_path / "private.txt"
    outside.write_text("the server's private notes")
    alice = client(auth_server, users["alice"])

    def load(path: str) -> dict:
        doc = {"schema": "genaisys.graph/1", "name": "Load", "nodes": [
            {"id": "load", "type": "encoders.document_loader", "params": {"path": path}},
            {"id": "out", "type": "io.json_output", "params": {}}],
            "edges": [{"id": "e", "source": "load", "source_port": "documents", "target": "out", "target_port": "value"}]}
        return wait_run(alice, alice.post("/api/runs", json={"document": doc}).json()["id"], timeout=60)

    for path in (str(outside), "/etc/hostname", str(auth_server.data_dir / "genaisys.db"), "../../../../etc/hostname"):
        run = load(path)
        assert run["status"] == "failed", (path, run)
        assert "private notes" not in json.dumps(run)
    detail = alice.get(f"/api/runs/{run['id']}").json()
    error = next(n["error"] for n in detail["nodes"] if n["node_id"] == "load")
    assert "outside the folders this server lets graphs read" in error["message"]
    uploaded = alice.post("/api/uploads", params={"filename": "notes.txt"}, content=b"notes anyone may load").json()
    run = load(uploaded["path"])
    assert run["status"] == "succeeded" and "notes anyone may load" in json.dumps(run["outputs"]), alice.get(f"/api/runs/{run['id']}").text
    assert load("assets/docs")["status"] == "succeeded"  # the shipped examples stay readable


def test_without_auth_nothing_asks_for_a_user_and_cors_stays_closed(tmp_path: Path) -> None:
    srv = Server(tmp_path / "open").start()
    try:
        with srv.client() as api:
            assert api.get("/api/auth/me").json() == {"auth": False, "user": None}
            assert api.get("/api/graphs").status_code == 200
            assert api.post("/api/auth/login", json={"token": "x"}).status_code == 409
            pre = api.options("/api/graphs", headers={"Origin": "https://evil.example",
                                                       "Access-Control-Request-Method": "POST"})
            got = api.get("/api/graphs", headers={"Origin": "https://evil.example"})
            for r in (pre, got):
                assert not any(h.startswith("access-control-") for h in r.headers), r.headers
    finally:
        srv.stop()


def test_cli_import_into_a_studio_with_users_names_the_owner(auth_server: Server, users: dict[str, str]) -> None:
    example = ROOT / "examples" / "prompt_builder.json"
    cli = [sys.executable, "-m", "app.cli", "import", str(example), "--data-dir", str(auth_server.data_dir)]
    refused = subprocess.run(cli, capture_output=True, text=True, cwd=ROOT)
    assert refused.returncode == 1 and "--owner USER" in refused.stderr and "Traceback" not in refused.stderr
    done = subprocess.run([*cli, "--owner", "bob", "--json"], capture_output=True, text=True, cwd=ROOT, check=True)
    gid = json.loads(done.stdout)["graph"]["id"]
    assert client(auth_server, users["bob"]).get(f"/api/graphs/{gid}").status_code == 200
    assert client(auth_server, users["alice"]).get(f"/api/graphs/{gid}").status_code == 404
