"""The file fence and the users' stores on a real server in ``--auth`` mode: Chroma collections
belong to their owner, every path a node opens is checked after links are resolved (model
and adapter folders, store folders, collection handles, files found inside folders, the file
input), no environment variable is expanded, and no error or upload names the server's own
folders. Runs wait with generous bounds: a cold Chroma import takes seconds on two cores."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from helpers import wait_run
from studio_server import Server
from test_auth import add_user

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
FENCED = "outside the folders this server lets graphs read"
RUN_S = 120

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, dict[str, httpx.Client]]]:
    """One auth-mode server and two users for the whole module: starting a server and
    importing Chroma is most of each test's cost, and every test works in its own names."""
    data = tmp_path_factory.mktemp("fence") / "data"
    tokens = {"alice": add_user(data, "alice"), "bob": add_user(data, "bob")}
    srv = Server(data, env={"GENAISYS_AUTH": "1"}).start()
    clients = {name: httpx.Client(base_url=srv.url, timeout=30, headers={"Authorization": f"Bearer {token}"})
               for name, token in tokens.items()}
    yield srv, clients
    for c in clients.values():
        c.close()
    srv.stop()


@pytest.fixture
def server(studio: tuple[Server, dict[str, httpx.Client]]) -> Server:
    return studio[0]


@pytest.fixture
def alice(studio: tuple[Server, dict[str, httpx.Client]]) -> httpx.Client:
    return studio[1]["alice"]


@pytest.fixture
def bob(studio: tuple[Server, dict[str, httpx.Client]]) -> httpx.Client:
    return studio[1]["bob"]


def run(api: httpx.Client, nodes: list[dict[str, Any]], edges: list[tuple[str, str, str, str]]) -> dict[str, Any]:
    """Run an unsaved graph to its end; the run with every node's result."""
    doc = {"schema": "genaisys.graph/1", "name": "Fence", "nodes": nodes, "edges": [
        {"id": f"e{i}", "source": s, "source_port": sp, "target": t, "target_port": tp}
        for i, (s, sp, t, tp) in enumerate(edges)]}
    accepted = api.post("/api/runs", json={"document": doc})
    assert accepted.status_code == 202 or accepted.status_code == 201, accepted.text
    return wait_run(api, accepted.json()["id"], timeout=RUN_S)


def error_of(result: dict[str, Any], node_id: str) -> str:
    node = next(n for n in result["nodes"] if n["node_id"] == node_id)
    assert node["status"] == "failed" and node["error"], node
    return str(node["error"]["message"])


def status_of(result: dict[str, Any], node_id: str) -> str:
    return str(next(n for n in result["nodes"] if n["node_id"] == node_id)["status"])


def one(node_id: str, type_id: str, **params: Any) -> dict[str, Any]:
    return {"id": node_id, "type": type_id, "params": params}


def load(api: httpx.Client, path: str, recursive: bool = False) -> dict[str, Any]:
    """encoders.document_loader on ``path`` into a JSON output."""
    return run(api, [one("load", "encoders.document_loader", path=path, recursive=recursive), one("out", "io.json_output")],
               [("load", "documents", "out", "value")])


def store(api: httpx.Client, lines: str, question: str, *, collection: str = "notes", path: str = "",
          reset: bool = False, top_k: int = 4) -> dict[str, Any]:
    """Add ``lines`` to a collection, then ask it ``question``: its answer is ``outputs.out``."""
    return run(api, [
        one("docs", "test.tiny_vectors", text=lines),
        one("write", "stores.chroma_write", collection=collection, path=path, reset=reset),
        one("q", "test.tiny_vectors", text=question),
        one("query", "stores.chroma_query", top_k=top_k),
        one("out", "io.json_output"),
    ], [("docs", "documents", "write", "documents"), ("docs", "embeddings", "write", "embeddings"),
        ("write", "collection", "query", "collection"), ("q", "embeddings", "query", "query"),
        ("query", "documents", "out", "value")])


def query_handle(api: httpx.Client, handle: dict[str, Any], question: str = "anything", top_k: int = 4) -> dict[str, Any]:
    """Query a collection handle typed by hand (a JSON value through utility.json_field)."""
    return run(api, [
        one("handle", "utility.json_field", data=handle, path=""),
        one("q", "test.tiny_vectors", text=question),
        one("query", "stores.chroma_query", top_k=top_k),
        one("out", "io.json_output"),
    ], [("handle", "value", "query", "collection"), ("q", "embeddings", "query", "query"),
        ("query", "documents", "out", "value")])


