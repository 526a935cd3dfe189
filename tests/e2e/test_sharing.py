"""Sharing in the browser: export and import (button and drag-and-drop), share links made
in the Share dialog (view: read-only, every request carrying the token; fork: a copy of
one's own; revoked: not found; demo: the live Gradio demo runs the graph), and the API
dialog's snippets run against the server."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, Request, expect
from studio_page import StudioPage

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
PROMPT_BUILDER = json.loads((ROOT / "examples" / "prompt_builder.json").read_text())


def saved_graph(studio, name: str) -> tuple[str, dict[str, Any]]:  # noqa: ANN001 - the Studio fixture
    """A fresh copy of the prompt-builder example (utility nodes only: runs in milliseconds),
    saved under a name of its own; its id and document."""
    document = {**copy.deepcopy(PROMPT_BUILDER), "name": name}
    with studio.api() as api:
        created = api.post("/api/graphs", json={"document": document, "message": "for the sharing test"})
        assert created.status_code == 201, created.text
        body = created.json()
    return body["id"], body["document"]


def unique(name: str) -> str:
    return f"{name} {uuid.uuid4().hex[:6]}"


def without_versions(document: dict[str, Any]) -> dict[str, Any]:
    """The export stamps each node with its installed version; the rest is the document."""
    out = copy.deepcopy(document)
    for node in out["nodes"]:
        node.pop("version", None)
    return out


def make_link(page: Page, mode: str, pin: bool = True) -> str:
    """Make a link in the open Share dialog; its absolute URL."""
    dialog = page.get_by_role("dialog", name="Share")
    dialog.locator(f"input[name='mode'][value='{mode}']").check()
    dialog.get_by_label("version").select_option("pin" if pin else "latest")
    links = dialog.locator(".share-link")
    before = links.count()
    dialog.get_by_role("button", name="Create link").click()
    expect(links).to_have_count(before + 1)
    fresh = dialog.locator(".share-link.fresh")
    expect(fresh).to_have_attribute("data-mode", mode)
    return fresh.get_by_label("share link").input_value()


def test_export_import_round_trip(page: Page, studio, shot, tmp_path: Path) -> None:
    name = unique("Round trip")
    graph_id, document = saved_graph(studio, name)
    ui = StudioPage(page, studio.url)
    ui.open_app(graph_id)
    expect(page.get_by_label("graph name")).to_have_value(name)
    ui.wait_fitted()
    shot(page, "opened")

    # a saved, unchanged graph downloads from the server's export
    with page.expect_download() as info:
        ui.toolbar_button("Export").click()
    download = info.value
    assert download.suggested_filename.endswith(".genaisys.json")
    exported_path = tmp_path / download.suggested_filename
    download.save_as(exported_path)
    exported = json.loads(exported_path.read_text())
    assert without_versions(exported) == without_versions(document)
    assert all(isinstance(n.get("version"), int) for n in exported["nodes"])

    # import it back with the Import button: a new graph, identical to the file
    with page.expect_file_chooser() as chooser:
        ui.toolbar_button("Import").click()
    chooser.value.set_files(str(exported_path))
    expect(page.locator(".toast-success", has_text="Imported")).to_be_visible()
    expect(page.get_by_test_id("file-state")).to_have_text("v1")
    imported_id = ui.location_graph()
    assert imported_id and imported_id != graph_id
    assert ui.document() == exported
    with studio.api() as api:
        assert api.get(f"/api/graphs/{imported_id}").json()["document"] == exported
    expect(page.locator(".react-flow__edge")).to_have_count(len(document["edges"]))  # dynamic ports included
    shot(page, "imported")

    # an unsaved, edited graph downloads what the canvas shows, named after the graph
    ui.set_param("which", "value", 2)
    expect(page.get_by_test_id("file-state")).to_contain_text("unsaved")
    with page.expect_download() as info:
        ui.toolbar_button("Export").click()
    assert info.value.suggested_filename == f"{name}.genaisys.json"
    edited = json.loads(Path(info.value.path()).read_text())
    assert edited == ui.document()
    assert next(n for n in edited["nodes"] if n["id"] == "which")["params"]["value"] == 2


def test_dropping_a_file_imports_it_and_reports_what_is_missing(page: Page, studio, shot) -> None:
    name = unique("Dropped")
    document = {**copy.deepcopy(PROMPT_BUILDER), "name": name}
    document["nodes"].append({"id": "frob", "type": "acme.frobnicator", "params": {"strength": 3}, "position": {"x": 40, "y": 520}})
    document["edges"].append({"id": "e9", "source": "prompt", "source_port": "prompt", "target": "frob", "target_port": "text"})
    ui = StudioPage(page, studio.url)
    ui.open_app()
    ui.drop_file_on_canvas("dropped.genaisys.json", json.dumps(document))

    report = page.get_by_role("dialog", name=f'Imported "{name}"')
    expect(report).to_be_visible()
    missing = report.locator(".report-item.missing")
    expect(missing).to_have_count(1)
    expect(missing).to_have_attribute("data-name", "acme.frobnicator")
    expect(missing).to_contain_text("frob")
    expect(missing.locator(".report-hint")).to_contain_text("install")
    shot(page, "report")
    report.get_by_role("button", name="OK").click()

    # the rest opened as usual, the unknown node kept (in red) with its edge
    expect(page.get_by_label("graph name")).to_have_value(name)
    expect(page.get_by_test_id("file-state")).to_have_text("v1")
    expect(page.locator(".react-flow__node")).to_have_count(len(document["nodes"]))
    expect(ui.node("frob").locator(".studio-node.unknown")).to_be_visible()
    got = ui.document()
    assert [n["id"] for n in got["nodes"]] == [n["id"] for n in document["nodes"]]
    assert got["edges"] == document["edges"]
    assert ui.location_graph() == studio.graph_id(name)
    shot(page, "imported")

    # a file that is not JSON is refused with a reason, and nothing changes
    ui.drop_file_on_canvas("notes.json", "not json {")
    expect(page.locator(".toast-error", has_text="is not JSON")).to_be_visible()
    assert ui.document() == got


def test_view_link_is_read_only(page: Page, studio, shot) -> None:
    name = unique("Viewed")
    graph_id, document = saved_graph(studio, name)
    ui = StudioPage(page, studio.url)
    ui.open_app(graph_id)
    ui.toolbar_button("Share").click()
    url = make_link(page, "view")
    assert re.fullmatch(rf"{re.escape(studio.url)}/s/[A-Za-z0-9_-]{{22,}}", url), url
    shot(page, "share-dialog")
    token = url.rsplit("/", 1)[1]

    requests: list[Request] = []
    page.on("request", lambda r: requests.append(r) if "/api/" in r.url else None)
    page.goto(url)
    banner = page.get_by_test_id("share-banner")
    expect(banner).to_contain_text(f"Shared read-only view of {name}")
    expect(page.locator(".react-flow__node")).to_have_count(len(document["nodes"]))
    expect(page.locator(".react-flow__edge")).to_have_count(len(document["edges"]))
    ui.wait_validated()
    shot(page, "view")

    # nothing to save, open, import, run or copy; no palette
    for absent in ("Save", "New", "Open", "Import", "Export", "Share", "▶ Run", "Copy to my graphs"):
        expect(page.get_by_role("button", name=absent, exact=True)).to_have_count(0)
    expect(page.locator(".palette")).to_have_count(0)

    # dragging a node does not move it; a widget cannot be typed into; Delete removes nothing
    before = ui.document()
    header = ui.node("prompt").locator(".node-header")
    box = header.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + 20, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + 220, box["y"] + 160, steps=10)
    page.mouse.up()
    expect(ui.param("notes", "value")).to_be_disabled()
    expect(ui.param("which", "value")).to_be_disabled()
    ui.click_node_header("pick")
    for key in ("Delete", "Backspace", "Control+d", "Control+v", "Control+z", "Control+s"):
        page.keyboard.press(key)
    ui.drop_file_on_canvas("other.genaisys.json", json.dumps(PROMPT_BUILDER))
    page.wait_for_timeout(300)
    assert ui.document() == before
    assert page.evaluate("window.genaisysStudio.dirty()") is False
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page.locator(".react-flow__node")).to_have_count(len(document["nodes"]))
    shot(page, "after-attempts")

    # every request the page made carried the token; the API refuses a save made with it
    assert requests, "the canvas made no API request"
    assert all(r.headers.get("x-share-token") == token for r in requests), [r.url for r in requests if r.headers.get("x-share-token") != token]
    with studio.api() as api:
        refused = api.put(f"/api/graphs/{graph_id}", headers={"X-Share-Token": token},
                          json={"document": document, "based_on": 1, "message": "through a link"})
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "read_only_share"


def test_fork_link_copies_into_my_graphs(page: Page, studio, shot) -> None:
    name = unique("Forked")
    graph_id, document = saved_graph(studio, name)
    ui = StudioPage(page, studio.url)
    ui.open_app(graph_id)
    ui.toolbar_button("Share").click()
    url = make_link(page, "fork", pin=False)

    page.goto(url)
    expect(page.get_by_test_id("share-banner")).to_contain_text(f"Shared read-only view of {name}")
    expect(page.locator(".react-flow__node")).to_have_count(len(document["nodes"]))
    expect(page.get_by_role("button", name="Save", exact=True)).to_have_count(0)
    shot(page, "fork-view")
    page.get_by_role("button", name="Copy to my graphs").click()

    # the studio, on the new copy: editable and saveable
    expect(page.locator(".toolbar")).to_be_visible(timeout=30_000)
    expect(page.get_by_label("graph name")).to_have_value(f"{name} (copy)")
    copy_id = ui.location_graph()
    assert copy_id and copy_id != graph_id
    assert ui.document()["nodes"] == document["nodes"]
    ui.wait_fitted()
    ui.set_param("which", "value", 3)
    expect(page.get_by_test_id("file-state")).to_contain_text("unsaved")
    page.keyboard.press("Control+s")
    page.get_by_role("dialog").get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("file-state")).to_have_text("v2")
    shot(page, "copy-saved")
    with studio.api() as api:
        assert api.get(f"/api/graphs/{graph_id}").json()["latest_version"] == 1  # the original is untouched


def test_revoked_link_is_not_found(page: Page, studio, shot) -> None:
    name = unique("Revoked")
    graph_id, _ = saved_graph(studio, name)
    ui = StudioPage(page, studio.url)
    ui.open_app(graph_id)
    ui.toolbar_button("Share").click()
    url = make_link(page, "view")
    dialog = page.get_by_role("dialog", name="Share")
    link = dialog.locator(".share-link", has=page.locator(f"input[value='{url}']"))
    link.get_by_role("button", name="Revoke").click()
    expect(link).to_have_attribute("data-state", "revoked")
    expect(link.get_by_role("button", name="Revoke")).to_have_count(0)
    shot(page, "revoked")

    response = page.goto(url)
    assert response is not None and response.status == 404
    expect(page.locator("body")).to_contain_text(re.compile(r"revoked", re.I))
    expect(page.locator(".react-flow__node")).to_have_count(0)
    shot(page, "not-found")


def test_api_dialog_snippets_run(page: Page, studio, shot, tmp_path: Path) -> None:
    name = unique("As an API")
    graph_id, _ = saved_graph(studio, name)
    ui = StudioPage(page, studio.url)
    ui.open_app(graph_id)
    ui.wait_fitted()
    ui.set_param("which", "value", 2)  # the example inputs are the canvas's current values
    ui.toolbar_button("API").click()
    dialog = page.get_by_role("dialog", name="Run this graph from a program")
    curl = dialog.locator("pre.snippet[data-lang='curl']").inner_text()
    assert f"{studio.url}/api/graphs/{graph_id}/run" in curl
    shot(page, "curl")
    dialog.get_by_role("tab", name="Python (httpx)").click()
    python = dialog.locator("pre.snippet[data-lang='python']").inner_text()
    shot(page, "python")

    expected = "Explain in one sentence: Stable Diffusion paints from a prompt"  # item 2, counted from 0
    script = tmp_path / "call.py"
    script.write_text(python)
    ran = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.startswith("succeeded"), ran.stdout
    assert expected in ran.stdout

    ran = subprocess.run(["bash", "-c", curl], capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0, ran.stderr
    result = json.loads(ran.stdout)
    assert result["status"] == "succeeded", result
    assert expected in json.dumps(result["outputs"])


def test_demo_link_opens_the_live_demo(page: Page, studio, shot) -> None:
    name = unique("Demoed")
    graph_id, _ = saved_graph(studio, name)
    ui = StudioPage(page, studio.url)
    ui.open_app(graph_id)
    ui.toolbar_button("Share").click()
    url = make_link(page, "demo")
    assert re.fullmatch(rf"{re.escape(studio.url)}/demo/[A-Za-z0-9_-]{{22,}}", url), url
    token = url.rsplit("/", 1)[1]
    with studio.api() as api:  # the canvas's address for it leads to the demo
        moved = api.get(f"/s/{token}", follow_redirects=False)
        assert moved.status_code in (302, 303, 307) and moved.headers["location"].endswith(f"/demo/{token}")
    page.goto(url)
    expect(page.get_by_text(name).first).to_be_visible(timeout=90_000)
    shot(page, "demo")
    page.get_by_role("button", name="Run", exact=True).click()
    expect(page.get_by_role("textbox", name="Prompt", exact=True)).to_have_value(re.compile("Explain in one sentence: Whisper turns speech into text"), timeout=60_000)
    shot(page, "demo-ran")
