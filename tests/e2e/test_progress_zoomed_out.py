"""What a running node is doing stays readable on the node however far the canvas is zoomed
out: a newcomer's first run sat at "running 0%" while its model converted, with the message
hidden below the zoom at which node contents are drawn."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from studio_page import StudioPage

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

WAIT_MS = 120_000  # a 1024x1024 step on a busy 2-core machine: every wait is generous


def big_image_graph() -> dict:
    """tiny-sd at 1024x1024: each step takes seconds on a CPU and reports how far it is."""
    return {"schema": "genaisys.graph/1", "name": "Big picture", "nodes": [
        {"id": "t2i", "type": "models.text_to_image", "position": {"x": 0, "y": 0},
         "params": {"prompt": "a lighthouse", "steps": 4, "width": 1024, "height": 1024}},
        {"id": "out", "type": "io.image_output", "position": {"x": 1400, "y": 0}, "params": {}}],
        "edges": [{"id": "e", "source": "t2i", "source_port": "image", "target": "out", "target_port": "value"}]}


def test_a_running_nodes_message_is_readable_zoomed_out(page: Page, studio, shot) -> None:
    with studio.api() as api:
        graph_id = api.post("/api/graphs", json={"document": big_image_graph()}).json()["id"]
    ui = StudioPage(page, studio.url)
    ui.open_app(graph_id)
    expect(ui.node("t2i")).to_be_visible(timeout=WAIT_MS)
    for _ in range(12):  # out, as a person would, until node contents are no longer drawn
        if ui.zoom() < 0.4:
            break
        ui.zoom_out(1)
    assert ui.zoom() < 0.5
    expect(page.locator(".canvas.low-detail")).to_have_count(1)
    ui.run()
    stream = ui.node("t2i").locator(".node-stream")
    expect(stream).to_be_visible(timeout=WAIT_MS)
    expect(stream).to_contain_text("step", timeout=WAIT_MS)
    box = stream.bounding_box()
    assert box is not None and box["height"] >= 8, box  # big enough to read on screen
    shot(page, "message-zoomed-out")
    page.get_by_role("button", name="■ Cancel").click()
    assert ui.wait_run_finished(WAIT_MS) == "cancelled"
