"""Subgraphs by mouse: group three nodes into a saved graph used as one node, open it, edit a
parameter, save it as a new version, go back by the breadcrumbs, update the outer node to that
version and run: the result appears on the outer graph."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from studio_page import StudioPage

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_group_open_edit_save_update_and_run(page: Page, studio, shot) -> None:
    ui = StudioPage(page, studio.url)
    ui.open_app()
    ui.hide_side_panel()
    box = ui.pane_box()
    at = [(60, 80), (480, 80), (60, 380), (480, 380), (900, 380)]
    source = ui.drag_from_palette("io.text_input", box["x"] + at[0][0], box["y"] + at[0][1])
    steps = [ui.drag_from_palette("utility.concat", box["x"] + x, box["y"] + y) for x, y in at[1:4]]
    shown = ui.drag_from_palette("io.text_output", box["x"] + at[4][0], box["y"] + at[4][1])
    ui.set_param(source, "value", "x")
    for step, suffix in zip(steps, "123", strict=True):
        ui.set_param(step, "b", suffix)
    ui.connect(source, "text", steps[0], "a")
    ui.connect(steps[0], "text", steps[1], "a")
    ui.connect(steps[1], "text", steps[2], "a")
    ui.connect(steps[2], "text", shown, "value")
    ui.wait_validated()

    # select the three concat nodes by mouse (click, Ctrl+click) and group them
    ui.click_node_header(steps[0])
    for step in steps[1:]:
        ui.node(step).locator(".node-title").click(modifiers=["Control"])
    expect(page.locator(".react-flow__node.selected")).to_have_count(3)
    page.get_by_test_id("group").click()
    expect(page.locator(".react-flow__node")).to_have_count(3)
    (outer_node,) = set(ui.node_ids()) - {source, shown}
    expect(ui.node(outer_node).get_by_test_id("subgraph-line")).to_contain_text("v1")
    doc = ui.document()
    assert {(e["source"], e["target"]) for e in doc["edges"]} == {(source, outer_node), (outer_node, shown)}
    shot(page, "grouped")

    # undo brings the three nodes back, redo groups them again
    page.locator(".react-flow__pane").click(position={"x": 20, "y": 20})
    page.keyboard.press("Control+z")
    expect(page.locator(".react-flow__node")).to_have_count(5)
    page.keyboard.press("Control+Shift+z")
    expect(page.locator(".react-flow__node")).to_have_count(3)

    # open it: its nodes, and the breadcrumbs back
    ui.node(outer_node).get_by_test_id("subgraph-line").dblclick()
    crumbs = page.get_by_test_id("breadcrumbs")
    expect(crumbs).to_be_visible()
    expect(page.locator(".react-flow__node")).to_have_count(5)  # three steps, an io input, an io output
    ui.wait_validated()
    ui.set_param(steps[2], "b", "!")
    page.keyboard.press("Control+s")
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("message").fill("shout at the end")
    dialog.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("file-state")).to_contain_text("v2")
    shot(page, "inner-saved")

    # back to the outer graph, which offers the new version
    crumbs.get_by_role("button").first.click()
    expect(crumbs).to_be_hidden()
    expect(page.locator(".react-flow__node")).to_have_count(3)
    update = ui.node(outer_node).get_by_role("button", name="update to v2")
    expect(update).to_be_visible(timeout=10_000)
    update.click()
    expect(ui.node(outer_node).get_by_test_id("subgraph-line")).to_contain_text("v2")

    ui.run()
    assert ui.wait_run_finished(60_000) == "succeeded"
    expect(ui.node(shown)).to_contain_text("x12!")
    # the subgraph node itself shows it ran, and what its output port gave
    expect(ui.node(outer_node).locator(".studio-node")).to_have_class(re.compile(r"\brun-succeeded\b"))
    expect(ui.node(outer_node)).to_contain_text("x12!")
    shot(page, "ran")
