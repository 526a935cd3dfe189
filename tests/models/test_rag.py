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


COMPOSED = EXAMPLE.with_name("rag_composed.json")


def test_the_rag_built_from_two_subgraphs_answers_as_the_flat_one_and_reruns_only_inside_answer(run):
    """examples/rag_composed.json: "Ingest" and "Answer", two saved graphs bundled in the file,
    used as two nodes. Same question, same outputs as the flat graph; a second question
    re-runs only inside Answer, each inner node under its path id."""
    flat = run()
    executor = Executor(discover())
    try:
        composed = json.loads(COMPOSED.read_text())
        first = executor.run(composed, scope="rag-composed-test")
        assert first.status == "succeeded", {k: r.error for k, r in first.nodes.items() if r.error}
        assert first.outputs == flat.outputs
        assert {"ingest/store", "answer_graph/llm", "answer_graph/retrieve"} <= set(first.nodes)
        assert first.nodes["ingest"].status == "succeeded" and first.nodes["answer_graph"].status == "succeeded"

        second = executor.run(composed, {"question": "When did Aurora-7 open?"}, scope="rag-composed-test")
        assert second.status == "succeeded" and "2019" in second.outputs["answer"]
        ran = {nid for nid, r in second.nodes.items() if r.status == "succeeded"}
        assert ran == {"question", "answer", "sources", "answer_graph", "answer_graph/embed_question",
                       "answer_graph/retrieve", "answer_graph/context", "answer_graph/prompt", "answer_graph/llm",
                       "answer_graph/answer", "answer_graph/sources"}, ran
        assert second.nodes["ingest"].status == "cached"
        assert all(second.nodes[f"ingest/{n}"].status == "cached" for n in ("docs", "split", "embed_docs", "store"))
        # why Answer ran again names the inner node and the reason
        assert second.nodes["answer_graph"].reason == "embed_question: input changed"
    finally:
        executor.backend.shutdown()
