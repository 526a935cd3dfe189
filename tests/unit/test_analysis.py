"""Analysis before running (app/engine/analysis.py): which outputs repeat and which node
breaks that, what each output depends on, the models' memory against the model budget, and
graphs with subgraphs, analysed flattened. Nothing here loads a model: the estimates are read
from the shipped models' headers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from app.api.schemas.analysis import AnalysisReport
from app.engine.analysis import WARNING_CODES, Analysis, analyze
from app.engine.validate import validate
from nodes.memory import DTYPE_BYTES
from nodes.registry import discover
from nodes.runtime.device import dtype_name, planned_device

ROOT = Path(__file__).resolve().parents[2]
REGISTRY = discover()


def node(nid: str, type_id: str, **params: Any) -> dict[str, Any]:
    return {"id": nid, "type": type_id, "params": params}


def edge(source: str, source_port: str, target: str, target_port: str) -> dict[str, str]:
    return {"id": f"{source}.{source_port}->{target}.{target_port}", "source": source, "source_port": source_port,
            "target": target, "target_port": target_port}


def doc(nodes: list[dict], edges: list[dict]) -> dict[str, Any]:
    return {"schema": "genaisys.graph/1", "name": "test", "nodes": nodes, "edges": edges}


def run_analysis(document: Any, **kwargs: Any) -> Analysis:
    """Analyse, and hold every report to the contract: JSON all the way, the API's schema,
    known warning codes, every warning pinned to nodes of the graph."""
    analysis = analyze(document, REGISTRY, **kwargs)
    report = analysis.report()
    assert json.loads(json.dumps(report)) == report
    AnalysisReport.model_validate(report)
    ids = {m["node_id"] for m in report["models"]}
    for warning in report["warnings"]:
        assert warning["code"] in WARNING_CODES
        assert set(warning.get("nodes") or [warning["node_id"]]) <= ids
    return analysis


def example(name: str) -> dict[str, Any]:
    return json.loads((ROOT / "examples" / name).read_text())


def llm_graph(**llm: Any) -> dict[str, Any]:
    """q -> llm -> answer, llm -> template -> framed, and q -> echo (upstream of the LLM only)."""
    return doc(
        [
            node("q", "io.text_input", value="What is the capital of France?"),
            node("llm", "models.llm", max_tokens=8, **llm),
            node("frame", "utility.prompt_template", template="The model said: {text}"),
            node("answer", "io.text_output"),
            node("framed", "io.text_output"),
            node("echo", "io.text_output"),
        ],
        [
            edge("q", "text", "llm", "prompt"),
            edge("llm", "text", "answer", "value"),
            edge("llm", "text", "frame", "text"),
            edge("frame", "prompt", "framed", "value"),
            edge("q", "text", "echo", "value"),
        ],
    )


def outputs(analysis: Analysis) -> dict[str, dict[str, Any]]:
    assert analysis.ok, analysis.checked.problems
    return {o["node_id"]: o for o in analysis.report()["outputs"]}


# -- determinism ------------------------------------------------------------------------


def test_sampling_without_a_seed_makes_the_llm_outputs_non_deterministic_naming_the_llm():
    out = outputs(run_analysis(llm_graph(temperature=0.7, seed=-1)))
    assert out["answer"]["deterministic"] is False
    [why] = out["answer"]["nondeterministic"]
    assert why["node_id"] == "llm"
    assert "temperature 0.7" in why["reason"] and "seed" in why["reason"]


def test_non_determinism_reaches_downstream_outputs_only():
    out = outputs(run_analysis(llm_graph(temperature=0.7, seed=-1)))
    assert out["framed"]["deterministic"] is False  # through the template: still the LLM's doing
    assert [n["node_id"] for n in out["framed"]["nondeterministic"]] == ["llm"]
    assert out["echo"]["deterministic"] is True  # the question itself, upstream of the LLM
    assert out["echo"]["nondeterministic"] == []


@pytest.mark.parametrize("llm", [{"temperature": 0.0, "seed": -1}, {"temperature": 0.7, "seed": 42}, {}],
                         ids=["greedy", "seeded", "defaults"])
def test_greedy_or_seeded_llm_is_deterministic(llm: dict[str, Any]):
    out = outputs(run_analysis(llm_graph(**llm)))
    assert all(o["deterministic"] for o in out.values()), out


def test_a_temperature_wired_from_an_input_is_read_from_that_input():
    document = llm_graph(seed=-1)
    document["nodes"].append(node("heat", "io.number_input", value=0.9))
    document["edges"].append(edge("heat", "number", "llm", "temperature"))
    out = outputs(run_analysis(document))
    assert out["answer"]["deterministic"] is False
    assert "temperature 0.9" in out["answer"]["nondeterministic"][0]["reason"]
    assert sorted(out["answer"]["inputs"]) == ["heat", "q"]


# -- lineage ----------------------------------------------------------------------------


def test_lineage_of_the_rag_example():
    out = outputs(run_analysis(example("rag.json")))
    assert out["answer"]["inputs"] == ["question"]
    assert {(m["node_id"], m["model"]) for m in out["answer"]["models"]} == {
        ("embed_docs", "all-MiniLM-L6-v2"), ("embed_question", "all-MiniLM-L6-v2"), ("llm", "SmolLM2-135M-Instruct")}
    assert out["sources"]["inputs"] == ["question"]
    assert {m["node_id"] for m in out["sources"]["models"]} == {"embed_docs", "embed_question"}  # not the LLM
    assert all(o["deterministic"] for o in out.values())  # greedy by default


# -- memory -----------------------------------------------------------------------------


def test_memory_of_the_rag_example_counts_a_shared_model_once():
    report = run_analysis(example("rag.json")).report()
    models = {m["node_id"]: m for m in report["models"]}
    assert set(models) == {"embed_docs", "embed_question", "llm"}
    shared = [m for m in models.values() if m["shared_with"]]
    assert len(shared) == 1 and shared[0]["model"] == "all-MiniLM-L6-v2"
    device = planned_device()
    assert report["device"]["name"] == device and models["llm"]["dtype"] == dtype_name(device)
    # the Q4_1 file is about 100 MB on disk; dequantised it holds 135M weights of 4 bytes on
    # the CPU (2 on a GPU)
    assert models["llm"]["parameters"] > 130_000_000
    assert models["llm"]["bytes"] >= DTYPE_BYTES[dtype_name(device)] * models["llm"]["parameters"]
    assert report["total_bytes"] == models["llm"]["bytes"] + models["embed_docs"]["bytes"]
    assert report["device"]["total_bytes"] > 0
    if device == "cpu":
        assert report["device"]["memory"].startswith("RAM")
    assert report["warnings"] == []  # the default budget (8 GB) holds them


def test_a_small_budget_is_a_warning_pinned_to_the_model_nodes(monkeypatch):
    monkeypatch.setenv("GENAISYS_MODEL_BUDGET_BYTES", str(200_000_000))
    analysis = run_analysis(example("rag.json"))
    assert analysis.ok  # a warning, not a problem
    [warning] = [w.to_json() for w in analysis.warnings]
    assert warning["code"] == "over_model_budget"
    assert set(warning["nodes"]) == {"embed_docs", "embed_question", "llm"}
    assert "200 MB" in warning["message"] and "GENAISYS_MODEL_BUDGET_BYTES" in warning["message"]
    assert analysis.report()["budget_bytes"] == 200_000_000


def test_one_model_over_the_budget_alone_is_said_so():
    analysis = run_analysis(llm_graph(), budget_bytes=10_000_000)
    assert analysis.ok
    [warning] = [w.to_json() for w in analysis.warnings]
    assert warning["code"] == "over_model_budget" and warning["node_id"] == "llm"
    assert "SmolLM2-135M-Instruct" in warning["message"] and "10 MB" in warning["message"]


def test_a_model_that_cannot_be_found_has_an_unknown_size_and_a_warning():
    analysis = run_analysis(llm_graph(model="nobody-here/no-such-model"))
    [model] = analysis.report()["models"]
    assert model["bytes"] is None and "no-such-model" in model["note"]
    assert [(w.code, w.node_id) for w in analysis.warnings] == [("memory_unknown", "llm")]


# -- subgraphs and invalid graphs -----------------------------------------------------------


def test_subgraphs_are_analysed_flattened_with_their_paths():
    report = run_analysis(example("rag_composed.json"), budget_bytes=200_000_000).report()
    models = {m["node_id"]: m for m in report["models"]}
    assert set(models) == {"ingest/embed_docs", "answer_graph/embed_question", "answer_graph/llm"}
    flat = run_analysis(example("rag.json")).report()
    assert report["total_bytes"] == flat["total_bytes"]  # the same models, inside subgraphs
    out = {o["node_id"]: o for o in report["outputs"]}
    assert set(out) == {"answer", "sources"}  # the graph's own outputs, not the subgraphs' inner ones
    assert out["answer"]["inputs"] == ["question"]
    assert {m["node_id"] for m in out["answer"]["models"]} == set(models)
    [warning] = report["warnings"]
    assert warning["code"] == "over_model_budget" and set(warning["nodes"]) == set(models)


def test_a_subgraph_with_a_sampling_llm_names_the_inner_node():
    composed = example("rag_composed.json")
    inner = next(g for g in composed["graphs"] if g["id"] == "example-answer")["document"]
    next(n for n in inner["nodes"] if n["id"] == "llm")["params"].update(temperature=0.5, seed=-1)
    out = outputs(run_analysis(composed))
    assert [n["node_id"] for n in out["answer"]["nondeterministic"]] == ["answer_graph/llm"]
    assert out["sources"]["deterministic"] is True


def test_an_invalid_graph_reports_its_problems_as_validate_does():
    document = json.loads((ROOT / "tests" / "fixtures" / "five_mistakes.json").read_text())
    analysis = run_analysis(document)
    report = analysis.report()
    assert report["valid"] is False
    assert report["problems"] == validate(document, REGISTRY).report()["problems"]
    assert report["models"] == [] and report["outputs"] == [] and report["device"] is None
