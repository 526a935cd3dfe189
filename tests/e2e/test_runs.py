"""Run controls: Ctrl+Enter, Cancel while the LLM writes, and the run history of a saved graph,
whose past runs open onto the canvas."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect
from studio_page import StudioPage

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_cancel_and_run_history(page: Page, studio, shot) -> None:
    ui = StudioPage(page, studio.url)
    ui.open_app()
    ui.open_from_dialog("RAG over station notes")
    # a question never asked before, so the LLM has to write (nothing cached), then save:
    # runs of a saved, unchanged graph go into its history
    ui.set_param("question", "value", f"What is the coffee machine called? ({uuid.uuid4().hex[:6]})")
    ui.set_param("llm", "max_tokens", 400)
    page.keyboard.press("Control+s")
    page.get_by_role("dialog").get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("file-state")).to_have_text("v2")
    ui.fit_view()

    page.locator(".react-flow__pane").click(position={"x": 30, "y": 30})
    page.keyboard.press("Control+Enter")
    llm_badge = ui.node("llm").locator(".run-badge")
    expect(llm_badge).to_have_attribute("data-status", "running", timeout=300_000)
    shot(page, "llm-running")
    page.get_by_role("button", name="■ Cancel").click()
    assert ui.wait_run_finished(60_000) == "cancelled"
    expect(llm_badge).to_have_attribute("data-status", "cancelled")
    expect(ui.node("answer").locator(".run-badge")).to_have_attribute("data-status", re.compile("cancelled|upstream_failed"))
    expect(page.locator(".toast", has_text="Run cancelled")).to_be_visible()
    shot(page, "cancelled")

    ui.set_param("llm", "max_tokens", 24)
    page.keyboard.press("Control+s")
    page.get_by_role("dialog").get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("file-state")).to_have_text("v3")
    ui.run()
    assert ui.wait_run_finished(300_000) == "succeeded"
    expect(ui.node("answer").locator(".run-badge")).to_have_attribute("data-status", "succeeded")

    page.locator(".tab[data-tab='runs']").click()
    runs = page.locator(".runs .run-item")
    expect(runs).to_have_count(2)
    expect(runs.nth(0)).to_contain_text("succeeded")
    expect(runs.nth(0)).to_contain_text("v3")
    expect(runs.nth(1)).to_contain_text("cancelled")
    shot(page, "history")

    # open the cancelled run: the canvas shows its node states again
    runs.nth(1).click()
    expect(page.locator(".run-phase")).to_contain_text("showing run of")
    expect(llm_badge).to_have_attribute("data-status", "cancelled")
    shot(page, "past-run-opened")
    page.get_by_role("button", name="clear").click()
    expect(llm_badge).to_have_count(0)
