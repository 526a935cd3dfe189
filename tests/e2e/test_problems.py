"""Break a graph and see the validator's error pinned to the right node and port, with its
message on hover, and the problems list that centres the node when clicked."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from studio_page import StudioPage

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_broken_graph_pins_errors_to_nodes(page: Page, studio, shot) -> None:
    ui = StudioPage(page, studio.url)
    ui.open_app()
    ui.open_from_dialog("RAG over station notes")
    ui.wait_validated()
    expect(page.get_by_test_id("validity")).to_have_text("valid")
    expect(page.locator(".studio-node.has-problem")).to_have_count(0)
    shot(page, "valid-example")

    # 1. a parameter out of its limits: the splitter's chunk size must be at least 1
    ui.set_param("split", "size", 0)
    ui.wait_validated()
    split = ui.node("split")
    expect(split.locator(".studio-node")).to_have_class(re.compile(r"has-problem"))
    size_row = split.locator("[data-param='size']")
    expect(size_row).to_have_class(re.compile(r"port-problem"))
    assert "size" in (size_row.get_attribute("title") or "")
    assert "greater than or equal to 1" in (size_row.get_attribute("title") or "")
    expect(page.locator(".studio-node.has-problem")).to_have_count(1)
    shot(page, "bad-param-pinned")

    # 2. delete the retriever (click it, press Delete): what it fed now misses its input
    ui.fit_view()
    expect(ui.node("retrieve")).to_have_count(1)
    ui.click_node_header("retrieve")
    page.keyboard.press("Delete")
    expect(ui.node("retrieve")).to_have_count(0)
    ui.wait_validated()
    context = ui.node("context")
    expect(context.locator(".studio-node")).to_have_class(re.compile(r"has-problem"))
    items = context.locator(".port-cell.port-in.port-problem")
    expect(items).to_have_count(1)
    assert "'items'" in (items.get_attribute("title") or "")
    handle = ui.handle("context", "items", "target")
    expect(handle).to_have_class(re.compile(r"port-bad"))
    expect(ui.node("sources").locator(".studio-node")).to_have_class(re.compile(r"has-problem"))
    expect(ui.node("answer").locator(".studio-node")).not_to_have_class(re.compile(r"has-problem"))
    shot(page, "missing-inputs-pinned")

    # the problems list names each one; a click selects and centres the node
    problems = page.locator(".problems .problem")
    expect(problems).to_have_count(3)
    codes = problems.locator(".problem-code").all_inner_texts()
    assert sorted(codes) == ["bad_param", "missing_input", "missing_input"]
    problems.filter(has_text="split").click()
    expect(split).to_have_class(re.compile(r"selected"))
    page.wait_for_timeout(500)  # the view glides there
    box, pane = split.bounding_box(), ui.pane_box()
    assert box and abs((box["x"] + box["width"] / 2) - (pane["x"] + pane["width"] / 2)) < 40
    shot(page, "problem-clicked-centres-node")

    # mending it clears the pin
    ui.set_param("split", "size", 300)
    ui.wait_validated()
    expect(split.locator(".studio-node")).not_to_have_class(re.compile(r"has-problem"))
    expect(problems).to_have_count(2)
    shot(page, "param-mended")


def test_problems_name_ports_as_the_node_shows_them(page: Page, studio, shot) -> None:
    ui = StudioPage(page, studio.url)
    ui.open_app()
    box = ui.pane_box()
    node_id = ui.drag_from_palette("io.text_output", box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    ui.wait_validated()
    node = ui.node(node_id)
    shown = node.locator(".port-cell.port-in.port-problem")
    expect(shown).to_have_count(1)
    expect(shown).to_contain_text("text")  # the port's name on the node...
    problem = page.locator(".problems .problem").filter(has_text="missing_input")
    expect(problem).to_have_count(1)
    expect(problem).to_contain_text("input 'text'")  # ...is the name the problem uses
    expect(problem).not_to_contain_text("'value'")
    expect(problem.locator(".problem-where")).to_have_text(f"{node_id}.text")
    assert "input 'text'" in (shown.get_attribute("title") or "")
    shot(page, "problem-names-the-shown-port")
