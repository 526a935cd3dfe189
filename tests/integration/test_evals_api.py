"""Evaluations through the real server: start one, follow it on its websocket, read it,
list a graph's per version; cases inline or as an uploaded file; refusals before it queues."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest
from helpers import graph
from studio_server import Server
from websockets.sync.client import connect

pytestmark = pytest.mark.slow

CHECKS = [{"name": "echo", "output": "out", "kind": "equals", "column": "want"},
          {"output": "out", "kind": "regex", "expected": "^h"}]


def wait_eval(api: httpx.Client, eval_id: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = api.get(f"/api/evals/{eval_id}").json()
        if row["status"] not in ("queued", "running"):
            return row
        time.sleep(0.05)
    raise AssertionError(f"evaluation {eval_id} still {row['status']} after {timeout} s")


def eval_events(server: Server, eval_id: str, timeout: float = 60) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    with connect(f"{server.ws_url}/api/evals/{eval_id}/events", open_timeout=timeout, close_timeout=2) as ws:
        for message in ws:
            value = json.loads(message)
            out.extend(value) if isinstance(value, list) else out.append(value)
    return out


def test_an_evaluation_streams_progress_and_is_stored_per_version(server: Server, api: httpx.Client) -> None:
    gid = api.post("/api/graphs", json={"document": graph("Echo", seconds=0.2)}).json()["id"]
    cases = [{"id": "a", "in": "hello", "want": "hello"}, {"id": "b", "in": "bye", "want": "hello"},
             {"id": "c", "in": "hi", "want": ""}]
    accepted = api.post(f"/api/graphs/{gid}/evals", json={"cases": cases, "checks": CHECKS})
    assert accepted.status_code == 202, accepted.text
    body = accepted.json()
    assert (body["status"], body["version"], body["url"]) == ("queued", 1, f"/api/evals/{body['id']}")
    events = eval_events(server, body["id"])
    types = [e["type"] for e in events]
    assert types[-1] == "evaluation_finished" and types.count("case_finished") == 3, types
    finished = [e["data"] for e in events if e["type"] == "case_finished"]
    assert [(d["case"], d["status"], d["n"], d["total"]) for d in finished] == [
        ("a", "passed", 1, 3), ("b", "failed", 2, 3), ("c", "passed", 3, 3)]
    row = wait_eval(api, body["id"])
    assert (row["status"], row["cases_count"], row["done_count"], row["passed_count"]) == ("succeeded", 3, 3, 2)
    assert row["summary"]["echo"] == {"output": "out", "kind": "equals", "passed": 1, "failed": 1, "skipped": 1,
                                      "pass_rate": 0.5}
    assert row["summary"]["out regex"]["passed"] == 2
    b = row["results"][1]
    assert b["outputs"] == {"out": "bye"} and b["checks"][0]["message"] == "expected 'hello', got 'bye'"
    assert "sleep" in b["ran"] and row["results"][0]["error"] is None
    # a new version, evaluated too: the list tells the versions apart
    api.put(f"/api/graphs/{gid}", json={"document": graph("Echo 2"), "based_on": 1}).raise_for_status()
    second = api.post(f"/api/graphs/{gid}/evals", json={"cases": cases[:1], "checks": CHECKS}).json()
    assert second["version"] == 2
    wait_eval(api, second["id"])
    listed = api.get(f"/api/graphs/{gid}/evals").json()
    assert listed["count"] == 2 and [e["version"] for e in listed["data"]] == [2, 1]
    assert "results" not in listed["data"][0]
    assert api.get(f"/api/graphs/{gid}/evals", params={"version": 1}).json()["count"] == 1
    # a finished evaluation's websocket (and its events' GET) answers its end at once
    assert [e["type"] for e in eval_events(server, body["id"])] == ["evaluation_finished"]
    assert api.get(f"/api/evals/{body['id']}/events").json()[0]["data"] == {"status": "succeeded", "cases": 3,
                                                                            "done": 3, "passed": 2}


def test_cases_from_an_uploaded_csv_and_refusals(server: Server, api: httpx.Client) -> None:
    gid = api.post("/api/graphs", json={"document": graph("Echo")}).json()["id"]
    upload = api.post("/api/uploads", params={"filename": "cases.csv"}, content=b"in,want\nhello,hello\nhey,hello\n")
    assert upload.status_code == 201, upload.text
    accepted = api.post(f"/api/graphs/{gid}/evals", json={"file": upload.json()["path"], "checks": CHECKS[:1]})
    assert accepted.status_code == 202, accepted.text
    row = wait_eval(api, accepted.json()["id"])
    assert (row["status"], row["passed_count"], row["cases_count"]) == ("succeeded", 1, 2)
    lines = api.post("/api/uploads", params={"filename": "cases.jsonl"}, content=b'{"in": "hello", "want": "hello"}\n')
    assert lines.status_code == 201 and lines.json()["mime"] == "application/x-ndjson", lines.text
    accepted = api.post(f"/api/graphs/{gid}/evals", json={"file": lines.json()["path"], "checks": CHECKS[:1]})
    assert wait_eval(api, accepted.json()["id"])["passed_count"] == 1

    def refused(body: dict[str, Any]) -> str:
        r = api.post(f"/api/graphs/{gid}/evals", json=body)
        assert r.status_code == 422, r.text
        return r.json()["error"]["message"]

    assert "not an io output of this graph" in refused({"cases": [{"in": "x"}], "checks": [
        {"output": "nope", "kind": "equals", "expected": "x"}]})
    assert "fill no input and feed no check" in refused({"cases": [{"inn": "x"}], "checks": CHECKS[:1]})
    assert "one of the two" in refused({"checks": CHECKS})
    assert "no checks" in refused({"cases": [{"in": "x"}]})
    assert "cases file not found" in refused({"file": "uploads/nothing.csv", "checks": CHECKS})
    assert api.post(f"/api/graphs/{gid}/evals", json={"cases": [{"in": "x"}], "checks": [
        {"output": "out", "kind": "resembles", "expected": "x"}]}).status_code == 422
    assert api.post("/api/graphs/nope/evals", json={"cases": [{"in": "x"}], "checks": CHECKS}).status_code == 404
    assert api.get("/api/evals/nope").status_code == 404
    assert api.get(f"/api/graphs/{gid}/evals").json()["count"] == 2  # nothing refused was recorded


def test_with_auth_another_users_evaluations_are_missing(tmp_path) -> None:
    from test_auth import add_user, client

    data = tmp_path / "data"
    alice_token, bob_token = add_user(data, "alice"), add_user(data, "bob")
    srv = Server(data, env={"GENAISYS_AUTH": "1"}).start()
    try:
        with client(srv, alice_token) as alice, client(srv, bob_token) as bob:
            gid = alice.post("/api/graphs", json={"document": graph("Alice's")}).json()["id"]
            body = {"cases": [{"in": "hello", "want": "hello"}], "checks": CHECKS[:1]}
            accepted = alice.post(f"/api/graphs/{gid}/evals", json=body)
            assert accepted.status_code == 202, accepted.text
            eval_id = accepted.json()["id"]
            assert wait_eval(alice, eval_id)["passed_count"] == 1
            assert bob.post(f"/api/graphs/{gid}/evals", json=body).status_code == 404
            assert bob.get(f"/api/evals/{eval_id}").status_code == 404
            assert bob.get(f"/api/graphs/{gid}/evals").status_code == 404
            assert bob.post(f"/api/evals/{eval_id}/cancel").status_code == 404
            assert alice.get(f"/api/graphs/{gid}/evals").json()["count"] == 1
    finally:
        srv.stop()
