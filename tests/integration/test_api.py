"""The HTTP API against a real server: graphs and versions, runs, artifacts, errors; on
SQLite and on PostgreSQL."""

from __future__ import annotations

import json

import pytest
from helpers import graph, wait_run
from studio_server import DATABASES

pytestmark = pytest.mark.parametrize("server", DATABASES, indirect=True)

PROMPT_BUILDER = "Prompt builder"


def test_examples_are_seeded_once(server, api):
    names = [g["name"] for g in api.get("/api/graphs").json()["data"]]
    assert PROMPT_BUILDER in names
    example = next(g for g in api.get("/api/graphs").json()["data"] if g["name"] == PROMPT_BUILDER)
    assert api.delete(f"/api/graphs/{example['id']}").status_code == 204
    server.stop()
    server.start()
    names = [g["name"] for g in api.get("/api/graphs").json()["data"]]
    assert PROMPT_BUILDER not in names  # a deleted example does not come back


def test_graph_crud_and_versions(api):
    created = api.post("/api/graphs", json={"document": graph("Mine"), "message": "first"})
    assert created.status_code == 201, created.text
    g = created.json()
    assert (g["name"], g["version"], g["latest_version"], g["problems"]) == ("Mine", 1, 1, [])
    gid = g["id"]

    second = graph("Mine, renamed", text="second")
    saved = api.put(f"/api/graphs/{gid}", json={"document": second, "based_on": 1, "message": "edit"})
    assert saved.status_code == 200, saved.text
    assert saved.json()["version"] == 2 and saved.json()["name"] == "Mine, renamed"

    versions = api.get(f"/api/graphs/{gid}/versions").json()
    assert [v["number"] for v in versions["data"]] == [2, 1]
    assert [v["message"] for v in versions["data"]] == ["edit", "first"]
    assert api.get(f"/api/graphs/{gid}/versions/1").json()["document"] == graph("Mine")

    restored = api.post(f"/api/graphs/{gid}/versions/1/restore", json={})
    assert restored.status_code == 200, restored.text
    assert restored.json()["version"] == 3 and restored.json()["document"] == graph("Mine")
    assert api.get(f"/api/graphs/{gid}").json()["document"] == graph("Mine")

    assert api.delete(f"/api/graphs/{gid}").status_code == 204
    assert gid not in [x["id"] for x in api.get("/api/graphs").json()["data"]]
    assert api.get(f"/api/graphs/{gid}").json()["deleted"] is True
    assert gid in [x["id"] for x in api.get("/api/graphs", params={"include_deleted": True}).json()["data"]]
    assert api.post(f"/api/graphs/{gid}/undelete").json()["deleted"] is False
    assert gid in [x["id"] for x in api.get("/api/graphs").json()["data"]]


def test_search_finds_graphs_by_name(api):
    api.post("/api/graphs", json={"document": graph("My meeting notes")})
    found = api.get("/api/graphs", params={"search": "MEETING"}).json()
    assert [g["name"] for g in found["data"]] == ["My meeting notes"]


def test_conflicting_save_is_409_and_nothing_is_lost(api):
    gid = api.post("/api/graphs", json={"document": graph("Shared")}).json()["id"]
    tab_a, tab_b = graph("Shared", text="from tab A"), graph("Shared", text="from tab B")
    assert api.put(f"/api/graphs/{gid}", json={"document": tab_a, "based_on": 1}).status_code == 200
    late = api.put(f"/api/graphs/{gid}", json={"document": tab_b, "based_on": 1})
    assert late.status_code == 409
    err = late.json()["error"]
    assert err["code"] == "version_conflict"
    assert err["details"]["current"] == 2 and err["details"]["based_on"] == 1
    assert err["details"]["document"] == tab_b  # the rejected work comes back to the client
    assert [v["number"] for v in api.get(f"/api/graphs/{gid}/versions").json()["data"]] == [2, 1]
    assert api.get(f"/api/graphs/{gid}").json()["document"] == tab_a


