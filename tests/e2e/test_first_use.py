"""A new user's first hour on the canvas: a renamed template slot takes its wire away in
sight (and Undo brings both back), an example opens readable, New starts at zoom 1, and a
finished run shows its result."""

from __future__ import annotations

import copy
import uuid
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from studio_page import StudioPage

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

WAIT_MS = 30_000  # the machine may be slow: every wait is generous, none is an assertion


def node(node_id: str, node_type: str, x: float, params: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"id": node_id, "type": node_type, "params": params or {}, "position": {"x": x, "y": 0}}


def edge(edge_id: str, source: str, source_port: str, target: str, target_port: str) -> dict[str, str]:
    return {"id": edge_id, "source": source, "source_port": source_port, "target": target, "target_port": target_port}


def template_graph(name: str, template: str, slot: str, output_x: float = 640) -> dict[str, Any]:
    """text input -> prompt template (its `slot` wired) -> text output: utility nodes only,
    so a run takes milliseconds."""
    return {
        "schema": "genaisys.graph/1",
        "name": name,
        "description": "",
        "nodes": [
            node("words", "io.text_input", 0, {"label": "Words", "value": "Hello from the canvas"}),
            node("prompt", "utility.prompt_template", 320, {"template": template}),
            node("out", "io.text_output", output_x, {"label": "Echo"}),
        ],
        "edges": [edge("e1", "words", "text", "prompt", slot), edge("e2", "prompt", "prompt", "out", "value")],
    }


def save(studio, document: dict[str, Any]) -> str:  # noqa: ANN001 - the Studio fixture
    with studio.api() as api:
        created = api.post("/api/graphs", json={"document": copy.deepcopy(document), "message": "for the first-use test"})
        assert created.status_code == 201, created.text
        return created.json()["id"]


def unique(name: str) -> str:
    return f"{name} {uuid.uuid4().hex[:6]}"


def drawn_edges(page: Page) -> int:
    return page.locator(".react-flow__edge").count()


def wait_zoom(page: Page, zoom: float) -> None:
    page.wait_for_function(
        """z => {
            const v = document.querySelector('.react-flow__viewport');
            return !!v && Math.abs(new DOMMatrix(getComputedStyle(v).transform).a - z) < 1e-6;
        }""",
        arg=zoom,
        timeout=WAIT_MS,
    )


def inside(box: dict[str, float] | None, frame: dict[str, float]) -> bool:
    assert box is not None
    return (box["x"] >= frame["x"] and box["y"] >= frame["y"]
            and box["x"] + box["width"] <= frame["x"] + frame["width"]
            and box["y"] + box["height"] <= frame["y"] + frame["height"])


def test_renaming_a_wired_slot_removes_its_wire_in_sight_and_undo_brings_it_back(page: Page, studio, shot) -> None:
    graph_id = save(studio, template_graph(unique("Slot rename"), "Tell me about {topic}.", "topic"))
    ui = StudioPage(page, studio.url)
    ui.open_app(graph_id)
    ui.wait_validated()
    expect(page.get_by_test_id("validity")).to_have_text("valid", timeout=WAIT_MS)
    expect(page.locator(".react-flow__edge")).to_have_count(2, timeout=WAIT_MS)
    shot(page, "wired")

    # rename the slot the wire goes into: the wire goes, and the canvas says so, with Undo
    ui.set_param("prompt", "template", "Tell me about {subject}.")
    notice = page.locator(".toast", has_text="Removed the wire into 'topic'")
    expect(notice).to_be_visible(timeout=WAIT_MS)
    expect(notice).to_contain_text("port gone")
    assert [e["target_port"] for e in ui.document()["edges"]] == ["value"]
    expect(page.locator(".react-flow__edge")).to_have_count(1)
    ui.wait_validated()
    expect(page.get_by_test_id("validity")).to_have_text("valid", timeout=WAIT_MS)  # no unseen edge left to refuse
    shot(page, "wire-removed-with-notice")

    # the toast's Undo brings the template and the wire back together
    notice.get_by_role("button", name="Undo").click()
    expect(ui.param("prompt", "template")).to_have_value("Tell me about {topic}.", timeout=WAIT_MS)
    expect(page.locator(".react-flow__edge")).to_have_count(2, timeout=WAIT_MS)
    assert sorted(e["target_port"] for e in ui.document()["edges"]) == ["topic", "value"]
    shot(page, "undone-by-the-toast")

    # ...and so does Ctrl+Z, the canvas's own undo; every edge of the document stays drawn
    ui.set_param("prompt", "template", "Tell me about {subject}.")
    expect(page.locator(".react-flow__edge")).to_have_count(1, timeout=WAIT_MS)
    assert len(ui.document()["edges"]) == drawn_edges(page)
    page.locator(".react-flow__pane").click(position={"x": 30, "y": 30})
    page.keyboard.press("Control+z")
    expect(page.locator(".react-flow__edge")).to_have_count(2, timeout=WAIT_MS)
    expect(ui.param("prompt", "template")).to_have_value("Tell me about {topic}.")
    page.keyboard.press("Control+Shift+z")
    expect(page.locator(".react-flow__edge")).to_have_count(1, timeout=WAIT_MS)
    assert len(ui.document()["edges"]) == drawn_edges(page)

    # with the wire gone, Run has nothing unseen to refuse
    ui.run()
    assert ui.wait_run_finished(120_000) == "succeeded"
    shot(page, "runs")


