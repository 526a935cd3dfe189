"""Real Chromium, real pages of other sites, a studio in its default mode (no ``--auth``)
on the same machine: what the browser lets such a page send must not write, nor read a
run's events; and a DNS-rebinding page — another site's name that now resolves to
127.0.0.1, which Chromium's ``--host-resolver-rules`` stands in for — is served nothing."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from conftest import CHROMIUM, CHROMIUM_ARGS, Studio, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

REBIND = "rebind.attacker.example"
ATTACK = """
async ([studio, runId]) => {
  const out = {};
  // a "simple" request: no preflight, so the browser sends it; the page cannot read the answer
  await fetch(studio + "/api/uploads?filename=fill.txt", {method: "POST", mode: "no-cors",
      headers: {"Content-Type": "text/plain"}, body: "x".repeat(4096)});
  out.upload = "sent";
  out.ws = await new Promise((resolve) => {
    const ws = new WebSocket(studio.replace("http", "ws") + "/api/runs/" + runId + "/events");
    ws.onmessage = (m) => { resolve("read: " + m.data); ws.close(); };
    ws.onerror = () => resolve("refused");
    setTimeout(() => resolve("no answer"), 20000);
  });
  return out;
}
"""


class _Page(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        body = b"<!doctype html><title>A page of another site</title><p>Nothing to see.</p>"
        self.send_response(200)
        self.send_header("content-type", "text/html")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def other_site() -> Iterator[str]:
    """Another origin on this machine (another port is another origin)."""
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), _Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_a_page_of_another_site_cannot_upload_or_watch_runs(studio: Studio, other_site: str, page, shot) -> None:  # noqa: ANN001
    with studio.api() as api:
        doc = {"schema": "genaisys.graph/1", "name": "Private", "nodes": [
            {"id": "in", "type": "io.text_input", "params": {"value": "my private words"}},
            {"id": "out", "type": "io.text_output", "params": {}}],
            "edges": [{"id": "e", "source": "in", "source_port": "text", "target": "out", "target_port": "value"}]}
        run_id = api.post("/api/runs", json={"document": doc}).json()["id"]
    uploads = studio.data_dir / "uploads"
    before = sorted(p.name for p in uploads.iterdir()) if uploads.is_dir() else []
    page.goto(other_site)
    result = page.evaluate(ATTACK, [studio.url, run_id])
    shot(page, "other-site")
    assert result["ws"] in ("refused", "no answer"), result
    assert "private words" not in result["ws"]
    after = sorted(p.name for p in uploads.iterdir()) if uploads.is_dir() else []
    assert after == before, "a page of another site stored a file in the studio"
    # the studio's own page, in the same browser, still uploads
    page.goto(studio.url)
    status = page.evaluate("""async () => (await fetch("/api/uploads?filename=mine.txt",
        {method: "POST", headers: {"Content-Type": "text/plain"}, body: "my own file"})).status""")
    assert status == 201


def test_a_rebinding_page_is_served_nothing(studio: Studio, playwright, shot) -> None:  # noqa: ANN001
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
        *CHROMIUM_ARGS, f"--host-resolver-rules=MAP {REBIND} 127.0.0.1"])
    try:
        page = browser.new_page()
        response = page.goto(f"http://{REBIND}:{studio.port}/api/graphs")
        shot(page, "rebound")
        assert response is not None and response.status == 403
        assert "host_not_allowed" in page.content() and "Aurora" not in page.content()
        # the same browser, by the studio's own name, gets the canvas
        assert page.goto(f"http://localhost:{studio.port}/api/graphs").status == 200
    finally:
        browser.close()
