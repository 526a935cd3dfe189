"""What a newcomer from ComfyUI or LangFlow expects of the canvas: a wire dropped on the empty
canvas offers the nodes that can take it; toasts and the minimap keep clear of results;
auto-layout makes a grid of loose nodes and leaves room for results; "?" and F1 list the
shortcuts; an empty canvas says how to start; the Open dialog keeps the examples apart from
the user's graphs and renames, duplicates and deletes (with Undo)."""

from __future__ import annotations

import copy
import re
import uuid
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect
from studio_page import StudioPage

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

WAIT_MS = 30_000  # the machine may be slow: every wait is generous, none is an assertion
RUN_MS = 120_000
Box = dict[str, float]


def node(node_id: str, node_type: str, x: float, y: float = 0, params: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"id": node_id, "type": node_type, "params": params or {}, "position": {"x": x, "y": y}}


def edge(edge_id: str, source: str, source_port: str, target: str, target_port: str) -> dict[str, str]:
    return {"id": edge_id, "source": source, "source_port": source_port, "target": target, "target_port": target_port}


def graph(name: str, nodes: list[dict[str, Any]], edges: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return {"schema": "genaisys.graph/1", "name": name, "description": "", "nodes": nodes, "edges": edges or []}


def save(studio, document: dict[str, Any]) -> str:  # noqa: ANN001 - the Studio fixture
    with studio.api() as api:
        created = api.post("/api/graphs", json={"document": copy.deepcopy(document), "message": "for the newcomer test"})
        assert created.status_code == 201, created.text
        return created.json()["id"]


def read(studio, graph_id: str) -> dict[str, Any]:  # noqa: ANN001
    with studio.api() as api:
        answer = api.get(f"/api/graphs/{graph_id}")
        assert answer.status_code == 200, answer.text
        return answer.json()


def listed(studio, search: str, include_deleted: bool = False) -> list[dict[str, Any]]:  # noqa: ANN001
    with studio.api() as api:
        return api.get("/api/graphs", params={"search": search, "include_deleted": include_deleted}).json()["data"]


def unique(name: str) -> str:
    return f"{name} {uuid.uuid4().hex[:6]}"


def box_of(locator: Locator) -> Box:
    expect(locator).to_be_visible(timeout=WAIT_MS)
    box = locator.bounding_box()
    assert box is not None
    return box


def intersect(a: Box, b: Box) -> bool:
    return a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"] and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"]


def inside(a: Box, frame: Box) -> bool:
    return (a["x"] >= frame["x"] and a["y"] >= frame["y"] and a["x"] + a["width"] <= frame["x"] + frame["width"]
            and a["y"] + a["height"] <= frame["y"] + frame["height"])


def drop_wire(page: Page, handle: Locator, x: float, y: float) -> None:
    """Drag from a port's handle and let go at (x, y) of the page."""
    start = box_of(handle)
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(x, y, steps=14)
    page.mouse.up()


def offered(quick: Locator) -> list[str]:
    return quick.locator("li[data-type]").evaluate_all("els => els.map(e => e.dataset.type)")


# -- 6. a wire dropped on the empty canvas ----------------------------------------------


