"""The founding paper's first system: retrieval-augmented generation, as the shipped
example graph, offline, on the shipped models."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.engine.executor import Executor
from nodes.registry import discover

pytestmark = pytest.mark.slow

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "rag.json"


@pytest.fixture(scope="module")
def run():
    executor = Executor(discover())
    document = json.loads(EXAMPLE.read_text())
    yield lambda **inputs: executor.run(document, inputs, scope="rag-test")
    executor.backend.shutdown()


def test_rag_answers_from_the_documents(run):
    result = run()
    assert result.status == "succeeded", {k: r.error for k, r in result.nodes.items() if r.error}
    # the name exists only in examples/assets/docs/station.md: the model cannot know it otherwise
    assert "Bartholomew" in result.outputs["answer"]
    assert result.outputs["sources"][0]["metadata"]["source"] == "station.md"


def test_a_new_question_reuses_the_index_and_the_loaded_models(run):
    run()
    result = run(question="When did Aurora-7 open?")
    assert result.status == "succeeded"
    assert "2019" in result.outputs["answer"]
    ingest = ("docs", "split", "embed_docs", "store")
    assert [result.nodes[n].status for n in ingest] == ["cached"] * 4
    assert result.nodes["embed_question"].reason == "input changed"
    for node in ("embed_question", "llm"):
        models = [v for k, v in result.nodes[node].provenance.items() if k.startswith("model:")]
        assert models and all(m["loaded"] is False for m in models), (node, models)
