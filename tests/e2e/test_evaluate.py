"""The Evaluate tab in a real browser: two versions of a graph evaluated through the API,
then their pass rates as bars, the failing cases with their outputs, and the two side by side."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from studio_page import StudioPage

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "prompt_builder.json"
CASES = [{"id": "chroma", "which": 0, "topic": "sentence: Chroma"},
         {"id": "whisper", "which": 1, "topic": "sentence: Whisper"},
         {"id": "diffusion", "which": 2, "topic": "sentence: Stable"}]
CHECKS = [{"name": "topic", "output": "out", "kind": "contains_any", "column": "topic"}]


def evaluate(client, graph_id: str) -> None:
    accepted = client.post(f"/api/graphs/{graph_id}/evals", json={"cases": CASES, "checks": CHECKS})
    assert accepted.status_code == 202, accepted.text
    deadline = time.monotonic() + 60
    while client.get(accepted.json()["url"]).json()["status"] in ("queued", "running"):
        assert time.monotonic() < deadline, "the evaluation did not finish in 60 s"
        time.sleep(0.1)


def test_the_evaluate_tab_charts_versions_and_shows_failing_cases(page: Page, studio, shot) -> None:
    document = json.loads(EXAMPLE.read_text())
    document["name"] = "Evaluated prompts"
    with studio.api() as client:
        graph_id = client.post("/api/graphs", json={"document": document}).json()["id"]
        evaluate(client, graph_id)  # v1: every topic is right
        template = next(n for n in document["nodes"] if n["id"] == "prompt")
        template["params"]["template"] = "Using these notes: {context}\n\nExplain in one sentence: Chroma, not {topic}"
        client.put(f"/api/graphs/{graph_id}", json={"document": document, "based_on": 1}).raise_for_status()
        evaluate(client, graph_id)  # v2: the topic is always Chroma

    ui = StudioPage(page, studio.url)
    ui.open_app(graph_id)
    page.get_by_role("tab", name="Evaluate").click()
    expect(page.get_by_role("img", name="topic: v1 100%, v2 33%")).to_be_visible()
    failing = page.get_by_role("region", name="failing cases")
    expect(failing).to_contain_text("Failing cases of v2: 2 of 3")
    expect(failing.locator("[data-case=whisper]")).to_contain_text("expected any of ['sentence: Whisper']")
    expect(failing.locator("[data-case=chroma]")).to_have_count(0)
    compare = page.get_by_role("table", name="two versions side by side")
    expect(compare.locator("tr.changed")).to_have_count(2)
    expect(compare.locator("thead")).to_contain_text("v2 · 1/3")
    expect(compare.locator("thead")).to_contain_text("v1 · 3/3")
    shot(page, "evaluate-tab")


def test_run_an_evaluation_from_the_evaluate_tab(page: Page, studio, shot, tmp_path: Path) -> None:
    """A person's way in: choose a cases file, add a check, run it, watch it, read the result."""
    document = json.loads(EXAMPLE.read_text())
    document["name"] = "Evaluated from the tab"
    with studio.api() as client:
        graph_id = client.post("/api/graphs", json={"document": document}).json()["id"]
    cases = tmp_path / "topics.jsonl"
    rows = [*CASES, {"id": "wrong", "which": 0, "topic": "sentence: Whisper"}]  # this one must fail
    cases.write_text("".join(json.dumps(r) + "\n" for r in rows))

    ui = StudioPage(page, studio.url)
    ui.open_app(graph_id)
    page.get_by_role("tab", name="Evaluate").click()
    form = page.get_by_role("form", name="start an evaluation")
    expect(form).to_contain_text("Evaluate v1")
    form.get_by_label("cases file").set_input_files(str(cases))
    form.get_by_role("button", name="+ add a check").click()
    form.get_by_label("output").select_option("out")
    form.get_by_label("check").select_option("contains_any")
    form.get_by_label("or column").fill("topic")
    shot(page, "evaluation-form")
    form.get_by_role("button", name="Run evaluation").click()
    expect(page.locator(".toast", has_text="Evaluation of v1: 3 of 4 cases passed")).to_be_visible(timeout=120_000)
    shot(page, "evaluation-finished")
    expect(page.get_by_role("img", name="out contains_any (topic): v1 75%")).to_be_visible()
    failing = page.get_by_role("region", name="failing cases")
    expect(failing).to_contain_text("Failing cases of v1: 1 of 4")
    expect(failing.locator("[data-case=wrong]")).to_contain_text("expected any of ['sentence: Whisper']")
    shot(page, "evaluation-done")
