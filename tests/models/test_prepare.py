"""`genaisys models prepare` on a fresh data directory: the shipped LLM is converted once with
a moving progress bar that says what it is doing, tiny-sd is built, the first LLM run after it
converts nothing, and preparing again does nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from app.engine.executor import Executor
from nodes.registry import discover
from nodes.runtime import get_runtime
from nodes.runtime.prepare import prepare_shipped

pytestmark = pytest.mark.slow

LLM = "SmolLM2-135M-Instruct"
ROOT = Path(__file__).resolve().parents[2]


def llm_graph() -> dict[str, Any]:
    return {"schema": "genaisys.graph/1", "name": "first answer", "nodes": [
        {"id": "q", "type": "io.text_input", "params": {"value": "What is the capital of France? Answer in one word."}},
        {"id": "llm", "type": "models.llm", "params": {"max_tokens": 8}},
        {"id": "answer", "type": "io.text_output", "params": {}}], "edges": [
        {"id": "e1", "source": "q", "source_port": "text", "target": "llm", "target_port": "prompt"},
        {"id": "e2", "source": "llm", "source_port": "text", "target": "answer", "target_port": "value"}]}


def test_prepare_converts_once_with_progress_and_the_first_run_converts_nothing(tmp_path: Path,
                                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GENAISYS_DATA_DIR", str(tmp_path))
    reports: list[tuple[str, float, str]] = []
    results = {r.model: r for r in prepare_shipped(lambda model, fraction, message: reports.append((model, fraction, message)))}
    assert results[LLM].status == "prepared" and results["tiny-sd"].status == "prepared"
    assert {r.status for r in results.values()} <= {"prepared", "ready"}
    steps = [(fraction, message) for model, fraction, message in reports if model == LLM]
    fractions = [fraction for fraction, _ in steps]
    assert fractions[0] == 0.0 and fractions[-1] == 1.0 and fractions == sorted(fractions), steps
    assert len({round(f, 2) for f in fractions}) >= 5, steps  # a bar that moves, not 0 then 1
    assert any("tensor" in message for _, message in steps) and any("tokenizer" in m for _, m in steps), steps
    assert (tmp_path / "models" / "tiny-sd" / "model_index.json").is_file()

    get_runtime().clear()  # a new server process: nothing loaded yet
    events: list[Any] = []
    executor = Executor(discover())
    try:
        result = executor.run(llm_graph(), on_event=events.append)
    finally:
        executor.backend.shutdown()
    assert result.status == "succeeded", result.nodes["llm"].error
    said = [e.data.get("message", "") for e in events if e.type == "node_progress" and e.node_id == "llm"]
    assert not [m for m in said if "convert" in m], said
    assert any(m.startswith("loading") for m in said), said  # it did load, from the prepared folder

    again = subprocess.run([sys.executable, "-m", "app.cli", "models", "prepare", "--json", "--data-dir", str(tmp_path)],
                           capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert again.returncode == 0, again.stderr
    assert {r["model"]: r["status"] for r in json.loads(again.stdout)} == {name: "ready" for name in results}
