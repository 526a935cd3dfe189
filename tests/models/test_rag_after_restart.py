"""The RAG example after a restart: a new question runs only the question's path; the corpus
is not embedded again. The server and `genaisys run` share the one cache of a data directory."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
from helpers import wait_run  # noqa: E402
from studio_server import Server  # noqa: E402

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
RAG = ROOT / "examples" / "rag.json"
INGEST = ("docs", "split", "embed_docs", "store")
QUESTION_PATH = ("embed_question", "retrieve", "context", "prompt", "llm", "answer", "sources")


def ask(api: httpx.Client, question: str) -> dict[str, Any]:
    document = json.loads(RAG.read_text())
    run_id = api.post("/api/runs", json={"document": document, "inputs": {"question": question}}).raise_for_status().json()["id"]
    done = wait_run(api, run_id, timeout=900)
    assert done["status"] == "succeeded", done
    return {n["node_id"]: n for n in done["nodes"]}


def test_after_a_restart_a_new_question_runs_only_its_own_path(tmp_path: Path) -> None:
    data = tmp_path / "data"
    server = Server(data).start()
    with httpx.Client(base_url=server.url, timeout=60) as api:
        first = ask(api, "What is the coffee machine called?")
    assert all(first[n]["status"] == "succeeded" for n in INGEST)
    server.stop()

    server = Server(data, port=server.port).start()
    try:
        deadline = time.monotonic() + 600  # the warm start loads the models the last run used
        while "warm start: 4 loaded" not in server.log.read_text():
            assert time.monotonic() < deadline, server.log.read_text()[-2000:]
            time.sleep(0.2)
        with httpx.Client(base_url=server.url, timeout=60) as api:
            after = ask(api, "When did Aurora-7 open?")
        # a terminal run while the studio serves the data directory is the studio's: models warm
        done = subprocess.run([sys.executable, "-m", "app.cli", "run", str(RAG), "--json", "--data-dir", str(data),
                               "--input", "question=How wide is the radar dish?"],
                              cwd=ROOT, capture_output=True, text=True, timeout=900)
        assert done.returncode == 0, done.stderr[-2000:]
        on_studio = json.loads(done.stdout)
        assert on_studio["studio"] == server.url
        assert {n: on_studio["nodes"][n]["status"] for n in INGEST} == dict.fromkeys(INGEST, "cached")
        for node in ("embed_question", "llm"):
            models = [v for k, v in on_studio["nodes"][node]["provenance"].items() if k.startswith("model:")]
            assert models and all(m["loaded"] is False for m in models), (node, models)
    finally:
        server.stop()
    for node in ("embed_question", "llm"):  # found loaded: the restart cost the run no model load
        models = [v for k, v in after[node]["provenance"].items() if k.startswith("model:")]
        assert models and all(m["loaded"] is False for m in models), (node, models)
    assert {n: after[n]["status"] for n in INGEST} == dict.fromkeys(INGEST, "cached")
    assert {n: after[n]["status"] for n in QUESTION_PATH} == dict.fromkeys(QUESTION_PATH, "succeeded")
    assert after["question"]["reason"] == "params changed"  # the history knew its last value
    assert after["embed_question"]["reason"] == "input changed"
    assert "2019" in after["answer"]["outputs"]["value"]

    # the terminal shares the data directory's cache with the server: the corpus is not embedded again
    command = [sys.executable, "-m", "app.cli", "run", str(RAG), "--json", "--data-dir", str(data),
               "--input", "question=Who repairs the airlock?"]
    for attempt in ("first", "again"):
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900)
        assert done.returncode == 0, done.stderr[-2000:]
        nodes = json.loads(done.stdout)["nodes"]
        assert {n: nodes[n]["status"] for n in INGEST} == dict.fromkeys(INGEST, "cached"), attempt
    assert nodes["llm"]["status"] == "cached" and nodes["embed_question"]["status"] == "cached"  # a second process