def test_texts_no_database_can_store_are_422_on_every_database(api):
    """PostgreSQL cannot store a NUL character nor a name over its column's 200 characters;
    both databases refuse them alike, before anything is written."""
    before = api.get("/api/graphs").json()
    for body, field in (({"document": graph("a\x00b")}, "graph name"), ({"document": graph("N" * 201)}, "graph name"),
                        ({"document": {**graph(), "description": "\x00"}}, "graph description"),
                        ({"document": graph(), "message": "m\x00"}, "version message")):
        refused = api.post("/api/graphs", json=body)
        assert refused.status_code == 422, refused.text
        assert refused.json()["error"]["code"] == "unstorable_text" and refused.json()["error"]["details"] == {"field": field}
    gid = api.post("/api/graphs", json={"document": graph("Fine")}).json()["id"]
    refused = api.put(f"/api/graphs/{gid}", json={"document": graph("Fine"), "based_on": 1, "message": "\x00"})
    assert refused.status_code == 422 and "NUL" in refused.json()["error"]["message"]
    refused = api.put(f"/api/graphs/{gid}", json={"document": graph("N" * 201), "based_on": 1})
    assert refused.status_code == 422 and "at most 200" in refused.json()["error"]["message"]
    assert api.put(f"/api/graphs/{gid}", json={"document": graph("N" * 200), "based_on": 1}).status_code == 200
    assert [v["number"] for v in api.get(f"/api/graphs/{gid}/versions").json()["data"]] == [2, 1]
    assert api.get("/api/graphs").json()["count"] == before["count"] + 1


def test_saving_a_graph_with_problems_is_allowed_and_reported(api):
    doc = graph("WIP")
    doc["edges"] = []  # the output now has nothing wired in
    saved = api.post("/api/graphs", json={"document": doc})
    assert saved.status_code == 201
    assert [p["code"] for p in saved.json()["problems"]] == ["missing_input"]


def test_validate_endpoint_reports_problems(api):
    doc = graph()
    doc["nodes"][0]["type"] = "io.text_inptu"
    report = api.post("/api/validate", json=doc).json()
    assert report["valid"] is False
    assert report["problems"][0]["code"] == "unknown_node_type"
    assert "io.text_input" in report["problems"][0]["message"]
    ok = api.post("/api/validate", json=graph()).json()
    assert ok == {"valid": True, "problems": [], "types": ok["types"]}
    assert ok["types"]["in"]["outputs"] == {"text": "Text"}


def test_node_catalog(api):
    catalog = api.get("/api/nodes").json()
    ids = {n["type"] for n in catalog["nodes"]}
    assert {"io.text_input", "utility.prompt_template", "test.sleep"} <= ids


def test_run_a_saved_graph_and_read_per_node_results(api):
    gid = api.post("/api/graphs", json={"document": graph("Runner", text="hi")}).json()["id"]
    accepted = api.post("/api/runs", json={"graph_id": gid, "inputs": {"in": "hello there"}})
    assert accepted.status_code == 202, accepted.text
    run = wait_run(api, accepted.json()["id"])
    assert run["status"] == "succeeded"
    assert run["graph_id"] == gid and run["graph_version"] == 1
    assert run["inputs"] == {"in": "hello there"}
    assert run["outputs"] == {"out": "hello there"}
    nodes = {n["node_id"]: n for n in run["nodes"]}
    assert nodes["in"]["status"] == "succeeded" and nodes["in"]["reason"] == "new node"
    assert nodes["out"]["outputs"] == {"value": "hello there"}
    assert run["provenance"]["cache"]["out"]["status"] == "succeeded"

    again = wait_run(api, api.post("/api/runs", json={"graph_id": gid, "inputs": {"in": "hello there"}}).json()["id"])
    assert {n["status"] for n in again["nodes"]} == {"cached"}
    listed = api.get("/api/runs", params={"graph_id": gid}).json()
    assert [r["id"] for r in listed["data"]] == [again["id"], run["id"]]


def test_run_a_document_directly(api):
    run = wait_run(api, api.post("/api/runs", json={"document": graph(text="adhoc")}).json()["id"])
    assert run["status"] == "succeeded" and run["outputs"] == {"out": "adhoc"} and run["graph_id"] is None


def test_an_unsaved_edit_runs_in_its_graphs_history(api):
    gid = api.post("/api/graphs", json={"document": graph("Edited")}).json()["id"]
    run = wait_run(api, api.post("/api/runs", json={"graph_id": gid, "document": graph("Edited", text="draft")}).json()["id"])
    assert run["graph_id"] == gid and run["graph_version"] is None and run["outputs"] == {"out": "draft"}
    assert [r["id"] for r in api.get("/api/runs", params={"graph_id": gid}).json()["data"]] == [run["id"]]
    both = api.post("/api/runs", json={"graph_id": gid, "version": 1, "document": graph()})
    assert both.status_code == 422