def test_a_wire_dropped_on_the_canvas_offers_the_nodes_that_take_it(page: Page, studio, shot) -> None:
    ui = StudioPage(page, studio.url)
    ui.open_app()
    pane = ui.pane_box()
    words = ui.drag_from_palette("io.text_input", pane["x"] + 200, pane["y"] + 200)
    ui.wait_validated()
    drop = (pane["x"] + 700, pane["y"] + 260)
    drop_wire(page, ui.handle(words, "text", "source"), *drop)

    # a search opens where the wire was let go, listing only what can take Text
    quick = page.get_by_role("dialog", name="Add a node")
    at = box_of(quick)
    assert abs(at["x"] - drop[0]) < 12 and abs(at["y"] - drop[1]) < 12, (at, drop)
    types = offered(quick)
    assert {"io.text_output", "utility.prompt_template", "models.llm"} <= set(types), types
    assert not {"io.image_output", "encoders.image_loader", "models.vae_decoder", "io.text_input"} & set(types), types
    expect(quick.locator("li[data-type='io.text_output']")).to_contain_text("→ text")
    shot(page, "wire-dropped-search")

    # typing filters, still among the compatible nodes only
    search = quick.get_by_label("search nodes")
    search.fill("image output")
    expect(quick.locator("li[data-type]")).to_have_count(0, timeout=WAIT_MS)
    expect(quick.locator("li.empty")).to_contain_text("No connectable node matches")
    search.fill("templ")
    expect(quick.locator("li[data-type]").first).to_have_attribute("data-type", "utility.prompt_template", timeout=WAIT_MS)

    # Enter adds it there, connected to the wire's port
    page.keyboard.press("Enter")
    expect(quick).to_have_count(0, timeout=WAIT_MS)
    expect(page.locator(".react-flow__node")).to_have_count(2, timeout=WAIT_MS)
    expect(page.locator(".react-flow__edge")).to_have_count(1, timeout=WAIT_MS)
    doc = ui.document()
    added = next(n for n in doc["nodes"] if n["type"] == "utility.prompt_template")
    assert [(e["source"], e["source_port"], e["target"], e["target_port"]) for e in doc["edges"]] == [
        (words, "text", added["id"], "template")]
    placed = box_of(ui.node(added["id"]))
    assert abs(placed["x"] - drop[0]) < 30, (placed, drop)  # its input side where the wire ended
    shot(page, "added-connected")

    # one Ctrl+Z takes the node and its edge away together; one redo brings both
    page.locator(".react-flow__pane").click(position={"x": 30, "y": 30})
    page.keyboard.press("Control+z")
    expect(page.locator(".react-flow__node")).to_have_count(1, timeout=WAIT_MS)
    expect(page.locator(".react-flow__edge")).to_have_count(0, timeout=WAIT_MS)
    assert [n["id"] for n in ui.document()["nodes"]] == [words]
    page.keyboard.press("Control+Shift+z")
    expect(page.locator(".react-flow__edge")).to_have_count(1, timeout=WAIT_MS)
    expect(page.locator(".react-flow__node")).to_have_count(2, timeout=WAIT_MS)

    # a click on an entry works as Enter does
    drop_wire(page, ui.handle(words, "text", "source"), pane["x"] + 700, pane["y"] + 560)
    expect(quick).to_be_visible(timeout=WAIT_MS)
    quick.locator("li[data-type='io.text_output']").click()
    expect(page.locator(".react-flow__edge")).to_have_count(2, timeout=WAIT_MS)
    out = next(n for n in ui.document()["nodes"] if n["type"] == "io.text_output")
    assert {(e["source"], e["target"], e["target_port"]) for e in ui.document()["edges"]} >= {(words, out["id"], "value")}
    shot(page, "second-added-by-click")


# -- 7. overlays clear of results; auto-layout ------------------------------------------


def echo_graph(name: str) -> dict[str, Any]:
    """text input -> prompt template -> text output, the output low and to the right (where
    the minimap and the toasts used to be), its result many lines tall."""
    lines = "\n".join(f"line {i} of the echo" for i in range(1, 13))
    return graph(name, [
        node("words", "io.text_input", 0, 0, {"label": "Words", "value": lines}),
        node("prompt", "utility.prompt_template", 330, 0, {"template": "{said}"}),
        node("out", "io.text_output", 680, 240, {"label": "Echo"}),
    ], [edge("e1", "words", "text", "prompt", "said"), edge("e2", "prompt", "prompt", "out", "value")])


WATCH_TOASTS = """() => {
    // where each toast was drawn when it appeared: a toast goes after seconds, and a slow
    // machine may read the page later than that
    window.__toastBoxes = [];
    const record = () => document.querySelectorAll('.toast').forEach((t) => {
        const r = t.getBoundingClientRect();
        window.__toastBoxes.push({ text: t.textContent, x: r.x, y: r.y, width: r.width, height: r.height });
    });
    new MutationObserver(record).observe(document.body, { childList: true, subtree: true });
}"""


def toast_box(page: Page, text: str) -> Box:
    page.wait_for_function("t => window.__toastBoxes.some(b => b.text.includes(t))", arg=text, timeout=WAIT_MS)
    boxes = page.evaluate("t => window.__toastBoxes.filter(b => b.text.includes(t))", text)
    return {k: boxes[0][k] for k in ("x", "y", "width", "height")}


