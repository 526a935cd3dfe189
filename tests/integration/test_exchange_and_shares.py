"""Graphs travel: export/import round trips, old files migrate, missing parts are named;
share links read but never write; a saved graph runs as an API."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from helpers import graph, wait_run
from studio_server import DATABASES

ROOT = Path(__file__).resolve().parents[2]
OLD = ROOT / "tests" / "fixtures" / "old" / "splitter_v1.json"
PROMPT_BUILDER = json.loads((ROOT / "examples" / "prompt_builder.json").read_text())


def save(api: httpx.Client, document: dict) -> str:
    resp = api.post("/api/graphs", json={"document": document})
    assert resp.status_code == 201, resp.text
    return resp.json()["id"]


def test_export_then_import_is_identical(api):
    gid = save(api, PROMPT_BUILDER)
    exported = api.get(f"/api/graphs/{gid}/export")
    assert exported.status_code == 200
    assert exported.headers["content-disposition"] == 'attachment; filename="Prompt-builder.genaisys.json"'
    file_doc = exported.json()
    assert all(n["version"] == 1 for n in file_doc["nodes"])  # exports carry node versions
    report = api.post("/api/graphs/import", json=file_doc)
    assert report.status_code == 201, report.text
    body = report.json()
    assert body["migrated"] == [] and body["missing"] == []
    assert body["graph"]["id"] != gid
    assert api.get(f"/api/graphs/{body['graph']['id']}/export").json() == file_doc


def test_an_old_file_is_migrated_on_import(api):
    body = api.post("/api/graphs/import", json=json.loads(OLD.read_text())).json()
    assert body["migrated"] == [{"node_id": "split", "type": "encoders.text_splitter", "from_version": 1, "to_version": 2}]
    split = next(n for n in body["graph"]["document"]["nodes"] if n["id"] == "split")
    assert split["params"] == {"size": 120, "overlap": 10, "unit": "characters"} and split["version"] == 2
    assert body["graph"]["problems"] == []
    run = wait_run(api, api.post("/api/runs", json={"graph_id": body["graph"]["id"]}).json()["id"])
    assert run["status"] == "succeeded" and all(len(c["text"]) <= 120 for c in run["outputs"]["out"])


def test_an_import_with_missing_parts_says_what_and_keeps_the_rest(api):
    doc = graph("Needs plugins")
    doc["nodes"].append({"id": "fancy", "type": "acme.super_resolution", "params": {}})
    doc["nodes"].append({"id": "llm", "type": "models.llm", "params": {"model": "/models/not-here/llama"}})
    body = api.post("/api/graphs/import", json=doc).json()
    missing = {m["name"]: m for m in body["missing"]}
    assert missing["acme.super_resolution"]["kind"] == "node_type" and missing["acme.super_resolution"]["nodes"] == ["fancy"]
    assert "GENAISYS_CUSTOM_NODES" in missing["acme.super_resolution"]["hint"]
    assert missing["/models/not-here/llama"]["kind"] == "model" and missing["/models/not-here/llama"]["nodes"] == ["llm"]
    # a hub model this offline machine does not have, named or left at a node's default (CLIP's)
    doc["nodes"].append({"id": "clip", "type": "encoders.clip_text", "params": {}})
    doc["nodes"].append({"id": "hub", "type": "models.llm", "params": {"model": "acme/not-cached-7b"}})
    report = api.post("/api/graphs/import", json=doc).json()
    by_node = {n: m for m in report["missing"] for n in m["nodes"]}
    assert by_node["hub"]["name"] == "acme/not-cached-7b" and "offline" in by_node["hub"]["hint"]
    assert by_node["clip"]["kind"] == "model" and "huggingface-cli download" in by_node["clip"]["hint"]
    assert "in" not in by_node and "out" not in by_node  # what this machine has is not listed
    kept = api.get(f"/api/graphs/{body['graph']['id']}").json()["document"]
    assert [n["id"] for n in kept["nodes"]] == ["in", "out", "fancy", "llm"]


def test_cli_import_saves_into_the_database_the_server_reads(server, api):
    proc = subprocess.run([sys.executable, "-m", "app.cli", "import", str(OLD), "--data-dir", str(server.data_dir)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "upgraded node 'split' (encoders.text_splitter) from version 1 to 2" in proc.stdout
    names = [g["name"] for g in api.get("/api/graphs").json()["data"]]
    assert "Old splitter graph" in names


def test_view_links_read_but_never_write(api):
    gid = save(api, graph("Shared view"))
    share = api.post(f"/api/graphs/{gid}/shares", json={"mode": "view"}).json()
    assert share["url"] == f"/s/{share['token']}" and share["active"] and len(share["token"]) >= 43
    shown = api.get(f"/api/shares/{share['token']}").json()
    assert shown["document"] == graph("Shared view") and shown["mode"] == "view"
    page = api.get(share["url"])
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]

    as_guest = {"X-Share-Token": share["token"]}
    for method, path, body in (("PUT", f"/api/graphs/{gid}", {"document": graph("hacked"), "based_on": 1}),
                               ("DELETE", f"/api/graphs/{gid}", None), ("POST", "/api/runs", {"graph_id": gid}),
                               ("POST", f"/api/shares/{share['token']}/fork", None)):
        resp = api.request(method, path, json=body, headers=as_guest)
        assert resp.status_code == 403, (method, path, resp.text)
        assert resp.json()["error"]["code"] in ("read_only_share", "forbidden")
    assert api.post("/api/validate", json=graph(), headers=as_guest).status_code == 200  # checking is reading
    assert api.get(f"/api/graphs/{gid}").json()["document"] == graph("Shared view")


@pytest.mark.parametrize("server", DATABASES, indirect=True)
def test_fork_links_copy_and_demo_links_hide_the_graph(api):
    gid = save(api, graph("Forkable"))
    fork = api.post(f"/api/graphs/{gid}/shares", json={"mode": "fork"}).json()
    copy = api.post(f"/api/shares/{fork['token']}/fork", headers={"X-Share-Token": fork["token"]})
    assert copy.status_code == 201 and copy.json()["name"] == "Forkable (copy)" and copy.json()["id"] != gid
    demo = api.post(f"/api/graphs/{gid}/shares", json={"mode": "demo"}).json()
    assert demo["url"] == f"/demo/{demo['token']}"
    shown = api.get(f"/api/shares/{demo['token']}").json()
    assert shown["document"] is None and shown["demo_url"] == demo["url"]
    assert api.post(f"/api/shares/{demo['token']}/fork").status_code == 403


@pytest.mark.parametrize("server", DATABASES, indirect=True)
def test_pinned_links_keep_their_version_and_revoked_links_die(api):
    gid = save(api, graph("Pinned", text="v1"))
    pinned = api.post(f"/api/graphs/{gid}/shares", json={"mode": "view", "version": 1}).json()
    latest = api.post(f"/api/graphs/{gid}/shares", json={"mode": "view"}).json()
    api.put(f"/api/graphs/{gid}", json={"document": graph("Pinned", text="v2"), "based_on": 1})
    assert api.get(f"/api/shares/{pinned['token']}").json()["document"] == graph("Pinned", text="v1")
    assert api.get(f"/api/shares/{latest['token']}").json()["version"] == 2
    assert api.delete(f"/api/shares/{latest['token']}").status_code == 204
    assert api.get(f"/api/shares/{latest['token']}").status_code == 404
    assert api.get(latest["url"]).status_code == 404
    listed = {s["token"]: s for s in api.get(f"/api/graphs/{gid}/shares").json()["data"]}
    assert listed[latest["token"]]["active"] is False and listed[pinned["token"]]["active"] is True
    assert api.get("/api/shares/not-a-real-token").status_code == 404


def test_a_saved_graph_runs_as_an_api(api):
    gid = save(api, PROMPT_BUILDER)
    resp = api.post(f"/api/graphs/{gid}/run", json={"inputs": {"which": 0}})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["status"] == "succeeded"
    assert body["outputs"]["out"].endswith("Explain in one sentence: Chroma stores embeddings")
    slow = save(api, graph("Slow", seconds=2))
    pending = api.post(f"/api/graphs/{slow}/run", json={"timeout_s": 0.2})
    assert pending.status_code == 202 and pending.json()["status"] in ("queued", "running")
    assert wait_run(api, pending.json()["run_id"])["status"] == "succeeded"
    bad = api.post(f"/api/graphs/{gid}/run", json={"inputs": {"which": "first"}})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_inputs"


def test_restoring_a_version_brings_back_its_name(api):
    first = {**PROMPT_BUILDER, "name": "Draft one", "description": "the first try"}
    gid = save(api, first)
    second = api.put(f"/api/graphs/{gid}", json={"document": {**first, "name": "Draft two", "description": "later"},
                                                  "based_on": 1})
    assert second.status_code == 200, second.text
    assert api.get(f"/api/graphs/{gid}/export", params={"version": 1}).headers["content-disposition"] \
        == 'attachment; filename="Draft-one.genaisys.json"'  # an old version's file is named as it was saved
    restored = api.post(f"/api/graphs/{gid}/versions/1/restore")
    assert restored.status_code == 200, restored.text
    assert (restored.json()["name"], restored.json()["description"]) == ("Draft one", "the first try")
    assert api.get(f"/api/graphs/{gid}").json()["name"] == "Draft one"
    listed = {g["id"]: g["name"] for g in api.get("/api/graphs").json()["data"]}
    assert listed[gid] == "Draft one"
    assert api.get(f"/api/graphs/{gid}/export").headers["content-disposition"] \
        == 'attachment; filename="Draft-one.genaisys.json"'