def texts(result: dict[str, Any]) -> set[str]:
    assert result["status"] == "succeeded", result
    return {d["text"] for d in result["outputs"]["out"]}


def server_paths(server: Server) -> list[str]:
    """Absolute folders of the server that no error may name unless the user typed them."""
    home = os.environ.get("HOME", "")
    path_dirs = [p for p in os.environ.get("PATH", "").split(os.pathsep) if len(p) > 4]
    return [str(server.data_dir), str(server.data_dir.resolve()), str(EXAMPLES), *([home] if len(home) > 1 else []), *path_dirs]


# -- Chroma collections belong to their owner ------------------------------------------------------


def test_another_user_can_neither_read_nor_reset_a_collection_by_its_name(alice: httpx.Client, bob: httpx.Client) -> None:
    secret = "alice's diagnosis is private\nalice's bank pin is 4321"
    assert texts(store(alice, secret, "alice's bank pin is 4321")) == set(secret.splitlines())

    # bob names the same collection: he finds only what he added himself
    assert texts(store(bob, "bob's shopping list", "alice's bank pin is 4321")) == {"bob's shopping list"}
    # he empties "notes" — his own — and hand-types a handle by the same name: still only his
    assert texts(store(bob, "bob again", "alice's bank pin is 4321", reset=True)) == {"bob again"}
    got = query_handle(bob, {"path": "", "name": "notes", "dim": 4, "count": 2}, "alice's bank pin is 4321")
    assert texts(got) == {"bob again"}

    # alice's collection is whole (top_k changed so the query really runs again)
    assert texts(store(alice, secret, "alice's diagnosis is private", top_k=5)) == set(secret.splitlines())


def test_a_crafted_collection_handle_stays_in_its_users_store(server: Server, alice: httpx.Client, bob: httpx.Client,
                                                             tmp_path: Path) -> None:
    assert store(alice, "alice's travel plans", "plans", collection="plans")["status"] == "succeeded"
    alice_id = alice.get("/api/auth/me").json()["user"]["id"]
    made_by_query = tmp_path / "made-by-query"
    for path in (str(server.data_dir / "chroma" / "users" / alice_id), str(server.data_dir / "chroma"),
                 str(made_by_query), "../../../../tmp/escape", "$HOME"):
        got = query_handle(bob, {"path": path, "name": "plans", "dim": 4, "count": 1}, "what are the plans")
        assert got["status"] == "failed", (path, got)
        assert "travel plans" not in json.dumps(got)
        message = error_of(got, "query")
        assert "each user" in message and path in message, message
    assert not made_by_query.exists()  # a query never creates a folder