def assert_clear(page: Page, ui: StudioPage, toast: Box, panel_shown: bool) -> None:
    minimap = box_of(page.locator(".react-flow__minimap"))
    result = box_of(ui.node("out").locator(".node-outputs"))
    assert inside(result, ui.pane_box()), (result, ui.pane_box())  # the result is in view...
    assert not intersect(toast, minimap), (toast, minimap)  # ...and nothing covers it
    assert not intersect(toast, result), (toast, result)
    assert not intersect(minimap, result), (minimap, result)
    assert not intersect(minimap, ui.pane_box()), (minimap, ui.pane_box())  # not over the canvas at all
    if panel_shown:
        panel = box_of(page.locator(".side-panel"))
        assert not intersect(toast, panel), (toast, panel)
        assert not intersect(minimap, panel), (minimap, panel)


def test_toasts_and_the_minimap_keep_clear_of_results(page: Page, studio, shot) -> None:
    graph_id = save(studio, echo_graph(unique("Echo corner")))
    ui = StudioPage(page, studio.url)
    ui.open_app(graph_id)
    ui.wait_validated()
    page.evaluate(WATCH_TOASTS)
    ui.run()
    assert ui.wait_run_finished(RUN_MS) == "succeeded"
    expect(page.locator(".side-panel .out-text", has_text="line 12 of the echo")).to_be_visible(timeout=WAIT_MS)
    assert_clear(page, ui, toast_box(page, "Run finished"), panel_shown=True)
    shot(page, "run-with-panel")

    # the panel hidden: the toast offers "Show result", and still covers neither
    ui.hide_side_panel()
    expect(page.locator(".side-panel")).to_have_count(0, timeout=WAIT_MS)
    ui.fit_view()
    ui.run()
    assert ui.wait_run_finished(RUN_MS) == "succeeded"
    assert_clear(page, ui, toast_box(page, "Show result"), panel_shown=False)
    shot(page, "run-without-panel")

    # the minimap folds away, and stays folded after a reload
    toggle = page.get_by_role("button", name="Minimap")
    toggle.click()
    expect(page.locator(".react-flow__minimap")).to_have_count(0, timeout=WAIT_MS)
    expect(toggle).to_have_attribute("aria-expanded", "false")
    page.reload()
    expect(page.get_by_role("button", name="Minimap")).to_have_attribute("aria-expanded", "false", timeout=WAIT_MS)
    expect(page.locator(".react-flow__minimap")).to_have_count(0)
    page.get_by_role("button", name="Minimap").click()
    expect(page.locator(".react-flow__minimap")).to_be_visible(timeout=WAIT_MS)


def test_auto_layout_makes_a_grid_of_loose_nodes_with_room_for_results(page: Page, studio, shot) -> None:
    said = "\n".join(f"a long answer, line {i}" for i in range(1, 15))
    nodes = []
    edges = []
    for k in (1, 2):  # two chains: their outputs share a layer, one above the other
        nodes += [node(f"in{k}", "io.text_input", 40 * k, 40 * k, {"value": said}), node(f"out{k}", "io.text_output", 60 * k, 90 * k)]
        edges.append(edge(f"e{k}", f"in{k}", "text", f"out{k}", "value"))
    nodes += [node(f"loose{i}", "io.text_input", 30 * i, 20 * i, {"value": f"loose {i}"}) for i in range(1, 7)]
    graph_id = save(studio, graph(unique("Messy"), nodes, edges))
    ui = StudioPage(page, studio.url)
    ui.open_app(graph_id)
    ui.hide_side_panel()
    ui.wait_validated()
    expect(page.locator(".react-flow__node")).to_have_count(10, timeout=WAIT_MS)

    page.get_by_role("button", name="Auto-layout").click()
    expect(page.locator(".toast", has_text="Laid out")).to_be_visible(timeout=WAIT_MS)  # after the move
    laid = {n["id"]: n["position"] for n in ui.document()["nodes"]}
    loose = [laid[f"loose{i}"] for i in range(1, 7)]
    assert len({p["x"] for p in loose}) >= 2 and len({p["y"] for p in loose}) >= 2, loose  # a grid, not a column
    assert laid["in1"]["x"] < laid["out1"]["x"] and laid["in2"]["x"] < laid["out2"]["x"]  # the chains still flow right
    xs = [p["x"] for p in laid.values()]
    ys = [p["y"] for p in laid.values()]
    width, height = max(xs) - min(xs) + 260, max(ys) - min(ys) + 160
    assert 1 / 3 < width / height < 3, (width, height)
    shot(page, "laid-out")

    # a run grows the nodes (the outputs by a tall result): still no two overlap
    ui.run()
    assert ui.wait_run_finished(RUN_MS) == "succeeded"
    expect(ui.node("out2").locator(".out-text")).to_contain_text("line 14", timeout=WAIT_MS)
    ui.fit_view()
    expect(page.locator(".react-flow__node")).to_have_count(10, timeout=WAIT_MS)
    drawn = {i: box_of(ui.node(i)) for i in laid}
    clashes = [(a, b) for a in drawn for b in drawn if a < b and intersect(drawn[a], drawn[b])]
    assert clashes == [], (clashes, drawn)
    shot(page, "after-run")


