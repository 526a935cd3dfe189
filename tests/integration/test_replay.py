"""Replay through the real server: a stored run of each of the paper's examples, run again past
the cache, comes out identical on every node; a swapped model file is named before and after
the replay; an LLM sampling without a fixed seed is caught as non-deterministic."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from helpers import wait_run
from studio_server import Server

pytestmark = pytest.mark.slow

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
LONG = 900  # a first run converts the LLM and builds tiny-sd on a slow machine


@pytest.fixture(scope="module")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = Server(tmp_path_factory.mktemp("replay") / "data").start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def api(studio: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=studio.url, timeout=60) as client:
        yield client


def run(api: httpx.Client, document: dict[str, Any], inputs: dict[str, Any] | None = None) -> dict[str, Any]:
    answer = api.post("/api/runs", json={"document": document, "inputs": inputs or {}})
    assert answer.status_code == 202, answer.text
    done = wait_run(api, answer.json()["id"], timeout=LONG)
    assert done["status"] == "succeeded", done
    return done


def replay(api: httpx.Client, run_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    answer = api.post(f"/api/runs/{run_id}/replay")
    assert answer.status_code == 202, answer.text
    accepted = answer.json()
    assert accepted["replay_of"] == run_id
    done = wait_run(api, accepted["id"], timeout=LONG)
    return accepted, done


def not_identical(verdicts: dict[str, Any]) -> dict[str, str]:
    return {nid: v["message"] for nid, v in verdicts["nodes"].items() if v["verdict"] != "identical"}


@pytest.mark.parametrize("example", ["prompt_builder.json", "stable_diffusion.json", "whisper.json", "rag.json"])
def test_a_replayed_example_run_is_identical_on_every_node(api: httpx.Client, example: str) -> None:
    document = json.loads((EXAMPLES / example).read_text())
    original = run(api, document)
    accepted, again = replay(api, original["id"])
    assert accepted["preflight"] == []
    assert again["status"] == "succeeded", again
    assert again["replay_of"] == original["id"]
    assert {n["status"] for n in again["nodes"]} == {"succeeded"}  # every node ran again: no cache
    verdicts = again["provenance"]["replay"]
    assert set(verdicts["nodes"]) == {n["node_id"] for n in original["nodes"]}
    assert not_identical(verdicts) == {}
    assert verdicts["summary"]["reproduced"] is True
    stored = {n["node_id"]: n for n in original["nodes"]}
    assert all(h and h.startswith("sha256:") for n in stored.values() for h in n["provenance"]["output_hashes"].values())


def minilm_copy(folder: Path) -> Path:
    from nodes.runtime.sources import CATALOG, package_path

    shipped = package_path(next(e for e in CATALOG if e.name == "all-MiniLM-L6-v2"))
    assert shipped is not None
    return Path(shutil.copytree(shipped, folder / "minilm"))


def test_a_replay_after_the_model_file_was_swapped_names_the_node_and_the_changed_sha256(
        api: httpx.Client, tmp_path: Path) -> None:
    model = minilm_copy(tmp_path)
    document = {"schema": "genaisys.graph/1", "name": "Embed", "nodes": [
        {"id": "q", "type": "io.text_input", "params": {"value": "a station on the moon"}},
        {"id": "embed", "type": "encoders.text_embedder", "params": {"model": str(model)}},
        {"id": "vector", "type": "io.json_output", "params": {}},
    ], "edges": [
        {"id": "e1", "source": "q", "source_port": "text", "target": "embed", "target_port": "texts"},
        {"id": "e2", "source": "embed", "source_port": "embeddings", "target": "vector", "target_port": "value"},
    ]}
    original = run(api, document)
    weights = next(model.glob("*.safetensors"))
    from safetensors.torch import load_file, save_file

    tensors = load_file(weights)
    first = sorted(k for k in tensors if k.endswith("weight") and tensors[k].ndim == 2)[0]
    tensors[first] = tensors[first] * 1.5  # another model under the same path
    save_file(tensors, weights, metadata={"format": "pt"})

    rerun = {n["node_id"]: n for n in run(api, document)["nodes"]}  # a plain run: not served the old model's result
    assert rerun["embed"]["status"] == "succeeded" and rerun["embed"]["reason"] == "model changed"
    assert rerun["q"]["status"] == "cached"
    accepted, again = replay(api, original["id"])
    assert [(p["node_id"], p["problem"]) for p in accepted["preflight"]] == [("embed", "changed")]
    assert "sha256" in accepted["preflight"][0]["message"]
    verdicts = again["provenance"]["replay"]["nodes"]
    assert verdicts["q"]["verdict"] == "identical"
    assert verdicts["embed"]["verdict"] == "differs"
    assert [c["kind"] for c in verdicts["embed"]["changes"]] == ["model_sha256"]
    assert "sha256 changed" in verdicts["embed"]["message"] and "minilm" in verdicts["embed"]["message"]
    assert verdicts["vector"]["verdict"] == "differs"
    assert verdicts["vector"]["message"] == "its input from 'embed' differs"

    shutil.rmtree(model)  # gone: the replay is refused before anything runs, naming the node and file
    refused = api.post(f"/api/runs/{original['id']}/replay")
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "replay_impossible" and "'embed'" in error["message"] and str(model) in error["message"]


def test_an_llm_sampling_without_a_fixed_seed_is_reported_non_deterministic(api: httpx.Client) -> None:
    document = {"schema": "genaisys.graph/1", "name": "Dice", "nodes": [
        {"id": "q", "type": "io.text_input", "params": {"value": "Name a colour."}},
        {"id": "llm", "type": "models.llm",
         "params": {"temperature": 1.5, "top_p": 1.0, "seed": -1, "max_tokens": 24}},
        {"id": "answer", "type": "io.text_output", "params": {}},
    ], "edges": [
        {"id": "e1", "source": "q", "source_port": "text", "target": "llm", "target_port": "prompt"},
        {"id": "e2", "source": "llm", "source_port": "text", "target": "answer", "target_port": "value"},
    ]}
    original = run(api, document)
    _, again = replay(api, original["id"])
    verdicts = again["provenance"]["replay"]
    llm = verdicts["nodes"]["llm"]
    assert llm["verdict"] == "differs", llm
    kinds = [c["kind"] for c in llm["changes"]]
    assert "nondeterministic" in kinds and "seed" in kinds
    assert "without a fixed seed" in llm["message"]
    assert verdicts["nodes"]["q"]["verdict"] == "identical"
    assert verdicts["summary"]["reproduced"] is False


def test_genaisys_replay_replays_a_stored_run_in_the_terminal(api: httpx.Client, studio: Server) -> None:
    import subprocess
    import sys

    original = run(api, json.loads((EXAMPLES / "prompt_builder.json").read_text()), {"which": 1})
    command = [sys.executable, "-m", "app.cli", "replay", original["id"], "--data-dir", str(studio.data_dir)]
    done = subprocess.run([*command, "--json"], capture_output=True, text=True, timeout=LONG)
    assert done.returncode == 0, done.stderr
    verdicts = json.loads(done.stdout)
    assert verdicts["replay_of"] == original["id"] and verdicts["summary"]["reproduced"] is True
    assert set(verdicts["nodes"]) == {n["node_id"] for n in original["nodes"]}
    shown = subprocess.run(command, capture_output=True, text=True, timeout=LONG, env={**os.environ, "COLUMNS": "160"})
    assert shown.returncode == 0, shown.stderr
    assert "the run reproduced exactly" in shown.stdout and "identical" in shown.stdout
    missing = subprocess.run([sys.executable, "-m", "app.cli", "replay", "nosuchrun", "--data-dir", str(studio.data_dir)],
                             capture_output=True, text=True, timeout=LONG)
    assert missing.returncode == 2 and "nosuchrun" in missing.stderr and "Traceback" not in missing.stderr
