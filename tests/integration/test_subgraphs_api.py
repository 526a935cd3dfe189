"""Subgraphs through a real server: saved graphs used as nodes are looked up in storage (the
caller's own with ``--auth``), run under path ids, exported with what they embed and
imported back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
from helpers import events, wait_run
from studio_server import Server
from test_auth import add_user, client

ROOT = Path(__file__).resolve().parents[2]


def shout(suffix: str = "!") -> dict[str, Any]:
    return {"schema": "genaisys.graph/1", "name": "Shout", "nodes": [
        {"id": "words", "type": "io.text_input", "params": {"label": "Words", "value": "hi"}},
        {"id": "loud", "type": "utility.concat", "params": {"b": suffix}},
        {"id": "said", "type": "io.text_output", "params": {"label": "Said"}},
    ], "edges": [
        {"id": "e1", "source": "words", "source_port": "text", "target": "loud", "target_port": "a"},
        {"id": "e2", "source": "loud", "source_port": "text", "target": "said", "target_port": "value"},
    ]}


def outer(graph_id: str, version: int = 1) -> dict[str, Any]:
    return {"schema": "genaisys.graph/1", "name": "Outer", "nodes": [
        {"id": "q", "type": "io.text_input", "params": {"value": "hello"}},
        {"id": "s", "type": "graph.subgraph", "params": {"graph": graph_id, "version": version}},
        {"id": "out", "type": "io.text_output", "params": {}},
    ], "edges": [
        {"id": "e1", "source": "q", "source_port": "text", "target": "s", "target_port": "words"},
        {"id": "e2", "source": "s", "source_port": "said", "target": "out", "target_port": "value"},
    ]}


def save(api: httpx.Client, document: dict[str, Any]) -> dict[str, Any]:
    saved = api.post("/api/graphs", json={"document": document})
    assert saved.status_code == 201, saved.text
    return saved.json()


def codes(report: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(p["code"], p.get("node_id")) for p in report["problems"]]


def test_a_saved_graph_runs_as_a_node_with_its_inner_nodes_in_the_record(server: Server, api: httpx.Client) -> None:
    inner = save(api, shout())
    whole = save(api, outer(inner["id"]))
    assert whole["problems"] == []
    run_id = api.post("/api/runs", json={"graph_id": whole["id"]}).json()["id"]
    seen = events(server.ws_url, run_id)
    run = wait_run(api, run_id)
    assert run["status"] == "succeeded" and run["outputs"] == {"out": "hello!"}
    nodes = {n["node_id"]: n for n in run["nodes"]}
    assert {"s", "s/loud", "s/said"} <= set(nodes) and nodes["s"]["outputs"] == {"said": "hello!"}
    kinds = [(e.get("type"), e.get("node_id")) for e in seen]
    assert kinds.index(("node_started", "s/loud")) < kinds.index(("node_finished", "s")) < kinds.index(("node_started", "out"))

    # a new inner version; the outer graph still runs the version it pinned until updated
    api.put(f"/api/graphs/{inner['id']}", json={"document": shout("?"), "based_on": 1}).raise_for_status()
    pinned = wait_run(api, api.post("/api/runs", json={"graph_id": whole["id"]}).json()["id"])
    assert pinned["outputs"] == {"out": "hello!"}
    edit = {"document": outer(inner["id"], 2), "graph_id": whole["id"]}  # the canvas runs its edit of the graph
    updated = wait_run(api, api.post("/api/runs", json=edit).json()["id"])
    assert updated["outputs"] == {"out": "hello?"}
    assert {n["node_id"]: n for n in updated["nodes"]}["s"]["reason"] == "loud: params changed"


def test_a_deleted_graph_is_missing_subgraph_and_nothing_runs(api: httpx.Client) -> None:
    inner = save(api, shout())
    api.delete(f"/api/graphs/{inner['id']}").raise_for_status()
    report = api.post("/api/validate", json=outer(inner["id"])).json()
    assert codes(report) == [("missing_subgraph", "s")]
    refused = api.post("/api/runs", json={"document": outer(inner["id"])})
    assert refused.status_code == 422 and "missing_subgraph" in refused.text
    assert api.get("/api/runs").json()["count"] == 0


def test_another_users_graph_is_missing_subgraph(tmp_path: Path) -> None:
    users = {name: add_user(tmp_path / "data", name) for name in ("alice", "bob")}
    studio = Server(tmp_path / "data", env={"GENAISYS_AUTH": "1"}).start()
    try:
        _only_own_graphs(studio, users)
    finally:
        studio.stop()


def _only_own_graphs(studio: Server, users: dict[str, str]) -> None:
    with client(studio, users["alice"]) as alice, client(studio, users["bob"]) as bob:
        mine = save(alice, shout())
        assert codes(alice.post("/api/validate", json=outer(mine["id"])).json()) == []
        report = bob.post("/api/validate", json=outer(mine["id"])).json()
        assert codes(report) == [("missing_subgraph", "s")]
        assert "not yours" in report["problems"][0]["message"] and "Shout" not in report["problems"][0]["message"]


def test_export_bundles_the_graphs_a_graph_embeds_and_import_restores_them(api: httpx.Client) -> None:
    inner = save(api, shout())
    api.put(f"/api/graphs/{inner['id']}", json={"document": shout("?"), "based_on": 1}).raise_for_status()
    whole = save(api, outer(inner["id"], 2))
    exported = api.get(f"/api/graphs/{whole['id']}/export").json()
    assert [(g["id"], g["version"], g["name"]) for g in exported["graphs"]] == [(inner["id"], 2, "Shout")]

    imported = api.post("/api/graphs/import", json=exported)
    assert imported.status_code == 201, imported.text
    graph = imported.json()["graph"]
    assert graph["problems"] == [] and "graphs" not in graph["document"]
    node = next(n for n in graph["document"]["nodes"] if n["id"] == "s")
    assert node["params"]["graph"] != inner["id"] and node["params"]["version"] == 1  # a new graph of its own
    run = wait_run(api, api.post("/api/runs", json={"graph_id": graph["id"]}).json()["id"])
    assert run["outputs"] == {"out": "hello?"}


def test_the_composed_rag_example_is_seeded_with_its_two_subgraphs(api: httpx.Client) -> None:
    names = {g["name"] for g in api.get("/api/graphs", params={"limit": 100}).json()["data"]}
    assert {"RAG composed of two subgraphs", "Ingest", "Answer"} <= names
    composed = next(g for g in api.get("/api/graphs", params={"limit": 100}).json()["data"]
                    if g["name"] == "RAG composed of two subgraphs")
    detail = api.get(f"/api/graphs/{composed['id']}").json()
    assert detail["problems"] == [], detail["problems"]
    assert json.loads((ROOT / "examples" / "rag_composed.json").read_text())["graphs"]  # the file bundles them


def test_a_fork_of_a_shared_graph_gets_its_own_copies_of_the_graphs_it_runs(tmp_path: Path) -> None:
    """With --auth the sharer's subgraphs are not the forker's to see: the fork copies them."""
    users = {name: add_user(tmp_path / "data", name) for name in ("alice", "bob")}
    studio = Server(tmp_path / "data", env={"GENAISYS_AUTH": "1"}).start()
    try:
        with client(studio, users["alice"]) as alice, client(studio, users["bob"]) as bob:
            inner = save(alice, shout())
            whole = save(alice, outer(inner["id"]))
            link = alice.post(f"/api/graphs/{whole['id']}/shares", json={"mode": "fork"}).json()
            fork = bob.post(f"/api/shares/{link['token']}/fork", headers={"X-Share-Token": link["token"]})
            assert fork.status_code == 201, fork.text
            copy = fork.json()
            assert copy["problems"] == [] and copy["name"] == "Outer (copy)"
            node = next(n for n in copy["document"]["nodes"] if n["id"] == "s")
            assert node["params"]["graph"] != inner["id"]  # bob's own copy of Shout
            run = wait_run(bob, bob.post("/api/runs", json={"graph_id": copy["id"]}).json()["id"])
            assert run["outputs"] == {"out": "hello!"}
    finally:
        studio.stop()
