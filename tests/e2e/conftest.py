"""Browser tests: a real `genaisys serve` (its own data directory, a free port) and Debian's
Chromium driven by Playwright. The canvas must be built first (`frontend/dist`).

Screenshots of every step go to ``test-artifacts/e2e/<test name>/`` (git-ignored).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

# Every `expect` waits this long unless it says otherwise: Playwright's own 5 s is a fast
# machine's bound, and CI machines are slower and busier.
expect.set_options(timeout=30_000)

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "frontend" / "dist" / "index.html"
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
CHROMIUM = os.environ.get("GENAISYS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Studio:
    """A `genaisys serve` process with its own data directory (``serve_args``: more of the
    command line, e.g. ``["--auth"]``)."""

    def __init__(self, data_dir: Path, serve_args: Sequence[str] = ()) -> None:
        self.data_dir = data_dir
        self.serve_args = list(serve_args)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = data_dir / "server.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Studio:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "app.cli", "serve", "--port", str(self.port), "--data-dir", str(self.data_dir),
                 *self.serve_args],
                stdout=log, stderr=subprocess.STDOUT, env=env, cwd=ROOT,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"genaisys serve exited with {self.proc.returncode}:\n{self.log.read_text()}")
            try:
                if httpx.get(f"{self.url}/api/health", timeout=0.5).status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError(f"genaisys serve did not answer within 60 s:\n{self.log.read_text()}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def api(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30)

    def graph_id(self, name: str) -> str:
        with self.api() as client:
            graphs = client.get("/api/graphs", params={"search": name}).json()["data"]
        return next(g["id"] for g in graphs if g["name"] == name)


@pytest.fixture(scope="session")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Studio]:
    if not DIST.is_file():
        pytest.fail("the canvas is not built: run `npm ci && npm run build` in frontend/ first", pytrace=False)
    server = Studio(tmp_path_factory.mktemp("studio")).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    """Debian's Chromium (Playwright's own browser download is not available here)."""
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).is_file():
        message = f"no Chromium at {CHROMIUM}: apt-get install chromium (or set GENAISYS_CHROMIUM)"
        if os.environ.get("CI"):  # CI installs it: a missing browser there is a failure, not a skip
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    return {**browser_context_args, "viewport": {"width": 1680, "height": 1000}}


class Shots:
    """Numbered screenshots of one test's steps."""

    def __init__(self, folder: Path) -> None:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        self.folder = folder
        self.n = 0

    def __call__(self, page, name: str) -> Path:  # noqa: ANN001 - a Playwright Page
        self.n += 1
        path = self.folder / f"{self.n:02d}-{name}.png"
        page.screenshot(path=str(path))
        return path


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Shots:
    return Shots(ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name))