def test_the_rag_example_opens_readable_in_a_small_window(page: Page, studio, shot) -> None:
    page.set_viewport_size({"width": 1400, "height": 900})
    ui = StudioPage(page, studio.url)
    ui.open_app()
    ui.open_from_dialog("RAG over station notes")
    question = ui.param("question", "value")
    # no wheel, no zoom button: the question box is drawn, inside the canvas, big enough to read
    expect(question).to_be_visible(timeout=WAIT_MS)
    expect(question).to_be_in_viewport(ratio=1, timeout=WAIT_MS)
    expect(question).to_have_value("What is the coffee machine called?")
    expect(page.locator(".canvas.low-detail")).to_have_count(0)
    assert ui.zoom() >= 0.75
    box = question.bounding_box()
    assert box is not None and box["height"] >= 28, box
    assert inside(box, ui.pane_box()), (box, ui.pane_box())
    shot(page, "rag-opened")


def test_new_starts_at_zoom_one(page: Page, studio, shot) -> None:
    ui = StudioPage(page, studio.url)
    ui.open_app()
    ui.open_from_dialog("RAG over station notes")
    ui.zoom_out(3)
    assert ui.zoom() < 0.9
    shot(page, "zoomed-out-example")

    page.get_by_role("button", name="New", exact=True).click()
    ui.confirm_if_asked()
    expect(page.locator(".react-flow__node")).to_have_count(0, timeout=WAIT_MS)
    wait_zoom(page, 1.0)
    box = ui.pane_box()
    added = ui.drag_from_palette("io.text_input", box["x"] + box["width"] / 3, box["y"] + box["height"] / 3)
    assert ui.zoom() == 1.0
    field = ui.param(added, "value")
    expect(field).to_be_visible(timeout=WAIT_MS)
    field_box = field.bounding_box()
    assert field_box is not None and field_box["height"] >= 36, field_box  # drawn at its size
    shot(page, "new-graph-first-node")


def test_a_finished_run_shows_its_result(page: Page, studio, shot) -> None:
    # the output node sits far right, out of the opening view: the result must come to the user
    graph_id = save(studio, template_graph(unique("Echo"), "Echo: {said}", "said", output_x=2600))
    ui = StudioPage(page, studio.url)
    ui.open_app(graph_id)
    ui.wait_validated()
    page.locator(".tab[data-tab='problems']").click()
    expect(page.locator(".tab[data-tab='problems']")).to_have_attribute("aria-selected", "true")
    shot(page, "problems-tab-before-run")

    ui.run()
    assert ui.wait_run_finished(120_000) == "succeeded"
    result = page.locator(".side-panel .out-text", has_text="Echo: Hello from the canvas")
    expect(result).to_be_visible(timeout=WAIT_MS)
    expect(result).to_be_in_viewport(timeout=WAIT_MS)
    expect(page.locator(".tab[data-tab='result']")).to_have_attribute("aria-selected", "true")
    shot(page, "result-shown")