def test_invalid_graph_run_is_422_with_the_full_report(api):
    doc = graph()
    doc["edges"][0]["target_port"] = "nope"
    resp = api.post("/api/runs", json={"document": doc})
    assert resp.status_code == 422
    err = resp.json()["error"]
    assert err["code"] == "invalid_graph"
    assert {p["code"] for p in err["details"]["problems"]} == {"unknown_port", "missing_input"}
    assert api.get("/api/runs").json()["count"] == 0


def test_bad_run_input_is_422_naming_the_node(api):
    resp = api.post("/api/runs", json={"document": graph(), "inputs": {"ghost": "x"}})
    assert resp.status_code == 422
    assert resp.json()["error"]["details"]["problems"][0] == {
        "code": "unknown_input", "message": "'ghost' is not an input node of this graph; its inputs: in", "node_id": "ghost"}


def test_large_output_is_an_artifact_served_with_its_mime_type(api):
    run = wait_run(api, api.post("/api/runs", json={"document": graph(text="hello", big=True)}).json()["id"])
    assert run["status"] == "succeeded", run
    ref = run["outputs"]["out"]
    assert ref["mime"].startswith("text/plain") and ref["size"] == 500_000
    assert ref["preview"] == "hello" * 400
    resp = api.get(ref["url"])
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/plain")
    assert resp.text == "hello" * 100_000


def test_cancel_a_running_run(api):
    run_id = api.post("/api/runs", json={"document": graph(seconds=20)}).json()["id"]
    wait_run(api, run_id, until=("running",))
    resp = api.post(f"/api/runs/{run_id}/cancel")
    assert resp.status_code == 200, resp.text
    run = wait_run(api, run_id, timeout=10)
    assert run["status"] == "cancelled"
    assert {n["node_id"]: n["status"] for n in run["nodes"]}["sleep"] == "cancelled"
    again = api.post(f"/api/runs/{run_id}/cancel")
    assert again.status_code == 409 and again.json()["error"]["code"] == "not_running"


def test_bad_requests_get_clear_json_errors_and_change_nothing(api):
    gid = api.post("/api/graphs", json={"document": graph("Keep")}).json()["id"]
    before = api.get(f"/api/graphs/{gid}").json()

    resp = api.put(f"/api/graphs/{gid}", content=b"{not json", headers={"content-type": "application/json"})
    assert resp.status_code == 422 and resp.json()["error"]["code"] == "invalid_request"

    resp = api.put(f"/api/graphs/{gid}", json={"document": graph("Keep"), "based_on": "one"})
    assert resp.status_code == 422
    assert "based_on" in resp.json()["error"]["message"]

    resp = api.put(f"/api/graphs/{gid}", json={"document": {"schema": "nope"}, "based_on": 1})
    assert resp.status_code == 422 and resp.json()["error"]["code"] == "invalid_document"

    huge = {"document": graph("Keep", text="x" * (9 * 1024 * 1024)), "based_on": 1}
    resp = api.put(f"/api/graphs/{gid}", content=json.dumps(huge), headers={"content-type": "application/json"})
    assert resp.status_code == 413 and resp.json()["error"]["code"] == "too_large"

    for path in (f"/api/graphs/{'0' * 32}", "/api/runs/nope", f"/api/artifacts/{'a' * 64}", "/api/artifacts/../../etc/passwd"):
        resp = api.get(path)
        assert resp.status_code == 404, path
        assert resp.json()["error"]["code"] == "not_found", path
    resp = api.put(f"/api/graphs/{'0' * 32}", json={"document": graph(), "based_on": 1})
    assert resp.status_code == 404

    assert api.get(f"/api/graphs/{gid}").json() == before
    assert [v["number"] for v in api.get(f"/api/graphs/{gid}/versions").json()["data"]] == [1]


def test_no_traceback_ever_reaches_a_client(api):
    for resp in (
        api.post("/api/graphs", content=b"\xff\xfe", headers={"content-type": "application/json"}),
        api.post("/api/runs", json={"graph_id": "x", "version": 1, "document": graph()}),
        api.get("/api/runs", params={"limit": "-1"}),
    ):
        assert "Traceback" not in resp.text and "error" in resp.json(), resp.text


def test_openapi_docs_are_served(api):
    schema = api.get("/openapi.json").json()
    assert "/api/graphs/{graph_id}" in schema["paths"] and "/api/runs" in schema["paths"]
    assert api.get("/docs").status_code == 200


def test_pages_carry_security_headers(api):
    page = api.get("/")
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert "script-src 'self'" in page.headers["content-security-policy"]
    data = api.get("/api/graphs")
    assert data.headers["x-content-type-options"] == "nosniff" and data.headers["referrer-policy"] == "no-referrer"
    assert "content-security-policy" not in data.headers
