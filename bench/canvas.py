"""How the canvas copes with a big graph: 500 nodes and 600 edges, in headless Chromium.

A `genaisys serve` with a fresh data directory is given the graph (100 copies of a five-node
text pipeline: two inputs, concatenate, split lines, join). Then, in Chromium:

- **open**: from a click on the graph in the Open dialog until all 500 nodes are drawn and
  measured and the view is fitted (timed inside the page);
- **cold load**: from navigation start, with the graph named in the address (`#graph=ID`),
  until the same (includes loading the app and the catalog);
- **pan fps**: frames per second while the mouse drags the canvas, with the whole graph in
  view (500 nodes on screen) and at zoom 1 (a working view), with the 95th-percentile frame time.

Goal: open ≤ 1 s, ≥ 55 fps. Needs the built canvas (`frontend/dist`) and Debian's Chromium.
Not a test: prints a table and writes JSON.

    python bench/canvas.py [--repeat 3] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("GENAISYS_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]
UNITS = 100  # 5 nodes and 6 edges each

# Resolves when the opening view is drawn: the viewport set to the readable opening zoom (a
# big graph opens at 0.8 on its inputs, see frontend/src/canvas/fit.ts), and every node in
# view in the DOM and measured (React Flow shows a node once it knows its size); returns the
# page's clock then. ``n`` is the graph's size, an upper bound on what is drawn.
RENDERED = """n => new Promise(resolve => {
  const check = () => {
    const nodes = document.querySelectorAll('.react-flow__node');
    const shown = nodes.length > 0 && nodes.length <= n && [...nodes].every(e => e.style.visibility !== 'hidden');
    const vp = document.querySelector('.react-flow__viewport');
    const opened = vp && new DOMMatrix(getComputedStyle(vp).transform).a >= 0.75;
    if (shown && opened) resolve(performance.now()); else requestAnimationFrame(check);
  };
  check();
})"""

FRAMES_START = """() => {
  window.__frames = [];
  window.__recording = true;
  const tick = t => { window.__frames.push(t); if (window.__recording) requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
}"""
FRAMES_STOP = "() => { window.__recording = false; return window.__frames; }"


def big_graph(units: int = UNITS) -> dict[str, Any]:
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []
    for u in range(units):
        x0, y0 = (u % 10) * 1250, (u // 10) * 520
        ids = {k: f"{k}{u}" for k in ("a", "b", "cat", "lines", "join")}
        nodes += [
            {"id": ids["a"], "type": "io.text_input", "params": {"value": f"first {u}"}, "position": {"x": x0, "y": y0}},
            {"id": ids["b"], "type": "io.text_input", "params": {"value": f"second {u}"}, "position": {"x": x0, "y": y0 + 220}},
            {"id": ids["cat"], "type": "utility.concat", "params": {}, "position": {"x": x0 + 320, "y": y0 + 60}},
            {"id": ids["lines"], "type": "utility.split_lines", "params": {}, "position": {"x": x0 + 640, "y": y0 + 60}},
            {"id": ids["join"], "type": "utility.join", "params": {}, "position": {"x": x0 + 960, "y": y0 + 60}},
        ]
        wires = [("a", "text", "cat", "a"), ("b", "text", "cat", "b"), ("b", "text", "cat", "separator"),
                 ("cat", "text", "lines", "text"), ("lines", "lines", "join", "items"), ("a", "text", "join", "separator")]
        edges += [{"id": f"e{u}_{i}", "source": ids[s], "source_port": sp, "target": ids[t], "target_port": tp}
                  for i, (s, sp, t, tp) in enumerate(wires)]
    return {"schema": "genaisys.graph/1", "name": "Bench: 500 nodes", "description": "bench/canvas.py", "nodes": nodes, "edges": edges}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(data_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--data-dir", str(data_dir)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/api/health", timeout=0.5).status_code == 200:
                return proc, url
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("genaisys serve did not start")


def time_open(page: Page, url: str, name: str, nodes: int) -> float:
    page.goto(f"{url}/")
    page.wait_for_selector(".palette-item")
    page.get_by_role("button", name="Open", exact=True).click()
    item = page.locator(".graph-open", has_text=name)
    item.wait_for()
    return page.evaluate(
        """([n, rendered]) => { const t0 = performance.now();
             document.querySelector('.graph-open').click();
             return eval(rendered)(n).then(t => t - t0); }""",
        [nodes, RENDERED],
    ) / 1000


def time_cold_load(page: Page, url: str, graph_id: str, nodes: int) -> float:
    page.goto("about:blank")
    page.goto(f"{url}/#graph={graph_id}")
    return page.evaluate(f"({RENDERED})({nodes})") / 1000


def pan_fps(page: Page, seconds: float = 3.0) -> dict[str, float]:
    pane = page.locator(".react-flow__pane").bounding_box()
    assert pane is not None
    cx, cy = pane["x"] + pane["width"] / 2, pane["y"] + pane["height"] / 2
    page.wait_for_timeout(300)
    page.evaluate(FRAMES_START)
    page.mouse.move(cx, cy)
    page.mouse.down()
    t0 = time.perf_counter()
    i = 0
    while time.perf_counter() - t0 < seconds:  # a slow circle, back and forth
        i += 1
        dx = 220 * ((i % 120) / 60 - 1)
        page.mouse.move(cx + dx, cy + dx / 2)
    page.mouse.up()
    frames = page.evaluate(FRAMES_STOP)
    deltas = [b - a for a, b in zip(frames, frames[1:], strict=False)]
    duration = (frames[-1] - frames[0]) / 1000
    return {
        "fps": round((len(frames) - 1) / duration, 1),
        "p95_frame_ms": round(sorted(deltas)[int(len(deltas) * 0.95)], 1),
        "frames": len(frames),
        "mouse_moves": i,
    }


def zoom(page: Page) -> float:
    return page.locator(".react-flow__viewport").evaluate("e => new DOMMatrix(getComputedStyle(e).transform).a")


def fit_whole(page: Page) -> None:
    """Fit view, as a person would, until the whole graph is in view (zoom below 0.5)."""
    page.get_by_role("button", name="Fit view", exact=True).click()
    for _ in range(100):
        if zoom(page) < 0.5:
            return
        page.wait_for_timeout(50)
    raise RuntimeError(f"fit view left the zoom at {zoom(page):.2f}")


def zoom_to_one(page: Page) -> None:
    for _ in range(40):  # the zoom-in button, as a person would, until about 1:1
        if zoom(page) >= 0.95:
            break
        page.locator(".react-flow__controls-zoomin").click()
        page.wait_for_timeout(80)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "canvas.json")
    args = ap.parse_args()
    if not (ROOT / "frontend" / "dist" / "index.html").is_file():
        sys.exit("build the canvas first: cd frontend && npm ci && npm run build")
    doc = big_graph()
    n_nodes, n_edges = len(doc["nodes"]), len(doc["edges"])
    with tempfile.TemporaryDirectory() as tmp:
        proc, url = start_server(Path(tmp))
        try:
            graph_id = httpx.post(f"{url}/api/graphs", json={"document": doc}, timeout=60).raise_for_status().json()["id"]
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                page = browser.new_page(viewport={"width": 1600, "height": 1000})
                opens = [time_open(page, url, doc["name"], n_nodes) for _ in range(args.repeat)]
                colds = [time_cold_load(page, url, graph_id, n_nodes) for _ in range(args.repeat)]
                page.wait_for_timeout(1500)  # let the validator's first answer land
                fit_whole(page)
                whole = pan_fps(page)
                zoom_to_one(page)
                page.wait_for_timeout(500)
                near = pan_fps(page)
                near["zoom"] = round(zoom(page), 2)
                near["nodes_on_screen"] = page.evaluate(
                    "() => [...document.querySelectorAll('.react-flow__node')].filter(e => {"
                    " const r = e.getBoundingClientRect(); return r.right > 0 && r.left < innerWidth && r.bottom > 0 && r.top < innerHeight }).length")
                browser.close()
        finally:
            proc.terminate()
            proc.wait(15)

    rows = [
        ("open (Open dialog → opening view drawn)", f"{statistics.median(opens):.3f} s", f"best {min(opens):.3f} s", "≤ 1 s"),
        ("cold load (#graph=ID)", f"{statistics.median(colds):.3f} s", f"best {min(colds):.3f} s", ""),
        ("pan, whole graph in view", f"{whole['fps']} fps", f"p95 frame {whole['p95_frame_ms']} ms", "≥ 55 fps"),
        (f"pan, zoom 1 ({near['nodes_on_screen']} nodes on screen)", f"{near['fps']} fps", f"p95 frame {near['p95_frame_ms']} ms", "≥ 55 fps"),
    ]
    print(f"canvas: {n_nodes} nodes, {n_edges} edges, headless Chromium, {os.cpu_count()} cores")
    width = max(len(r[0]) for r in rows)
    for r in rows:
        print(f"  {r[0]:<{width}}  {r[1]:>10}  {r[2]:<20} {r[3]}")
    result = {
        "nodes": n_nodes, "edges": n_edges, "open_s": opens, "cold_load_s": colds, "pan_whole": whole, "pan_zoom1": near,
        "goal": {"open_s": 1.0, "fps": 55}, "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(f"wrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")


if __name__ == "__main__":
    main()
