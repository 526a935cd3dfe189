"""The Analysis tab in a real browser: open the RAG example and see its models' memory
against the budget and its outputs' lineage; make the LLM sample without a seed and see the
answer reported as varying, naming the LLM, while the sources still repeat."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from studio_page import StudioPage

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_analysis_tab_shows_memory_determinism_and_lineage(page: Page, studio, shot) -> None:
    ui = StudioPage(page, studio.url)
    ui.open_app()
    ui.open_from_dialog("RAG over station notes")
    ui.wait_validated()
    page.locator(".tab[data-tab='analysis']").click()
    panel = page.get_by_label("analysis")
    rows = panel.locator(".analysis-models tbody tr")
    expect(rows).to_have_count(3)
    expect(panel.locator("tr[data-node='llm']")).to_contain_text("SmolLM2-135M-Instruct")
    expect(panel.locator("tr[data-node='llm']")).to_contain_text("539 MB")
    expect(panel.locator(".analysis-budget")).to_contain_text("model budget")
    answer = panel.locator(".analysis-output[data-node='answer']")
    expect(answer).to_have_attribute("data-deterministic", "true")
    expect(answer).to_contain_text("inputs: question")
    shot(page, "analysis-greedy")

    ui.set_param("llm", "temperature", 0.7)
    ui.set_param("llm", "seed", -1)
    expect(answer).to_have_attribute("data-deterministic", "false")
    expect(answer.locator(".analysis-reason")).to_contain_text(re.compile(r"llm.*temperature 0\.7"))
    expect(panel.locator(".analysis-output[data-node='sources']")).to_have_attribute("data-deterministic", "true")
    shot(page, "analysis-sampling")

    answer.locator(".analysis-reason .node-link").click()
    expect(ui.node("llm")).to_have_class(re.compile(r"selected"))
