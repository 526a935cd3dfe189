"""Evaluation with tiny nodes: the cases format, one executor for all cases (a shared upstream
node runs once), failing cases that carry the node's error, and refusals before anything runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from app.engine.cache import ResultCache
from app.engine.executor import Executor, GraphInvalid
from app.engine.validate import validate
from app.services.evaluation import (
    CasesError,
    check_against,
    evaluate,
    make_dataset,
    parse_dataset,
    read_dataset,
)
from nodes.api import Context, Input, Node, Output
from nodes.registry import discover

CALLS: list[str] = []


class Corpus(Node):
    """Stands for an ingest: no input from the cases, so every case after the first reuses it."""

    type_id = "evaltest.corpus"
    inputs = (Input("words", "Text", default="paris lyon nice"),)
    outputs = (Output("words", "Text"),)

    def run(self, ctx: Context, words: str) -> dict[str, Any]:
        CALLS.append(ctx.node_id)
        return {"words": words}


class Lookup(Node):
    """Answers with the corpus words that start like the question; 'boom' fails."""

    type_id = "evaltest.lookup"
    inputs = (Input("words", "Text"), Input("question", "Text"))
    outputs = (Output("answer", "Text"),)

    def run(self, ctx: Context, words: str, question: str) -> dict[str, Any]:
        CALLS.append(ctx.node_id)
        if question == "boom":
            raise ValueError("the lookup broke")
        return {"answer": " ".join(w for w in words.split() if w.startswith(question[:1]))}


REGISTRY = discover(kinds=("io", "utility")).extend([Corpus, Lookup])
GRAPH = {
    "schema": "genaisys.graph/1", "name": "lookup",
    "nodes": [
        {"id": "corpus", "type": "evaltest.corpus", "params": {}},
        {"id": "q", "type": "io.text_input", "params": {}},
        {"id": "lookup", "type": "evaltest.lookup", "params": {}},
        {"id": "answer", "type": "io.text_output", "params": {}},
    ],
    "edges": [
        {"id": "e1", "source": "corpus", "source_port": "words", "target": "lookup", "target_port": "words"},
        {"id": "e2", "source": "q", "source_port": "text", "target": "lookup", "target_port": "question"},
        {"id": "e3", "source": "lookup", "source_port": "answer", "target": "answer", "target_port": "value"},
    ],
}
CHECK = {"name": "answer", "output": "answer", "kind": "contains_any", "column": "want"}


@pytest.fixture
def executor():
    CALLS.clear()
    ex = Executor(REGISTRY, ResultCache())
    yield ex
    ex.backend.shutdown()


def run(executor: Executor, cases: list[dict[str, Any]], checks: list[dict[str, Any]] | None = None, **kw: Any):
    return evaluate(executor, validate(GRAPH, REGISTRY), make_dataset(cases, checks or [CHECK]), scope="t", **kw)


def test_the_shared_upstream_node_runs_once_across_the_cases(executor):
    seen: list[tuple[int, int, str]] = []
    result = run(executor, [{"q": "p", "want": "paris"}, {"q": "l", "want": "lyon"}, {"id": "third", "q": "n", "want": "nice"}],
                 on_case=lambda n, total, case: seen.append((n, total, case.id)))
    assert CALLS.count("corpus") == 1 and CALLS.count("lookup") == 3
    assert [c.status for c in result.cases] == ["passed"] * 3
    assert seen == [(1, 3, "1"), (2, 3, "2"), (3, 3, "third")]
    assert "corpus" in result.cases[0].ran and all("corpus" in c.cached for c in result.cases[1:])
    assert result.summary()["answer"] == {"output": "answer", "kind": "contains_any", "passed": 3, "failed": 0,
                                         "skipped": 0, "pass_rate": 1.0}


def test_a_case_whose_run_fails_is_a_failed_case_with_the_nodes_error(executor):
    result = run(executor, [{"q": "boom", "want": "x"}, {"q": "p", "want": "lyon"}, {"q": "n", "want": "nice"}])
    boom, wrong, right = result.cases
    assert boom.status == "failed" and boom.error is not None
    assert boom.error["node_id"] == "lookup" and "the lookup broke" in boom.error["message"]
    assert boom.checks[0]["passed"] is False and "the lookup broke" in boom.checks[0]["message"]
    assert wrong.status == "failed" and wrong.checks[0]["message"] == "expected any of ['lyon'] in 'paris'"
    assert right.status == "passed" and result.passed == 1
    assert result.summary()["answer"]["pass_rate"] == pytest.approx(1 / 3)


def test_an_empty_expected_cell_skips_that_check_for_that_case(executor):
    result = run(executor, [{"q": "p", "want": ""}, {"q": "p", "want": "paris"}])
    assert result.cases[0].checks[0]["passed"] is None and result.cases[0].status == "passed"
    assert result.summary()["answer"] == {"output": "answer", "kind": "contains_any", "passed": 1, "failed": 0,
                                         "skipped": 1, "pass_rate": 1.0}


def test_checks_with_a_fixed_expected_value_and_several_kinds(executor):
    checks = [{"output": "answer", "kind": "equals", "expected": "paris"},
              {"output": "answer", "kind": "regex", "expected": "^p"}]
    result = run(executor, [{"q": "p"}, {"q": "l"}], checks)
    assert [c.status for c in result.cases] == ["passed", "failed"]
    assert result.summary()["answer regex"]["passed"] == 1


def test_refusals_before_anything_runs(executor):
    with pytest.raises(CasesError, match="'answr', which is not an io output of this graph"):
        run(executor, [{"q": "p"}], [{"output": "answr", "kind": "equals", "expected": "x"}])
    with pytest.raises(CasesError, match="column\\(s\\) 'question' fill no input and feed no check"):
        run(executor, [{"question": "p", "want": "x"}])
    broken = {**GRAPH, "edges": GRAPH["edges"][1:]}
    with pytest.raises(GraphInvalid):
        evaluate(executor, validate(broken, REGISTRY), make_dataset([{"q": "p"}], [CHECK]), scope="t")
    assert CALLS == []


def test_cases_files_json_jsonl_and_csv(tmp_path: Path):
    (tmp_path / "c.csv").write_text("id,q,want\none,p,paris\ntwo,l,lyon\n")
    (tmp_path / "c.jsonl").write_text('{"q": "p", "want": "paris"}\n\n{"q": "l", "want": "lyon"}\n')
    (tmp_path / "c.json").write_text(json.dumps({"cases": [{"q": "p", "want": "paris"}], "checks": [CHECK]}))
    csv = read_dataset(tmp_path / "c.csv", [CHECK])
    assert csv.cases == [{"id": "one", "q": "p", "want": "paris"}, {"id": "two", "q": "l", "want": "lyon"}]
    assert len(read_dataset(tmp_path / "c.jsonl", [CHECK]).cases) == 2
    assert read_dataset(tmp_path / "c.json").checks[0].name == "answer"
    with pytest.raises(CasesError, match="no checks"):
        read_dataset(tmp_path / "c.csv")
    with pytest.raises(CasesError, match="line 2: not valid JSON"):
        parse_dataset('{"q": 1}\n{oops\n', ".jsonl", [CHECK])
    with pytest.raises(CasesError, match=r"\.json, \.jsonl or \.csv"):
        parse_dataset("", ".yaml", [CHECK])
    with pytest.raises(CasesError, match="two checks are named 'answer'"):
        make_dataset([{"q": "p"}], [CHECK, CHECK])


def test_the_shipped_rag_cases_fit_the_rag_example():
    examples = Path(__file__).resolve().parents[2] / "examples"
    dataset = read_dataset(examples / "cases" / "rag.json")
    assert len(dataset.cases) >= 10
    assert {c.kind for c in dataset.checks} == {"contains_any", "retrieved_contains"}
    check_against(validate(json.loads((examples / "rag.json").read_text()), discover()), dataset)
