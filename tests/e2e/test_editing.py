"""Editing comforts by keyboard and mouse: undo/redo through adds, edges and params;
copy/paste and duplicate; quick-add by double-click."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from studio_page import StudioPage

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_undo_and_redo(page: Page, studio, shot) -> None:
    ui = StudioPage(page, studio.url)
    ui.open_app()
    box = ui.pane_box()
    source = ui.drag_from_palette("io.text_input", box["x"] + 220, box["y"] + 160)
    target = ui.drag_from_palette("utility.split_lines", box["x"] + 640, box["y"] + 160)
    ui.connect(source, "text", target, "text")
    ui.set_param(source, "value", "one\ntwo")
    ui.set_param(target, "skip_empty", False)
    done = ui.document()
    shot(page, "built")

    canvas = page.locator(".react-flow__pane")
    canvas.click(position={"x": 40, "y": 600})  # focus the canvas, not a widget
    page.keyboard.press("Control+z")  # the checkbox
    expect(ui.param(target, "skip_empty")).to_be_checked()
    page.keyboard.press("Control+z")  # the text (typing is one step)
    expect(ui.param(source, "value")).to_have_value("")
    page.keyboard.press("Control+z")  # the edge
    expect(page.locator(".react-flow__edge")).to_have_count(0)
    shot(page, "undone-to-two-nodes")
    page.keyboard.press("Control+z")
    page.keyboard.press("Control+z")
    expect(page.locator(".react-flow__node")).to_have_count(0)
    expect(page.get_by_role("button", name="Undo")).to_be_disabled()
    shot(page, "undone-to-empty")

    for _ in range(5):
        page.keyboard.press("Control+Shift+z")
    expect(page.locator(".react-flow__edge")).to_have_count(1)
    expect(ui.param(target, "skip_empty")).not_to_be_checked()
    assert ui.document() == done
    expect(page.get_by_role("button", name="Redo")).to_be_disabled()
    shot(page, "redone")

    # the toolbar buttons do the same
    page.get_by_role("button", name="Undo").click()
    expect(ui.param(target, "skip_empty")).to_be_checked()
    page.get_by_role("button", name="Redo").click()
    expect(ui.param(target, "skip_empty")).not_to_be_checked()


def test_copy_paste_duplicate_and_quick_add(page: Page, studio, shot) -> None:
    ui = StudioPage(page, studio.url)
    ui.open_app()
    box = ui.pane_box()
    a = ui.drag_from_palette("io.text_input", box["x"] + 200, box["y"] + 150)
    b = ui.drag_from_palette("io.text_output", box["x"] + 600, box["y"] + 150)
    ui.connect(a, "text", b, "value")
    ui.set_param(a, "value", "hello")

    # box select both (Shift+drag on the empty canvas), copy, paste: two new nodes, one new edge
    page.keyboard.down("Shift")
    page.mouse.move(box["x"] + 60, box["y"] + 60)
    page.mouse.down()
    page.mouse.move(box["x"] + 1000, box["y"] + 500, steps=10)
    page.mouse.up()
    page.keyboard.up("Shift")
    expect(page.locator(".react-flow__node.selected")).to_have_count(2)
    shot(page, "box-selected")
    page.keyboard.press("Control+c")
    page.keyboard.press("Control+v")
    expect(page.locator(".react-flow__node")).to_have_count(4)
    expect(page.locator(".react-flow__edge")).to_have_count(2)
    pasted = [n for n in ui.document()["nodes"] if n["id"] not in (a, b)]
    assert {n["type"] for n in pasted} == {"io.text_input", "io.text_output"}
    assert next(n for n in pasted if n["type"] == "io.text_input")["params"] == {"value": "hello"}
    shot(page, "pasted")

    # duplicate the selection again
    page.keyboard.press("Control+d")
    expect(page.locator(".react-flow__node")).to_have_count(6)
    expect(page.locator(".react-flow__edge")).to_have_count(3)

    # double-click the canvas: search, Enter adds the node there
    page.mouse.dblclick(box["x"] + 300, box["y"] + box["height"] - 150)
    quick = page.get_by_role("dialog", name="Add a node")
    expect(quick).to_be_visible()
    quick.get_by_label("search nodes").fill("join texts")
    shot(page, "quick-add")
    page.keyboard.press("Enter")
    expect(page.locator(".react-flow__node")).to_have_count(7)
    assert any(n["type"] == "utility.join" for n in ui.document()["nodes"])
    shot(page, "quick-added")

    # auto-layout moves the nodes into layers; one undo puts them back
    before = {n["id"]: n["position"] for n in ui.document()["nodes"]}
    page.get_by_role("button", name="Auto-layout").click()
    page.wait_for_timeout(400)
    after = {n["id"]: n["position"] for n in ui.document()["nodes"]}
    assert after != before
    assert after[a]["x"] < after[b]["x"]  # the input sits left of the output it feeds
    shot(page, "auto-layout")
    page.locator(".react-flow__pane").click(position={"x": 20, "y": 20})
    page.keyboard.press("Control+z")
    assert {n["id"]: n["position"] for n in ui.document()["nodes"]} == before

    # New asks before dropping unsaved work
    page.get_by_role("button", name="New", exact=True).click()
    confirm = page.get_by_role("dialog", name="Unsaved changes")
    expect(confirm).to_be_visible()
    shot(page, "unsaved-warning")
    confirm.get_by_role("button", name="Cancel").click()
    expect(confirm).to_have_count(0)
    assert len(ui.document()["nodes"]) == 7
    page.get_by_role("button", name="New", exact=True).click()
    page.get_by_role("dialog", name="Unsaved changes").get_by_role("button", name="Discard changes").click()
    expect(page.locator(".react-flow__node")).to_have_count(0)
    expect(page.get_by_test_id("file-state")).to_have_text("")
