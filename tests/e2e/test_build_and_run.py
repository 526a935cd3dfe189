"""Build the RAG example from an empty canvas by mouse and run it; run the Stable Diffusion
example and see its image. These load real models (the LLM takes ~30 s the first time)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect
from studio_page import StudioPage

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
RUN_TIMEOUT_MS = 300_000

# Record every text the LLM node streams, however briefly it shows.
WATCH_STREAM = """id => {
  window.__streamed = [];
  new MutationObserver(() => {
    const el = document.querySelector(`.react-flow__node[data-id='${id}'] .node-stream`);
    const text = el ? el.textContent : null;
    if (text && window.__streamed.at(-1) !== text) window.__streamed.push(text);
  }).observe(document.body, { subtree: true, childList: true, characterData: true });
}"""


def effective(params: dict[str, Any], entry: dict[str, Any]) -> dict[str, Any]:
    """Params with the catalog's defaults filled in: what the node will run with."""
    out = {i["name"]: i["default"] for i in entry["inputs"] if i["widget"] and i["has_default"]}
    return {**out, **params}


def drop_point(pos: dict[str, float], origin: tuple[float, float], zoom: float) -> tuple[float, float]:
    # the palette drops a node with its corner 20, 16 flow units above-left of the pointer
    return origin[0] + (pos["x"] + 20) * zoom, origin[1] + (pos["y"] + 16) * zoom


def test_build_the_rag_example_by_mouse_and_run_it(page: Page, studio, shot) -> None:
    example = json.loads((EXAMPLES / "rag.json").read_text())
    catalog = {n["type"]: n for n in httpx.get(f"{studio.url}/api/nodes", timeout=60).json()["nodes"]}
    missing = sorted({n["type"] for n in example["nodes"]} - set(catalog))
    assert not missing, f"node types of examples/rag.json not installed: {missing}"

    ui = StudioPage(page, studio.url)
    ui.open_app()
    ui.hide_side_panel()
    ui.zoom_out(3)
    zoom = page.locator(".react-flow__viewport").evaluate("e => new DOMMatrix(getComputedStyle(e).transform).a")
    box = ui.pane_box()
    min_y = min(n["position"]["y"] for n in example["nodes"])
    origin = (box["x"] + 30, box["y"] + 60 - min_y * zoom)
    shot(page, "empty-canvas")

    # every node, dragged from the palette to where the example has it
    ids: dict[str, str] = {}
    for node in example["nodes"]:
        ids[node["id"]] = ui.drag_from_palette(node["type"], *drop_point(node["position"], origin, zoom))
    shot(page, "all-nodes-dropped")

    # every param, typed into its widget
    for node in example["nodes"]:
        for name, value in node["params"].items():
            ui.set_param(ids[node["id"]], name, value)
    ui.wait_validated()
    shot(page, "params-set")

    # every edge, dragged from output to input
    for edge in example["edges"]:
        ui.connect(ids[edge["source"]], edge["source_port"], ids[edge["target"]], edge["target_port"])
    ui.wait_validated()
    expect(page.get_by_test_id("validity")).to_have_text("valid")
    shot(page, "all-edges-connected")

    built = ui.document()
    by_id = {n["id"]: n for n in built["nodes"]}
    for node in example["nodes"]:
        mine = by_id[ids[node["id"]]]
        assert mine["type"] == node["type"]
        assert effective(mine["params"], catalog[node["type"]]) == effective(node["params"], catalog[node["type"]]), node["id"]
    want = {(ids[e["source"]], e["source_port"], ids[e["target"]], e["target_port"]) for e in example["edges"]}
    assert {(e["source"], e["source_port"], e["target"], e["target_port"]) for e in built["edges"]} == want
    assert len(built["nodes"]) == len(example["nodes"])

    # run: every node goes through its states; the LLM's text streams onto its node
    page.evaluate(WATCH_STREAM, ids["llm"])
    ui.run()
    expect(ui.node(ids["llm"]).locator(".run-badge")).to_be_visible()
    shot(page, "running")
    stream = ui.node(ids["llm"]).locator(".node-stream")
    expect(stream).to_be_visible(timeout=RUN_TIMEOUT_MS)
    shot(page, "llm-working")
    assert ui.wait_run_finished(RUN_TIMEOUT_MS) == "succeeded"
    for node in example["nodes"]:
        expect(ui.node(ids[node["id"]]).locator(".run-badge")).to_have_attribute("data-status", "succeeded")
    answer_text = ui.node(ids["answer"]).locator(".out-text").inner_text()
    streamed = page.evaluate("window.__streamed")
    partial = [t for t in streamed if t and answer_text.strip().startswith(t.strip()) and len(t.strip()) < len(answer_text.strip())]
    assert partial, f"the answer never showed part by part on the LLM node; it showed {streamed!r}"
    sources = ui.node(ids["sources"]).locator(".out-json")
    expect(sources).to_contain_text("Bartholomew")  # retrieval found the right note
    shot(page, "finished")
    answer = ui.node(ids["answer"]).locator(".out-text")
    expect(answer).to_contain_text("Bartholomew")  # ...and the LLM answered from it


def test_stable_diffusion_example_shows_its_image(page: Page, studio, shot) -> None:
    ui = StudioPage(page, studio.url)
    ui.open_app()
    ui.open_from_dialog("Stable Diffusion, decomposed")
    shot(page, "opened")
    ui.run()
    assert ui.wait_run_finished(RUN_TIMEOUT_MS) == "succeeded"
    image = ui.node("image").locator("img.out-image")
    expect(image).to_be_visible()
    image.evaluate("img => img.decode()")  # the PNG artifact really loads
    assert image.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [64, 64]
    shot(page, "image-preview")

    # the full result in the side panel
    ui.node("image").get_by_role("button", name="full result ⤢").click()
    expect(page.locator(".side-panel .result img.out-image")).to_be_visible()
    shot(page, "result-panel")

    # the run is in the graph's history (a saved, unchanged graph runs as its version)
    page.locator(".tab[data-tab='runs']").click()
    expect(page.locator(".runs .run-item").first).to_contain_text("succeeded")
    shot(page, "run-history")
