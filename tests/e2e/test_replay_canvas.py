"""Replay from the Runs tab: a past run of the prompt builder runs again past the cache, and
every node gets a verdict badge; opening the replay from the history shows them again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from studio_page import StudioPage

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "prompt_builder.json"


def test_replay_a_run_from_the_runs_tab_and_see_each_nodes_verdict(page: Page, studio, shot) -> None:
    document = json.loads(EXAMPLE.read_text())
    document["name"] = "Replayed prompts"  # a graph of its own: other tests run and copy the examples
    with studio.api() as client:
        graph_id = client.post("/api/graphs", json={"document": document}).raise_for_status().json()["id"]
    ui = StudioPage(page, studio.url)
    ui.open_app(graph_id)
    ui.wait_fitted()
    ui.run()
    assert ui.wait_run_finished(120_000) == "succeeded"
    node_ids = ui.node_ids()

    page.locator(".tab[data-tab='runs']").click()
    runs = page.locator(".runs .run-item")
    expect(runs.first).to_contain_text("succeeded")
    before = runs.count()
    runs.first.get_by_role("button", name="replay").click()
    expect(page.locator(".toast", has_text=f"Replay: all {len(node_ids)} nodes identical")).to_be_visible(timeout=120_000)
    badges = page.locator(".replay-badge")
    expect(badges).to_have_count(len(node_ids))
    expect(page.locator(".replay-badge[data-verdict='identical']")).to_have_count(len(node_ids))
    expect(ui.node(node_ids[0]).locator(".replay-badge")).to_have_text("= identical")
    shot(page, "replayed")

    # the replay is in the history, saying what it replays; opened, its verdicts show again
    expect(runs).to_have_count(before + 1)
    expect(runs.first).to_contain_text("replay of")
    runs.nth(1).click()  # the run replayed: no verdicts of its own
    expect(page.locator(".run-phase")).to_contain_text("showing run of")
    expect(badges).to_have_count(0)
    runs.first.click()
    expect(page.locator(".replay-badge[data-verdict='identical']")).to_have_count(len(node_ids))
    shot(page, "replay-reopened")
