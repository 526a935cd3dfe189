"""Small builders and waiters shared by the integration tests."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from websockets.exceptions import ConnectionClosedError
from websockets.sync.client import connect


def graph(name: str = "Echo", text: str = "hello", seconds: float | None = None, big: bool = False) -> dict[str, Any]:
    """text input -> [sleep] -> text output; or a big text output."""
    nodes: list[dict[str, Any]] = [
        {"id": "in", "type": "io.text_input", "params": {"value": text}},
        {"id": "out", "type": "io.text_output", "params": {}},
    ]
    edges: list[dict[str, Any]] = []
    last = ("in", "text")
    if seconds is not None:
        nodes.append({"id": "sleep", "type": "test.sleep", "params": {"seconds": seconds}})
        edges.append({"id": "e0", "source": "in", "source_port": "text", "target": "sleep", "target_port": "text"})
        last = ("sleep", "text")
    if big:
        nodes.append({"id": "big", "type": "test.big_text", "params": {}})
        edges.append({"id": "e2", "source": last[0], "source_port": last[1], "target": "big", "target_port": "text"})
        last = ("big", "text")
    edges.append({"id": "e1", "source": last[0], "source_port": last[1], "target": "out", "target_port": "value"})
    return {"schema": "genaisys.graph/1", "name": name, "description": "", "nodes": nodes, "edges": edges}


def wait_run(api: httpx.Client, run_id: str, timeout: float = 30, until: tuple[str, ...] = ("succeeded", "failed", "cancelled", "interrupted")) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = api.get(f"/api/runs/{run_id}").json()
        if run["status"] in until:
            return run
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} still {run['status']} after {timeout} s")


def events(ws_url: str, run_id: str, timeout: float = 30) -> list[dict[str, Any]]:
    """Every event a websocket watcher receives, until the server closes the stream."""
    out = []
    with connect(f"{ws_url}/api/runs/{run_id}/events", open_timeout=timeout, close_timeout=2) as ws:
        try:
            for message in ws:  # each message is a list of events in order, or one error
                value = json.loads(message)
                out.extend(value) if isinstance(value, list) else out.append(value)
        except ConnectionClosedError as exc:  # an error close (4404): report it as the last item
            out.append({"closed": exc.rcvd.code if exc.rcvd else None})
    return out


ROOT = Path(__file__).resolve().parents[2]


def genaisys(data_dir: Path, *args: str, expect: int = 0) -> subprocess.CompletedProcess[str]:
    """``genaisys ARGS --data-dir DATA_DIR`` in a process of its own; its exit code must be ``expect``."""
    done = subprocess.run([sys.executable, "-m", "app.cli", *args, "--data-dir", str(data_dir)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == expect, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    return done


def as_json(done: subprocess.CompletedProcess[str]) -> Any:
    return json.loads(done.stdout)
