"""The RAG example evaluated on its shipped cases (examples/cases/rag.json), on the shipped
models: the ingest runs once for the whole dataset, and the checks report per case."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.engine.cache import ResultCache
from app.engine.executor import Executor
from app.engine.validate import validate
from app.services.evaluation import evaluate, read_dataset
from nodes.registry import discover

pytestmark = pytest.mark.slow

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
INGEST = ("docs", "split", "embed_docs", "store")


def test_the_rag_evaluation_ingests_once_and_reports_every_check():
    registry = discover()
    dataset = read_dataset(EXAMPLES / "cases" / "rag.json")
    assert len(dataset.cases) >= 10
    executor = Executor(registry, ResultCache())
    progress: list[int] = []
    try:
        result = evaluate(executor, validate(json.loads((EXAMPLES / "rag.json").read_text()), registry), dataset,
                          scope="rag-eval-test", on_case=lambda n, total, case: progress.append(n))
    finally:
        executor.backend.shutdown()
    assert result.status == "succeeded" and progress == list(range(1, len(dataset.cases) + 1))
    first, rest = result.cases[0], result.cases[1:]
    assert all(node in first.ran for node in INGEST), first.ran
    for case in rest:  # every ingest node ran once overall: cached for every later case
        assert all(node in case.cached for node in INGEST), (case.id, case.ran)
        assert "llm" in case.ran and "embed_question" in case.ran
    assert all(case.error is None for case in result.cases)
    summary = result.summary()
    assert set(summary) == {"answer contains", "retrieved documents contain"}
    for case in result.cases:
        assert [v["name"] for v in case.checks] == ["answer contains", "retrieved documents contain"]
        assert all(isinstance(v["passed"], bool) and v["message"] for v in case.checks)
    # retrieval by MiniLM is robust; the 135M model's wording less so on another device or dtype
    assert summary["retrieved documents contain"]["pass_rate"] == 1.0, [c.checks for c in result.cases]
    assert summary["answer contains"]["passed"] >= len(dataset.cases) - 2, [(c.id, c.outputs["answer"]) for c in result.cases]
