"""One history: `genaisys run` records its runs in the data directory's database, as the
server does; `genaisys runs list|show` read it, `--graph ID[@V]` runs a saved graph, and the
server lists the terminal's runs of a graph (the canvas's Runs tab)."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import as_json, genaisys
from studio_server import Server

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "prompt_builder.json"


def test_terminal_runs_are_recorded_listed_shown_and_replayable(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = as_json(genaisys(data, "run", str(EXAMPLE), "--input", "which=0", "--json"))
    shown = genaisys(data, "run", str(EXAMPLE), "--input", "which=2")  # with progress bars
    assert "recorded as run" in shown.stderr
    listed = as_json(genaisys(data, "runs", "list", "--json"))
    assert listed["count"] == 2
    assert [r["status"] for r in listed["data"]] == ["succeeded", "succeeded"]
    assert listed["data"][1]["id"] == first["run_id"]  # newest first
    assert listed["data"][1]["inputs"] == {"which": "0"}

    detail = as_json(genaisys(data, "runs", "show", first["run_id"], "--json"))
    assert detail["status"] == "succeeded" and detail["graph_id"] is None
    assert {n["node_id"] for n in detail["nodes"]} == set(first["nodes"])
    assert detail["outputs"]["out"] == first["outputs"]["out"]
    assert all(n["provenance"]["output_hashes"] for n in detail["nodes"])
    text = genaisys(data, "runs", "show", first["run_id"]).stdout
    assert f"run {first['run_id']}: succeeded" in text and "pick" in text

    replayed = as_json(genaisys(data, "replay", first["run_id"], "--json"))
    assert replayed["summary"]["reproduced"] is True

    missing = genaisys(data, "runs", "show", "nosuchrun", expect=2)
    assert "nosuchrun" in missing.stderr


def test_a_saved_graph_run_from_the_terminal_is_in_the_graphs_history_on_the_server(tmp_path: Path) -> None:
    data = tmp_path / "data"
    server = Server(data).start()  # seeds the examples into a new database
    try:
        with server.client() as api:
            graphs = api.get("/api/graphs", params={"search": "Prompt builder"}).json()["data"]
            graph_id = next(g["id"] for g in graphs if g["name"] == "Prompt builder")
            ran = as_json(genaisys(data, "run", "--graph", graph_id, "--json"))
            pinned = as_json(genaisys(data, "run", "--graph", f"{graph_id}@1", "--input", "which=1", "--json"))
            runs = api.get("/api/runs", params={"graph_id": graph_id}).json()
            assert {r["id"] for r in runs["data"]} == {ran["run_id"], pinned["run_id"]}
            assert {r["graph_version"] for r in runs["data"]} == {1}
            stored = api.get(f"/api/runs/{ran['run_id']}").json()
            assert stored["status"] == "succeeded" and stored["outputs"]["out"] == ran["outputs"]["out"]
    finally:
        server.stop()
    wrong = genaisys(data, "run", "--graph", "nosuchgraph", expect=1)
    assert "nosuchgraph" in wrong.stderr
    both = genaisys(data, "run", str(EXAMPLE), "--graph", graph_id, expect=2)
    assert "one of them" in both.stderr
