"""The studio as a person uses it, for the browser tests: drag from the palette, drag
between ports, type into widgets, click buttons. Only the assertions read the document
(``window.genaisysStudio.document()``)."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Locator, Page, expect

PALETTE = ".palette-item[data-type='{}']"
_FINISHED = re.compile(r"^(succeeded|failed|cancelled)$")


class StudioPage:
    def __init__(self, page: Page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url

    # -- navigation ----------------------------------------------------------------------

    def open_app(self, graph_id: str | None = None) -> None:
        self.page.goto(f"{self.base_url}/" + (f"#graph={graph_id}" if graph_id else ""))
        expect(self.page.locator(".toolbar")).to_be_visible(timeout=30_000)
        expect(self.page.locator(".palette-item").first).to_be_visible()

    def open_from_dialog(self, name: str) -> None:
        self.page.get_by_role("button", name="Open", exact=True).click()
        dialog = self.page.get_by_role("dialog", name="Open a graph")
        dialog.get_by_label("search graphs").fill(name)
        dialog.locator(".graph-open", has_text=name).first.click()
        self.confirm_if_asked()
        expect(self.page.get_by_label("graph name")).to_have_value(name)
        self.wait_fitted()

    def confirm_if_asked(self) -> None:
        confirm = self.page.get_by_role("dialog", name="Unsaved changes")
        if confirm.count():
            confirm.get_by_role("button", name="Discard changes").click()

    def wait_fitted(self) -> None:
        self.page.wait_for_timeout(400)

    def fit_view(self) -> None:
        self.page.get_by_role("button", name="Fit view", exact=True).click()
        self.page.wait_for_timeout(450)

    def hide_side_panel(self) -> None:
        if self.page.locator(".side-panel").count():
            self.page.get_by_role("button", name="Toggle panel").click()

    # -- reading -------------------------------------------------------------------------

    def document(self) -> dict[str, Any]:
        return self.page.evaluate("window.genaisysStudio.document()")

    def node(self, node_id: str) -> Locator:
        return self.page.locator(f".react-flow__node[data-id='{node_id}']")

    def node_ids(self) -> list[str]:
        return self.page.locator(".react-flow__node").evaluate_all("els => els.map(e => e.dataset.id)")

    def handle(self, node_id: str, port: str, kind: str) -> Locator:
        return self.node(node_id).locator(f".react-flow__handle.{kind}[data-handleid='{port}']")

    def wait_validated(self) -> None:
        """The validator has answered about the latest edit."""
        self.page.wait_for_timeout(350)
        expect(self.page.get_by_test_id("validity")).not_to_have_text("checking…", timeout=10_000)

    # -- acting --------------------------------------------------------------------------

    def zoom_out(self, clicks: int) -> None:
        for _ in range(clicks):
            self.page.locator(".react-flow__controls-zoomout").click()
        self.page.wait_for_timeout(250)

    def pane_box(self) -> dict[str, float]:
        box = self.page.locator(".react-flow__pane").bounding_box()
        assert box is not None
        return box

    def drag_from_palette(self, node_type: str, x: float, y: float) -> str:
        """Drag a palette item to (x, y) of the page; return the new node's id."""
        before = set(self.node_ids())
        item = self.page.locator(PALETTE.format(node_type))
        item.scroll_into_view_if_needed()
        box = item.bounding_box()
        assert box is not None, f"{node_type} is not in the palette"
        self.page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        self.page.mouse.down()
        self.page.mouse.move(x, y, steps=8)
        self.page.mouse.up()
        expect(self.page.locator(".react-flow__node")).to_have_count(len(before) + 1)
        (new,) = set(self.node_ids()) - before
        return new

    def drag_between(self, start: Locator, end: Locator, release: bool = True) -> None:
        a, b = start.bounding_box(), end.bounding_box()
        assert a is not None and b is not None
        self.page.mouse.move(a["x"] + a["width"] / 2, a["y"] + a["height"] / 2)
        self.page.mouse.down()
        self.page.mouse.move(b["x"] + b["width"] / 2, b["y"] + b["height"] / 2, steps=12)
        if release:
            self.page.mouse.up()

    def connect(self, source: str, source_port: str, target: str, target_port: str) -> None:
        target_handle = self.handle(target, target_port, "target")
        expect(target_handle).to_have_count(1, timeout=10_000)  # a dynamic port may be on its way
        edges = self.page.locator(".react-flow__edge").count()
        self.drag_between(self.handle(source, source_port, "source"), target_handle)
        expect(self.page.locator(".react-flow__edge")).to_have_count(edges + 1)

    def param(self, node_id: str, name: str) -> Locator:
        return self.node(node_id).locator(f"[data-param='{name}']").locator("input:not([type=file]), textarea, select").last

    def zoom(self) -> float:
        return self.page.locator(".react-flow__viewport").evaluate("e => new DOMMatrix(getComputedStyle(e).transform).a")

    def zoom_in_on(self, node_id: str, at_least: float = 0.8) -> None:
        """Scroll the wheel over a node until it is drawn in full (widgets hide when zoomed out)."""
        for _ in range(30):
            if self.zoom() >= at_least:
                return
            box = self.node(node_id).locator(".node-header").bounding_box()  # widgets keep the wheel
            assert box is not None
            self.page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            self.page.mouse.wheel(0, -150)
            self.page.wait_for_timeout(60)
        raise AssertionError(f"could not zoom in on {node_id}")

    def set_param(self, node_id: str, name: str, value: Any) -> None:
        if not self.node(node_id).count():  # off screen, so not drawn: look at the whole graph
            self.fit_view()
        field = self.param(node_id, name)
        if not field.is_visible():
            self.zoom_in_on(node_id)
        tag = field.evaluate("e => e.tagName + (e.type ? ':' + e.type : '')")
        if tag.startswith("SELECT"):
            field.select_option(str(value))
        elif tag == "INPUT:checkbox":
            field.set_checked(bool(value))
        else:
            field.click()
            field.fill(str(value))
        field.blur()

    def click_node_header(self, node_id: str) -> None:
        self.node(node_id).locator(".node-title").click()

    def run(self) -> None:
        self.page.get_by_role("button", name="▶ Run").click()

    def wait_run_finished(self, timeout_ms: int) -> str:
        phase = self.page.locator(".run-phase")
        expect(phase).to_have_attribute("data-phase", _FINISHED, timeout=timeout_ms)
        return phase.get_attribute("data-phase") or ""

    # -- sharing, export / import (added for tests/e2e/test_sharing.py) ---------------------

    def toolbar_button(self, name: str) -> Locator:
        return self.page.locator(".toolbar").get_by_role("button", name=name, exact=True)

    def drop_file_on_canvas(self, file_name: str, content: str, mime: str = "application/json") -> None:
        """Drop a file on the canvas as a file manager would: dragenter, dragover, drop."""
        data = self.page.evaluate_handle(
            """([name, text, mime]) => {
                const dt = new DataTransfer();
                dt.items.add(new File([text], name, { type: mime }));
                return dt;
            }""",
            [file_name, content, mime],
        )
        pane = self.page.locator(".react-flow__pane")
        box = self.pane_box()
        at = {"clientX": box["x"] + box["width"] / 2, "clientY": box["y"] + box["height"] / 2}
        for kind in ("dragenter", "dragover", "drop"):
            pane.dispatch_event(kind, {"dataTransfer": data, **at})

    def location_graph(self) -> str | None:
        """The graph id in the address (``#graph=ID``), if any."""
        return self.page.evaluate("(/[#&]graph=([^&]+)/.exec(location.hash) || [])[1] || null")
