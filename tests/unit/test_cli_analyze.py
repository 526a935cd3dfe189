"""`genaisys analyze` as a user meets it: the JSON report's fields, the table, exit codes
as `validate` (0 valid, warnings included; 1 invalid; 2 unreadable)."""

from __future__ import annotations

import json
from pathlib import Path

from app.cli.main import main
from nodes.runtime.device import planned_device

ROOT = Path(__file__).resolve().parents[2]
RAG = ROOT / "examples" / "rag.json"
FIVE = ROOT / "tests" / "fixtures" / "five_mistakes.json"


def test_analyze_json_reports_memory_determinism_and_lineage(capsys):
    assert main(["analyze", str(RAG), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["valid"] is True and report["problems"] == []
    assert {"warnings", "device", "budget_bytes", "total_bytes", "models", "outputs"} <= set(report)
    assert report["device"]["name"] == planned_device() and report["device"]["total_bytes"] > 0
    models = {m["node_id"]: m for m in report["models"]}
    assert set(models) == {"embed_docs", "embed_question", "llm"}
    for m in models.values():
        assert {"model", "key", "dtype", "bytes", "parameters", "source", "shared_with"} <= set(m)
    assert models["llm"]["bytes"] > 250_000_000  # dequantised (float32 on the CPU), not the ~100 MB file
    answer = next(o for o in report["outputs"] if o["node_id"] == "answer")
    assert answer["deterministic"] is True and answer["inputs"] == ["question"]
    assert {m["node_id"] for m in answer["models"]} == set(models)


def test_analyze_over_budget_still_exits_0_and_prints_the_warning(capsys, monkeypatch):
    monkeypatch.setenv("GENAISYS_MODEL_BUDGET_BYTES", "100000000")
    monkeypatch.setenv("COLUMNS", "200")
    assert main(["analyze", str(RAG)]) == 0
    out = capsys.readouterr().out
    assert "Models" in out and "Outputs" in out and "SmolLM2-135M-Instruct" in out
    assert "[over_model_budget]" in out and "100 MB" in out


def test_analyze_invalid_exits_1_with_its_problems(capsys):
    assert main(["analyze", str(FIVE), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["valid"] is False and {p["code"] for p in report["problems"]} >= {"duplicate_id", "type_mismatch"}
    assert main(["analyze", str(FIVE)]) == 1
    assert "[unknown_node_type]" in capsys.readouterr().out


def test_analyze_unreadable_exits_2_with_one_line(tmp_path, capsys):
    assert main(["analyze", str(tmp_path / "missing.json")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no such file" in err