# -- 8. shortcut help, the empty canvas, the Open dialog --------------------------------


def test_question_mark_and_f1_list_the_shortcuts(page: Page, studio, shot) -> None:
    ui = StudioPage(page, studio.url)
    ui.open_app()
    page.locator(".react-flow__pane").click(position={"x": 300, "y": 300})
    page.keyboard.press("?")
    help_dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(help_dialog).to_be_visible(timeout=WAIT_MS)
    for keys, what in [("Ctrl+Z", "Undo"), ("Ctrl+Shift+Z", "Redo"), ("Ctrl+S", "Save"), ("Ctrl+Enter", "Run"),
                       ("Ctrl+C", "Copy"), ("Ctrl+V", "Paste"), ("Ctrl+D", "Duplicate"), ("Delete", "Delete"),
                       ("Double-click the canvas", "Search"), ("Drop a wire on the canvas", "connected")]:
        expect(help_dialog.locator("tr", has_text=keys).first).to_contain_text(what)
    shot(page, "shortcuts")
    page.keyboard.press("Escape")
    expect(help_dialog).to_have_count(0, timeout=WAIT_MS)

    page.keyboard.press("F1")
    expect(help_dialog).to_be_visible(timeout=WAIT_MS)
    page.keyboard.press("F1")
    expect(help_dialog).to_have_count(0, timeout=WAIT_MS)

    # typed into a field, "?" is a character, not the help
    name = page.get_by_label("graph name")
    name.fill("What")
    name.press("?")
    expect(name).to_have_value("What?")
    expect(help_dialog).to_have_count(0)
    page.get_by_role("button", name="Keyboard shortcuts").click()
    expect(help_dialog).to_be_visible(timeout=WAIT_MS)


def test_an_empty_canvas_says_how_to_start(page: Page, studio, shot) -> None:
    ui = StudioPage(page, studio.url)
    ui.open_app()
    validity = page.get_by_test_id("validity")
    expect(validity).to_have_text("empty: drag a node from the palette", timeout=WAIT_MS)
    shot(page, "empty")
    pane = ui.pane_box()
    added = ui.drag_from_palette("io.text_input", pane["x"] + 300, pane["y"] + 200)
    ui.wait_validated()
    expect(validity).to_have_text("valid", timeout=WAIT_MS)
    ui.click_node_header(added)
    page.keyboard.press("Delete")
    expect(page.locator(".react-flow__node")).to_have_count(0, timeout=WAIT_MS)
    expect(validity).to_have_text("empty: drag a node from the palette", timeout=WAIT_MS)


def open_dialog(page: Page, search: str = "") -> Locator:
    page.get_by_role("button", name="Open", exact=True).click()
    dialog = page.get_by_role("dialog", name="Open a graph")
    expect(dialog).to_be_visible(timeout=WAIT_MS)
    if search:
        dialog.get_by_label("search graphs").fill(search)
    return dialog


def item(dialog: Locator, name: str) -> Locator:
    return dialog.locator(".graph-item", has=dialog.page.locator(".graph-title", has_text=re.compile(f"^{re.escape(name)}$")))


def test_the_open_dialog_keeps_examples_apart_from_my_graphs(page: Page, studio, shot) -> None:
    mine = unique("My notes")
    save(studio, graph(mine, [node("q", "io.text_input", 0)]))
    ui = StudioPage(page, studio.url)
    ui.open_app()
    dialog = open_dialog(page)
    examples = dialog.get_by_role("region", name="Examples")
    my_graphs = dialog.get_by_role("region", name="My graphs")
    for example in ("Prompt builder", "RAG over station notes"):
        expect(item(examples, example)).to_have_count(1, timeout=WAIT_MS)
        expect(item(my_graphs, example)).to_have_count(0)
    expect(item(my_graphs, mine)).to_have_count(1)
    expect(item(examples, mine)).to_have_count(0)
    shot(page, "sections")

    # search narrows both; an example opens from its section
    dialog.get_by_label("search graphs").fill("Prompt builder")
    expect(item(my_graphs, mine)).to_have_count(0, timeout=WAIT_MS)
    item(examples, "Prompt builder").locator(".graph-open").click()
    ui.confirm_if_asked()
    expect(page.get_by_label("graph name")).to_have_value("Prompt builder", timeout=WAIT_MS)


