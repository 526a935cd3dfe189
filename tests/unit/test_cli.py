"""The `genaisys` command as a user meets it: exit codes, one-line errors, outputs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "prompt_builder.json"
FIVE = ROOT / "tests" / "fixtures" / "five_mistakes.json"


def test_validate_valid_file_exits_0(capsys):
    assert main(["validate", str(EXAMPLE)]) == 0
    assert "valid (8 nodes, 8 edges)" in capsys.readouterr().out


def test_validate_lists_five_different_mistakes_each_pinned(capsys):
    assert main(["validate", str(FIVE), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    codes = {p["code"] for p in report["problems"]}
    assert {"duplicate_id", "unknown_node_type", "bad_param", "dangling_edge", "type_mismatch"} <= codes
    pinned = {(p["code"], p.get("node_id"), p.get("port") or p.get("param")) for p in report["problems"]}
    assert ("duplicate_id", "q", None) in pinned
    assert ("unknown_node_type", "split", None) in pinned
    assert ("bad_param", "pick", "index") in pinned
    assert ("dangling_edge", "ghost", None) in pinned
    assert ("type_mismatch", "field", "data") in pinned
    suggestion = next(p for p in report["problems"] if p["code"] == "unknown_node_type")["message"]
    assert "utility.split_lines" in suggestion


def test_validate_unreadable_file_exits_2_with_one_line(tmp_path, capsys):
    assert main(["validate", str(tmp_path / "missing.json")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no such file" in err
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert main(["validate", str(bad)]) == 2
    assert "not valid JSON (line 1, column 2" in capsys.readouterr().err


def test_validate_non_graph_json_is_invalid_not_a_crash(tmp_path, capsys):
    f = tmp_path / "list.json"
    f.write_text("[1, 2, 3]")
    assert main(["validate", str(f)]) == 1
    assert "invalid_document" in capsys.readouterr().out


def test_run_prints_outputs_and_takes_inputs(capsys):
    assert main(["run", str(EXAMPLE), "--input", "which=0", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["status"] == "succeeded"
    assert record["outputs"]["out"].endswith("Explain in one sentence: Chroma stores embeddings")
    assert record["outputs"]["list"][2] == "Stable Diffusion paints from a prompt"
    assert record["nodes"]["pick"]["status"] == "succeeded"


def test_run_with_progress_bars_shows_each_node(capsys):
    assert main(["run", str(EXAMPLE)]) == 0
    out = capsys.readouterr()
    assert "Explain in one sentence: Whisper turns speech into text" in out.out
    assert "prompt" in out.err and "done" in out.err and "run succeeded" in out.err


def test_run_bad_input_is_one_clear_error(capsys):
    assert main(["run", str(EXAMPLE), "--input", "which=second"]) == 1
    err = capsys.readouterr().err
    assert "[bad_input]" in err and "'which'" in err and "Traceback" not in err
    assert main(["run", str(EXAMPLE), "--input", "nonsense"]) == 2
    assert "write it as NODE_ID=VALUE" in capsys.readouterr().err


def test_run_failing_node_exits_1_and_names_it(tmp_path, capsys):
    doc = json.loads(EXAMPLE.read_text())
    doc["nodes"][1]["params"]["value"] = 99  # no 100th note
    f = tmp_path / "g.json"
    f.write_text(json.dumps(doc))
    assert main(["run", str(f)]) == 1
    err = capsys.readouterr().err
    assert "node 'pick' failed: index 99 is out of range for a list of 3 item(s)" in err


def test_nodes_json_is_the_catalog(capsys):
    assert main(["nodes", "--json"]) == 0
    catalog = json.loads(capsys.readouterr().out)
    ids = {n["type"] for n in catalog["nodes"]}
    assert {"io.text_input", "io.text_output", "utility.prompt_template", "utility.pick_item"} <= ids
    assert catalog["load_errors"] == []
    assert {t["name"] for t in catalog["types"]} >= {"Text", "Embedding", "Collection", "Latent"}


def test_console_script_runs_without_traceback():
    proc = subprocess.run([sys.executable, "-m", "app.cli", "validate", str(FIVE)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "problem(s)" in proc.stdout


@pytest.mark.slow  # runs tiny-sd three times
def test_run_out_writes_images_as_png_files_and_prints_their_paths(tmp_path, capsys):
    from PIL import Image

    example = ROOT / "examples" / "stable_diffusion.json"
    assert main(["run", str(example)]) == 0
    shown = capsys.readouterr().out
    assert "PIL" not in shown and "<image 64x64: write it with --out DIR>" in shown  # no Python repr
    out = tmp_path / "images"
    assert main(["run", str(example), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    (png,) = out.glob("*.png")
    assert str(png) in printed
    with Image.open(png) as image:
        assert image.format == "PNG" and image.size == (64, 64)
    assert main(["run", str(example), "--out", str(out), "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert [v for v in record["outputs"].values()] == [{"file": str(png)}]
