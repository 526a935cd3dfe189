"""`POST /api/analyze` through a real server: the report of a valid graph (memory against the
server's model budget, determinism, lineage), an invalid graph's problems, a saved graph
with subgraphs resolved from storage, and bad requests in the house error shape."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from studio_server import Server

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def example(name: str) -> dict:
    return json.loads((ROOT / "examples" / name).read_text())


def test_analyze_reports_memory_determinism_and_lineage(tmp_path: Path) -> None:
    server = Server(tmp_path / "data", env={"GENAISYS_MODEL_BUDGET_BYTES": "100000000"}).start()
    try:
        with server.client() as api:
            resp = api.post("/api/analyze", json=example("rag.json"))
    finally:
        server.stop()
    assert resp.status_code == 200, resp.text
    report = resp.json()
    assert report["valid"] is True and report["budget_bytes"] == 100_000_000
    assert {m["node_id"] for m in report["models"]} == {"embed_docs", "embed_question", "llm"}
    assert report["device"]["total_bytes"] > 0 and report["total_bytes"] > 250_000_000  # the LLM dequantised
    [warning] = report["warnings"]
    assert warning["code"] == "over_model_budget" and set(warning["nodes"]) == {"embed_docs", "embed_question", "llm"}
    answer = next(o for o in report["outputs"] if o["node_id"] == "answer")
    assert answer["deterministic"] is True and answer["inputs"] == ["question"]


def test_analyze_an_invalid_graph_answers_its_problems(api: httpx.Client) -> None:
    five = json.loads((ROOT / "tests" / "fixtures" / "five_mistakes.json").read_text())
    resp = api.post("/api/analyze", json=five)
    assert resp.status_code == 200
    report = resp.json()
    assert report["valid"] is False and report["models"] == [] and report["outputs"] == []
    assert report["problems"] == api.post("/api/validate", json=five).json()["problems"]
    assert "Traceback" not in resp.text


def test_analyze_a_saved_graph_with_subgraphs_resolves_them_from_storage(api: httpx.Client) -> None:
    graphs = api.get("/api/graphs", params={"limit": 100}).json()["data"]
    composed = next(g for g in graphs if g["name"] == "RAG composed of two subgraphs")
    document = api.get(f"/api/graphs/{composed['id']}").json()["document"]
    assert "graphs" not in document  # no bundle: the server looks the subgraphs up in storage
    report = api.post("/api/analyze", json=document).json()
    assert report["valid"] is True, report["problems"]
    models = {m["node_id"] for m in report["models"]}
    assert {m.split("/", 1)[1] for m in models} == {"embed_docs", "embed_question", "llm"}
    assert all("/" in m for m in models)  # inner nodes, by their paths


def test_bad_requests_get_the_house_error_shape(api: httpx.Client) -> None:
    resp = api.post("/api/analyze", content=b"{not json", headers={"content-type": "application/json"})
    assert resp.status_code == 422 and resp.json()["error"]["code"] == "invalid_request"
    resp = api.post("/api/analyze", json=[1, 2, 3])
    assert resp.status_code == 200 and resp.json()["valid"] is False
    assert resp.json()["problems"][0]["code"] == "invalid_document"
    assert "Traceback" not in resp.text