def test_rename_a_graph_from_the_open_dialog(page: Page, studio, shot) -> None:
    old, new = unique("Draft"), unique("Final answer")
    graph_id = save(studio, graph(old, [node("q", "io.text_input", 0)]))
    ui = StudioPage(page, studio.url)
    ui.open_app(graph_id)  # open on the canvas too: it follows the rename
    expect(page.get_by_label("graph name")).to_have_value(old, timeout=WAIT_MS)
    dialog = open_dialog(page, old.split()[-1])
    item(dialog, old).get_by_role("button", name="Rename").click()
    field = dialog.get_by_label(f"new name for {old}")
    expect(field).to_be_focused(timeout=WAIT_MS)
    field.fill(new)
    shot(page, "renaming")
    field.press("Enter")
    expect(page.locator(".toast-success", has_text=f'to "{new}"')).to_be_visible(timeout=WAIT_MS)
    dialog.get_by_label("search graphs").fill(new.split()[-1])
    expect(item(dialog, new)).to_have_count(1, timeout=WAIT_MS)
    stored = read(studio, graph_id)
    assert (stored["name"], stored["document"]["name"], stored["version"]) == (new, new, 2)
    # Escape in the name field gives up the rename, not the dialog
    item(dialog, new).get_by_role("button", name="Rename").click()
    dialog.get_by_label(f"new name for {new}").press("Escape")
    expect(dialog).to_be_visible()
    expect(item(dialog, new)).to_have_count(1, timeout=WAIT_MS)
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0, timeout=WAIT_MS)
    expect(page.get_by_label("graph name")).to_have_value(new)
    expect(page.get_by_test_id("file-state")).to_have_text("v2", timeout=WAIT_MS)


def test_duplicate_a_graph_from_the_open_dialog(page: Page, studio, shot) -> None:
    name = unique("Original")
    graph_id = save(studio, graph(name, [node("q", "io.text_input", 0, 0, {"value": "keep me"})]))
    ui = StudioPage(page, studio.url)
    ui.open_app()
    dialog = open_dialog(page, name.split()[-1])
    item(dialog, name).get_by_role("button", name="Duplicate").click()
    my_graphs = dialog.get_by_role("region", name="My graphs")
    expect(item(my_graphs, f"{name} (copy)")).to_have_count(1, timeout=WAIT_MS)
    expect(item(my_graphs, name)).to_have_count(1)
    shot(page, "duplicated")
    found = {g["name"]: g["id"] for g in listed(studio, name.split()[-1])}
    copy_id = found[f"{name} (copy)"]
    assert copy_id != graph_id
    original, duplicate = read(studio, graph_id)["document"], read(studio, copy_id)["document"]
    assert {**duplicate, "name": name} == original

    # a duplicated example is the user's own
    dialog.get_by_label("search graphs").fill("Prompt builder")
    item(dialog.get_by_role("region", name="Examples"), "Prompt builder").get_by_role("button", name="Duplicate").click()
    expect(item(my_graphs, "Prompt builder (copy)").first).to_be_visible(timeout=WAIT_MS)


def test_delete_a_graph_from_the_open_dialog_and_undo(page: Page, studio, shot) -> None:
    name = unique("Scratch")
    graph_id = save(studio, graph(name, [node("q", "io.text_input", 0)]))
    ui = StudioPage(page, studio.url)
    ui.open_app()
    dialog = open_dialog(page, name.split()[-1])
    item(dialog, name).get_by_role("button", name="Delete").click()
    expect(item(dialog, name)).to_have_count(0, timeout=WAIT_MS)
    notice = page.locator(".toast", has_text=f'Deleted "{name}"')
    expect(notice).to_be_visible(timeout=WAIT_MS)
    assert listed(studio, name) == []
    assert [g["deleted"] for g in listed(studio, name, include_deleted=True)] == [True]  # in the bin, not gone
    shot(page, "deleted")

    notice.get_by_role("button", name="Undo").click()
    expect(item(dialog, name)).to_have_count(1, timeout=WAIT_MS)
    expect(page.locator(".toast-success", has_text=f'Restored "{name}"')).to_be_visible(timeout=WAIT_MS)
    assert [g["id"] for g in listed(studio, name)] == [graph_id]
    shot(page, "restored")
