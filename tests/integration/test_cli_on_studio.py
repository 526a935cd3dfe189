"""`genaisys run` uses the studio that serves the same data directory: the run is the studio's
(its warm models and in-memory cache, its history), shown and printed as a terminal run is;
`--here` and a killed studio make the terminal run it itself."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from helpers import as_json, genaisys, graph
from studio_server import Server

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "prompt_builder.json"
MISTAKES = ROOT / "tests" / "fixtures" / "five_mistakes.json"


def test_a_terminal_run_goes_to_the_studio_serving_its_data_directory(tmp_path: Path) -> None:
    data = tmp_path / "data"
    server = Server(data).start()
    try:
        announced = json.loads((data / "serving.json").read_text())
        assert announced["url"] == server.url and announced["pid"] == server.proc.pid  # type: ignore[union-attr]
        assert (data / "serving.json").stat().st_mode & 0o077 == 0  # its user's only

        first = as_json(genaisys(data, "run", str(EXAMPLE), "--json"))
        assert first["studio"] == server.url and first["status"] == "succeeded"
        again = as_json(genaisys(data, "run", str(EXAMPLE), "--json"))
        # the studio's result cache answered every node of the same graph with the same inputs
        assert {n["status"] for n in again["nodes"].values()} == {"cached"}
        assert again["outputs"] == first["outputs"]

        with server.client() as api:
            listed = {r["id"] for r in api.get("/api/runs").json()["data"]}
        assert {first["run_id"], again["run_id"]} <= listed

        shown = genaisys(data, "run", str(EXAMPLE), "--input", "which=1")  # progress bars, then the outputs
        assert f"on the studio at {server.url}" in shown.stderr and "recorded as run" in shown.stderr
        assert "──" in shown.stdout

        here = as_json(genaisys(data, "run", str(EXAMPLE), "--json", "--here"))
        assert "studio" not in here and here["status"] == "succeeded"
        assert here["outputs"] == first["outputs"]

        refused = genaisys(data, "run", str(EXAMPLE), "--input", "nosuchnode=1", expect=1)
        assert "nosuchnode" in refused.stderr
        # the studio checks the graph; its problems are reported as the terminal reports them
        invalid = as_json(genaisys(data, "run", str(MISTAKES), "--json", expect=1))
        here_invalid = as_json(genaisys(data, "run", str(MISTAKES), "--json", "--here", expect=1))
        assert invalid["status"] == "invalid" and invalid["problems"] == here_invalid["problems"]
        said = genaisys(data, "run", str(MISTAKES), expect=1)
        assert f"{MISTAKES}: {len(invalid['problems'])} problem(s), nothing ran" in said.stderr
        missing = genaisys(data, "run", "--graph", "nosuchgraph", expect=1)
        assert "nosuchgraph" in missing.stderr

        # a run longer than the server's keep-alive (5 s): the terminal reads its result all the same
        slow = tmp_path / "slow.json"
        slow.write_text(json.dumps(graph(text="slow", seconds=7)))
        waited = as_json(genaisys(data, "run", str(slow), "--json"))
        assert waited["status"] == "succeeded" and waited["outputs"]["out"] == "slow"
    finally:
        server.kill()  # its announcement stays behind, naming a dead process
    assert (data / "serving.json").exists()
    alone = as_json(genaisys(data, "run", str(EXAMPLE), "--json"))
    assert "studio" not in alone and alone["status"] == "succeeded"


def test_a_stopped_studio_takes_its_announcement_with_it(tmp_path: Path) -> None:
    data = tmp_path / "data"
    server = Server(data).start()
    assert (data / "serving.json").exists()
    server.stop()
    assert not (data / "serving.json").exists()
    assert os.path.isdir(data)
