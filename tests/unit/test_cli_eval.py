"""`genaisys eval` as a user meets it: a table, failing cases, --json, exit codes, and a saved
graph's evaluation stored in its data directory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.cli.main import main
from nodes.runtime.config import configure, current

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "prompt_builder.json"
TOPIC = '{"name": "topic", "output": "out", "kind": "contains_any", "column": "topic"}'
FIRST = '{"output": "list", "kind": "json_field_equals", "field": "0", "expected": "Chroma stores embeddings"}'


@pytest.fixture
def cases(tmp_path: Path) -> Path:
    path = tmp_path / "cases.csv"
    path.write_text("id,which,topic\nchroma,0,sentence: Chroma\nwhisper,1,sentence: Whisper\nwrong,2,sentence: Whisper\n"
                    "missing,99,sentence: Chroma\n")
    return path


@pytest.fixture
def runtime_config():
    """`eval GRAPH_ID --data-dir` points the nodes at that data directory: put it back after."""
    before = current()
    yield
    configure(before)


def test_eval_prints_pass_rates_and_the_failing_cases_and_exits_1(cases, capsys):
    assert main(["eval", str(EXAMPLE), "--cases", str(cases), "--check", TOPIC, "--check", FIRST]) == 1
    out = capsys.readouterr()
    assert "2 of 4 cases passed" in out.out
    assert "topic" in out.out and "50%" in out.out and "100%" in out.out
    assert "wrong" in out.out and "expected any of ['sentence: Whisper'] in 'Using these notes:" in out.out
    assert "missing" in out.out and "index 99 is out of range" in out.out
    assert "cases" in out.err and "4/4" in out.err  # the progress bar
    assert "Traceback" not in out.err


def test_eval_json_has_every_case_and_exits_0_when_all_pass(tmp_path, capsys):
    cases = tmp_path / "cases.jsonl"
    cases.write_text('{"which": 0, "topic": "Chroma"}\n{"which": 2, "topic": "Stable Diffusion"}\n')
    assert main(["eval", str(EXAMPLE), "--cases", str(cases), "--check", TOPIC, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["status"], result["cases_count"], result["passed_count"]) == ("succeeded", 2, 2)
    assert result["summary"]["topic"]["pass_rate"] == 1.0
    second = result["results"][1]
    assert second["id"] == "2" and second["inputs"] == {"which": 2}
    assert second["outputs"]["out"].endswith("Explain in one sentence: Stable Diffusion paints from a prompt")
    assert "lines" in second["from_cache"] and "pick" in second["ran"]  # one executor: what no case changes is cached


def test_eval_unreadable_or_unfitting_cases_exit_2_with_one_line(tmp_path, cases, capsys):
    assert main(["eval", str(EXAMPLE), "--cases", str(tmp_path / "nope.csv"), "--check", TOPIC]) == 2
    assert "nope.csv: no such file" in capsys.readouterr().err
    assert main(["eval", str(EXAMPLE), "--cases", str(cases), "--check", "{oops"]) == 2
    assert "not JSON" in capsys.readouterr().err
    assert main(["eval", str(EXAMPLE), "--cases", str(cases), "--check",
                 '{"output": "answer", "kind": "equals", "expected": 1}']) == 2
    err = capsys.readouterr().err
    assert "'answer', which is not an io output of this graph (its outputs: list, out)" in err
    assert "Traceback" not in err


def test_eval_of_a_saved_graph_is_stored_per_version(tmp_path, cases, capsys, runtime_config):
    data = tmp_path / "data"
    assert main(["import", str(EXAMPLE), "--data-dir", str(data), "--json"]) == 0
    graph_id = json.loads(capsys.readouterr().out)["graph"]["id"]
    assert main(["eval", f"{graph_id}@1", "--cases", str(cases), "--check", TOPIC, "--data-dir", str(data), "--json"]) == 1
    printed = json.loads(capsys.readouterr().out)
    from app.services.bootstrap import open_database
    from app.settings import Settings
    from storage import repo

    engine, sessions = open_database(Settings(data_dir=data))
    try:
        with sessions() as session:
            rows, count = repo.list_evaluations(session, graph_id=graph_id, version=1)
            assert count == 1
            row = repo.get_evaluation(session, evaluation_id=rows[0].id)
            assert (row.status, row.cases_count, row.done_count, row.passed_count) == ("succeeded", 4, 4, 2)
            assert [r["id"] for r in row.results] == ["chroma", "whisper", "wrong", "missing"]
            assert row.summary == printed["summary"] and row.checks[0]["name"] == "topic"
    finally:
        engine.dispose()
    assert main(["eval", "no-such-graph", "--cases", str(cases), "--check", TOPIC, "--data-dir", str(data)]) == 2
    assert "no such file, nor a saved graph" in capsys.readouterr().err
