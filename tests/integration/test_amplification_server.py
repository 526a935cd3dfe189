"""Amplification against a real server: the 307-byte document that once wrote a 60,000,000-byte
artifact is refused by POST /api/runs; a template wired in fails at run time; and the server
bounds every text output by GENAISYS_MAX_TEXT_OUTPUT_BYTES."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
from helpers import graph, wait_run
from studio_server import Server

AMPLIFIER = (
    '{"schema":"genaisys.graph/1","name":"Amplifier: 307 bytes in, 60 MB out","nodes":['
    '{"id":"t","type":"utility.prompt_template","params":{"template":"{x:60000000}"}},'
    '{"id":"out","type":"io.text_output","params":{}}],"edges":['
    '{"id":"e","source":"t","source_port":"prompt","target":"out","target_port":"value"}]}'
)


def largest_artifact(data_dir: Path) -> int:
    files = [f for f in (data_dir / "artifacts").rglob("*") if f.is_file()]
    return max((f.stat().st_size for f in files), default=0)


def node_error(run: dict[str, Any], node_id: str) -> dict[str, Any]:
    return next(n for n in run["nodes"] if n["node_id"] == node_id)["error"]


def test_the_307_byte_document_is_refused_and_makes_no_artifact(
    server: Server, api: httpx.Client
) -> None:
    assert len(AMPLIFIER.encode()) == 307
    resp = api.post("/api/runs", json={"document": json.loads(AMPLIFIER)})
    assert resp.status_code == 422, resp.text
    err = resp.json()["error"]
    assert err["code"] == "invalid_graph"
    bad = [p for p in err["details"]["problems"] if p["code"] == "bad_param"]
    assert [(p["node_id"], p["param"]) for p in bad] == [("t", "template")]
    assert "the slot {x:60000000} has a format spec; write {x}" in bad[0]["message"]
    assert api.get("/api/runs").json()["count"] == 0
    assert largest_artifact(server.data_dir) < 1024 * 1024


def test_a_format_spec_wired_in_fails_the_node_and_makes_no_artifact(
    server: Server, api: httpx.Client
) -> None:
    doc: dict[str, Any] = graph("Wired amplifier", text="{x:60000000}")
    doc["nodes"].append({"id": "t", "type": "utility.prompt_template", "params": {}})
    doc["edges"] = [
        {
            "id": "a",
            "source": "in",
            "source_port": "text",
            "target": "t",
            "target_port": "template",
        },
        {
            "id": "b",
            "source": "t",
            "source_port": "prompt",
            "target": "out",
            "target_port": "value",
        },
    ]
    run = wait_run(api, api.post("/api/runs", json={"document": doc}).json()["id"])
    assert run["status"] == "failed" and run["error"]["node_id"] == "t"
    assert node_error(run, "t") == {
        "code": "node_error",
        "message": "the slot {x:60000000} has a format spec; write {x}",
    }
    assert largest_artifact(server.data_dir) < 1024 * 1024


def test_the_server_bounds_text_outputs_by_its_setting(tmp_path: Path) -> None:
    srv = Server(tmp_path / "data", env={"GENAISYS_MAX_TEXT_OUTPUT_BYTES": "100000"}).start()
    try:
        with srv.client() as api:  # test.big_text repeats "hello" 100,000 times: 500,000 bytes
            run = wait_run(
                api, api.post("/api/runs", json={"document": graph("Big", big=True)}).json()["id"]
            )
            assert run["status"] == "failed" and run["error"]["node_id"] == "big"
            assert node_error(run, "big")["message"] == (
                "node 'big' produced a text of 500,000 bytes; the limit is 100,000 bytes (GENAISYS_MAX_TEXT_OUTPUT_BYTES)"
            )
            assert largest_artifact(srv.data_dir) < 100_000
            assert (
                wait_run(api, api.post("/api/runs", json={"document": graph()}).json()["id"])[
                    "status"
                ]
                == "succeeded"
            )
    finally:
        srv.stop()
