"""A file input's Upload button: the chosen file goes to the server and the node's path
points at the stored copy."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page
from studio_page import StudioPage

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_upload_a_document_from_its_node(page: Page, studio, shot, tmp_path: Path) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text("# Notes\n\nThe upload arrived safely.\n")
    ui = StudioPage(page, studio.url)
    ui.open_app()
    box = ui.pane_box()
    source = ui.drag_from_palette("io.file_input", box["x"] + 200, box["y"] + 160)
    ui.zoom_in_on(source)
    page.locator(f'.react-flow__node[data-id="{source}"] input[type=file]').set_input_files(str(notes))
    path_field = ui.param(source, "value")
    page.wait_for_function(
        "id => document.querySelector(`.react-flow__node[data-id='${id}'] input[name=value]`).value.endsWith('.md')",
        arg=source, timeout=10_000)
    stored = Path(path_field.input_value())
    assert stored.parent == Path("uploads")  # the server's own folders are not named
    assert (studio.data_dir / stored).read_text() == notes.read_text()
    shot(page, "uploaded")