def test_chroma_write_refuses_a_folder_of_its_choosing(server: Server, alice: httpx.Client, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    for path in (str(outside), str(server.data_dir / "uploads"), str(server.data_dir / "models")):
        got = store(alice, "written somewhere", "written", collection="elsewhere", path=path)
        assert got["status"] == "failed" and "each user" in error_of(got, "write"), (path, got)
    assert not outside.exists()
    assert not [p for p in server.data_dir.glob("*/chroma.sqlite3") if p.parent.name != "chroma"]


def test_results_are_not_shared_between_users_through_the_cache(alice: httpx.Client, bob: httpx.Client) -> None:
    first = load(alice, "assets/docs")
    assert status_of(first, "load") == "succeeded"
    assert status_of(load(alice, "assets/docs"), "load") == "cached"
    # bob learns nothing from the cache (not even that alice loaded these files): his run runs
    assert status_of(load(bob, "assets/docs"), "load") == "succeeded"


# -- the fence's gaps ------------------------------------------------------------------------------


def test_a_lora_adapter_outside_the_fence_is_refused_whether_or_not_it_exists(server: Server, alice: httpx.Client,
                                                                              tmp_path: Path) -> None:
    outside = tmp_path / "lora"
    outside.mkdir()
    (outside / "adapter_config.json").write_text('{"r": 8}')
    (tmp_path / "secret.json").write_text('{"secret": true}')
    inside = server.data_dir / "models" / "lora-ok"
    linked = server.data_dir / "models" / "lora-linked"
    for folder in (inside, linked):
        folder.mkdir(parents=True, exist_ok=True)
    (inside / "adapter_config.json").write_text('{"r": 8}')
    (linked / "adapter_config.json").symlink_to(tmp_path / "secret.json")

    def adapter(path: str) -> dict[str, Any]:
        return run(alice, [one("lora", "models.lora_adapter", path=path), one("out", "io.json_output")],
                   [("lora", "adapter", "out", "value")])

    there, missing = adapter(str(outside)), adapter(str(tmp_path / "no-such-lora"))
    assert FENCED in error_of(there, "lora")
    # the same answer for a folder that is not there: no oracle of what exists outside
    assert error_of(there, "lora").replace(str(outside), "P") == error_of(missing, "lora").replace(str(tmp_path / "no-such-lora"), "P")
    assert FENCED in error_of(adapter(str(linked)), "lora")  # a file inside that links outside
    ok = adapter(str(inside))
    assert ok["status"] == "succeeded", ok
    assert ok["outputs"]["out"]["kind"] == "lora"


def test_files_inside_an_allowed_folder_are_checked_after_their_links(server: Server, alice: httpx.Client,
                                                                       tmp_path: Path) -> None:
    private = tmp_path / "private"
    private.mkdir()
    (private / "secret.txt").write_text("the server's private notes")
    to_file = server.data_dir / "models" / "docs-file-link"
    to_folder = server.data_dir / "models" / "docs-folder-link"
    for folder in (to_file, to_folder):
        folder.mkdir(parents=True)
        (folder / "ok.txt").write_text("fine to read")
    (to_file / "link.txt").symlink_to(private / "secret.txt")
    (to_folder / "sub").symlink_to(private)

    linked = load(alice, str(to_file))
    assert linked["status"] == "failed" and "private notes" not in json.dumps(linked)
    message = error_of(linked, "load")
    assert FENCED in message and "link.txt" in message and str(private) not in message
    through_folder = load(alice, str(to_folder), recursive=True)
    assert "private notes" not in json.dumps(through_folder)
    assert through_folder["status"] == "failed" or texts(through_folder) == {"fine to read"}
    (to_file / "link.txt").unlink()
    assert texts(load(alice, str(to_file))) == {"fine to read"}


def test_the_file_input_is_fenced_and_no_oracle_of_what_exists(server: Server, alice: httpx.Client) -> None:
    def file_input(value: str) -> dict[str, Any]:
        return run(alice, [one("f", "io.file_input", value=value), one("out", "io.json_output")], [("f", "file", "out", "value")])

    missing = f"/etc/no-such-file-{uuid.uuid4().hex[:8]}"
    passwd, nothing = file_input("/etc/passwd"), file_input(missing)
    assert passwd["status"] == "failed" and nothing["status"] == "failed"
    assert FENCED in error_of(passwd, "f")
    assert error_of(passwd, "f").replace("/etc/passwd", "P") == error_of(nothing, "f").replace(missing, "P")
    home = file_input("~/.bashrc")
    assert home["status"] == "failed" and os.path.expanduser("~") not in error_of(home, "f")


def test_environment_variables_are_neither_expanded_nor_echoed(server: Server, alice: httpx.Client) -> None:
    for path in ("$HOME/x", "$PATH/x", "${HOME}/x", "$GENAISYS_FILE_ROOTS/x", "/etc/hostname"):
        got = load(alice, path)
        message = error_of(got, "load")
        assert path in message, message  # named as the user wrote it
        for folder in server_paths(server):
            assert folder not in message, (path, folder, message)
    assert "the uploads, models and examples folders" in error_of(load(alice, "/etc/hostname"), "load")


def test_uploads_answer_a_path_that_names_no_server_folder(server: Server, alice: httpx.Client) -> None:
    body = alice.post("/api/uploads", params={"filename": "notes.txt"}, content=b"notes anyone may load").json()
    assert body["path"] == f"uploads/{body['sha256']}.txt"
    assert (server.data_dir / body["path"]).read_bytes() == b"notes anyone may load"
    assert texts(load(alice, body["path"])) == {"notes anyone may load"}
    # the file input passes it on in the same words, and the loaders downstream read it
    echoed = run(alice, [one("f", "io.file_input", value=body["path"]), one("out", "io.json_output")],
                 [("f", "file", "out", "value")])
    assert echoed["status"] == "succeeded" and echoed["outputs"]["out"] == body["path"]
    # graphs saved with the old absolute upload paths keep working
    assert texts(load(alice, str(server.data_dir / "uploads" / f"{body['sha256']}.txt"))) == {"notes anyone may load"}
