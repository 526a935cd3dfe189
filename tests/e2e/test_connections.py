"""Connecting ports by mouse: a compatible edge is made, an incompatible one is refused with
the reason, naming both types (as chaiNNer does)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from studio_page import StudioPage

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_incompatible_connection_is_refused_with_the_reason(page: Page, studio, shot) -> None:
    ui = StudioPage(page, studio.url)
    ui.open_app()
    shot(page, "empty-canvas")
    box = ui.pane_box()
    text_in = ui.drag_from_palette("io.text_input", box["x"] + 200, box["y"] + 200)
    image_out = ui.drag_from_palette("io.image_output", box["x"] + 650, box["y"] + 200)
    text_out = ui.drag_from_palette("io.text_output", box["x"] + 650, box["y"] + 450)
    shot(page, "three-nodes")

    # hovering the Image input while dragging from the Text output: the line says why not
    ui.drag_between(ui.handle(text_in, "text", "source"), ui.handle(image_out, "value", "target"), release=False)
    refusal = page.locator(".connection-refusal")
    expect(refusal).to_be_visible()
    expect(refusal).to_contain_text("Text cannot feed Image")
    shot(page, "refused-while-dragging")
    page.mouse.up()

    toast = page.locator(".toast-error")
    expect(toast).to_contain_text("Not connected")
    expect(toast).to_contain_text("Text")
    expect(toast).to_contain_text("Image")
    expect(page.locator(".react-flow__edge")).to_have_count(0)
    shot(page, "refused-toast")

    # the right type is accepted
    ui.connect(text_in, "text", text_out, "value")
    assert ui.document()["edges"] == [
        {"id": "e1", "source": text_in, "source_port": "text", "target": text_out, "target_port": "value"}
    ]
    # the type of a port shows on hover
    handle = ui.handle(image_out, "value", "target")
    handle.hover()
    assert handle.get_attribute("data-type") == "Image"
    assert "image: Image" in (handle.get_attribute("title") or "")
    shot(page, "connected")
