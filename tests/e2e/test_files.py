"""Files: save with a message, reload the page, reopen from the Open dialog and find the
graph identical; versions; a concurrent save (409) handled without losing the user's work."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from studio_page import StudioPage

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def build_small_graph(ui: StudioPage) -> None:
    box = ui.pane_box()
    question = ui.drag_from_palette("io.text_input", box["x"] + 160, box["y"] + 140)
    template = ui.drag_from_palette("utility.prompt_template", box["x"] + 520, box["y"] + 140)
    answer = ui.drag_from_palette("io.text_output", box["x"] + 880, box["y"] + 160)
    ui.set_param(question, "label", "Topic")
    ui.set_param(question, "value", "owls")
    ui.set_param(template, "template", "Write one line about {topic}.")
    ui.connect(question, "text", template, "topic")  # a port the template grew from {topic}
    ui.connect(template, "prompt", answer, "value")


def save(ui: StudioPage, name: str, message: str) -> None:
    ui.page.keyboard.press("Control+s")
    dialog = ui.page.get_by_role("dialog")
    dialog.get_by_label("name").fill(name)
    dialog.get_by_label("message").fill(message)
    dialog.get_by_role("button", name="Save").click()
    expect(ui.page.locator(".toast-success").last).to_contain_text("Saved")
    expect(ui.page.get_by_test_id("file-state")).not_to_contain_text("unsaved")


def test_save_reload_reopen_is_identical(page: Page, studio, shot) -> None:
    ui = StudioPage(page, studio.url)
    ui.open_app()
    build_small_graph(ui)
    expect(page.get_by_test_id("file-state")).to_contain_text("unsaved")
    shot(page, "built")
    save(ui, "Owl lines", "first draft")
    before = ui.document()
    graph_id = studio.graph_id("Owl lines")
    with studio.api() as api:
        assert api.get(f"/api/graphs/{graph_id}").json()["document"] == before
    shot(page, "saved")

    page.reload()  # the address names the graph: it opens again
    expect(page.get_by_label("graph name")).to_have_value("Owl lines")
    assert ui.document() == before
    shot(page, "reloaded")

    ui.open_app()  # a bare page: an empty canvas; then Open, search, pick
    expect(page.locator(".react-flow__node")).to_have_count(0)
    ui.open_from_dialog("Owl lines")
    assert ui.document() == before
    expect(page.get_by_test_id("file-state")).to_have_text("v1")
    expect(ui.param("prompt_template", "template")).to_have_value("Write one line about {topic}.")
    expect(ui.handle("prompt_template", "topic", "target")).to_have_count(1)
    shot(page, "reopened")

    # a second version, and the history lists both with their messages
    ui.set_param("text_input", "value", "herons")
    save(ui, "Owl lines", "herons instead")
    page.locator(".tab[data-tab='versions']").click()
    versions = page.locator(".versions .version")
    expect(versions).to_have_count(2)
    expect(versions.first).to_contain_text("herons instead")
    expect(versions.nth(1)).to_contain_text("first draft")
    shot(page, "versions")
    versions.nth(1).get_by_role("button", name="Restore").click()
    expect(ui.param("text_input", "value")).to_have_value("owls")
    expect(page.get_by_test_id("file-state")).to_have_text("v3")
    shot(page, "restored")


def test_version_conflict_keeps_my_work(page: Page, studio, shot) -> None:
    ui = StudioPage(page, studio.url)
    ui.open_app()
    build_small_graph(ui)
    save(ui, "Shared lines", "mine, v1")
    graph_id = studio.graph_id("Shared lines")

    # someone else saves version 2 meanwhile
    with studio.api() as api:
        theirs = api.get(f"/api/graphs/{graph_id}").json()["document"]
        theirs["description"] = "their edit"
        assert api.put(f"/api/graphs/{graph_id}", json={"document": theirs, "based_on": 1}).status_code == 200

    ui.set_param("text_input", "value", "my unsaved words")
    mine = ui.document()
    page.keyboard.press("Control+s")
    page.get_by_role("dialog").get_by_role("button", name="Save").click()
    conflict = page.get_by_role("dialog", name="Someone saved this graph first")
    expect(conflict).to_be_visible()
    assert ui.document() == mine
    shot(page, "conflict")

    # reload theirs: my document is one undo away
    conflict.get_by_role("button", name="Reload theirs (mine stays one Ctrl+Z away)").click()
    expect(ui.param("text_input", "value")).to_have_value("owls")
    page.locator(".react-flow__pane").click(position={"x": 30, "y": 500})
    page.keyboard.press("Control+z")
    expect(ui.param("text_input", "value")).to_have_value("my unsaved words")
    shot(page, "mine-back-after-undo")

    # ...and saved as a copy, nothing of either is lost
    with studio.api() as api:
        theirs["description"] = "their second edit"
        api.put(f"/api/graphs/{graph_id}", json={"document": theirs, "based_on": 2}).raise_for_status()
    page.keyboard.press("Control+s")
    page.get_by_role("dialog").get_by_role("button", name="Save").click()
    page.get_by_role("dialog", name="Someone saved this graph first").get_by_role("button", name="Save mine as a copy").click()
    expect(page.locator(".toast-success", has_text="Shared lines (copy)")).to_be_visible()
    copy_id = studio.graph_id("Shared lines (copy)")
    with studio.api() as api:
        copy = api.get(f"/api/graphs/{copy_id}").json()["document"]
        original = api.get(f"/api/graphs/{graph_id}").json()
    assert next(n for n in copy["nodes"] if n["id"] == "text_input")["params"]["value"] == "my unsaved words"
    assert original["version"] == 3 and original["document"]["description"] == "their second edit"
    expect(page.get_by_label("graph name")).to_have_value("Shared lines (copy)")
    shot(page, "saved-as-copy")
