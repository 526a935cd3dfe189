"""`genaisys run` on the studio that already serves the same data directory.

A terminal process starts cold: importing torch and transformers and loading the models cost
seconds before its first node. When `genaisys serve` is up on the same data directory, its
models are loaded and its result cache is in memory, so `genaisys run` hands the (already
checked) run to it over loopback, shows the same progress bars from the run's websocket and
prints the same result: the run is the studio's, in the one history, and a second terminal run
costs what a run in the canvas costs. `--here` runs in the terminal's own process instead, as
does every run when no studio answers (or the studio asks for sign-in).

`genaisys serve` announces itself in ``<data dir>/serving.json`` (its URL and process id,
readable by its user only) and removes the file when it stops; a file left by a killed server
is ignored (its process is gone, or nothing answers at its URL).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from app.cli.common import EXIT_INVALID, EXIT_OK, CliError, media_file, print_run, report_invalid
from app.engine.events import Event
from app.engine.vocabulary import EventType, NodeStatus, RunStatus

SERVING = "serving.json"
EVENT_TYPES = frozenset(EventType)
HEALTH_TIMEOUT_S = 2.0
"""How long a terminal run waits for an announced studio to answer before running itself."""


@contextlib.contextmanager
def announce(data_dir: Path, url: str, *, auth: bool) -> Iterator[None]:
    """Say, while serving, that this process serves ``data_dir`` at ``url``."""
    path = data_dir / SERVING
    mine = {"url": url, "pid": os.getpid(), "auth": auth}
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump(mine, out)
    except OSError:  # a read-only data directory: terminal runs run in their own process
        yield
        return
    try:
        yield
    finally:
        with contextlib.suppress(OSError, ValueError):
            if json.loads(path.read_text()) == mine:  # another server may have announced itself since
                path.unlink()


def announcing(app: Any, data_dir: Path, url: str, *, auth: bool) -> Any:
    """``app`` (a FastAPI app) announcing itself once started up, until it shuts down (uvicorn
    re-raises SIGTERM after the shutdown, so nothing after ``uvicorn.run`` would run)."""
    started_up = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(app_: Any) -> AsyncIterator[Any]:
        async with started_up(app_) as state:
            with announce(data_dir, url, auth=auth):
                yield state

    app.router.lifespan_context = lifespan
    return app


def serving_studio(data_dir: Path) -> str | None:
    """The URL of a studio serving ``data_dir`` that a terminal run can use, or None."""
    try:
        found = json.loads((data_dir / SERVING).read_text())
        url, pid = str(found["url"]), int(found["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if found.get("auth"):  # runs there belong to signed-in users
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None  # killed without removing its file
    except PermissionError:
        pass  # alive, another user's: its health check decides
    try:
        with _Studio(url, HEALTH_TIMEOUT_S) as studio:
            healthy = studio.call("GET", "/api/health")[0] == 200
    except (OSError, http.client.HTTPException, ValueError):
        return None
    return url if healthy else None


class _Studio:
    """One keep-alive connection to a studio on loopback, with the standard library's client:
    httpx's import and TLS context cost a terminal run a tenth of a second it never used."""

    def __init__(self, url: str, timeout: float) -> None:
        parts = urlsplit(url)
        self.conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=timeout)

    def __enter__(self) -> _Studio:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.conn.close()

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
        data = None if body is None else json.dumps(body).encode()
        headers = {"content-type": "application/json"} if data else {}
        try:
            self.conn.request(method, path, body=data, headers=headers)
            response = self.conn.getresponse()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            if method != "GET":
                raise
            # the server closed the idle connection (its keep-alive ends while a run goes on): once more
            self.conn.close()
            self.conn.request(method, path, body=data, headers=headers)
            response = self.conn.getresponse()
        return response.status, response.read()

    def json(self, method: str, path: str, body: Any = None) -> Any:
        status, data = self.call(method, path, body)
        if status >= 400:
            raise CliError(f"the studio answered {method} {path} with HTTP {status}: {_message(data)}", EXIT_INVALID)
        return json.loads(data)


def run_on_studio(url: str, body: dict[str, Any], *, where: str, as_json: bool, out: Path | None) -> int:
    """Queue ``body`` (``POST /api/runs``) on the studio at ``url``, follow its events, print
    its result as a terminal run prints it; the exit code as a terminal run's. The studio
    checks the graph: its problems are reported as a terminal run reports them."""
    try:
        return _follow(url, body, where=where, as_json=as_json, out=out)
    except (OSError, http.client.HTTPException) as exc:  # the studio stopped meanwhile
        raise CliError(f"lost the studio at {url}: {exc}; run again, or with --here") from None


def _follow(url: str, body: dict[str, Any], *, where: str, as_json: bool, out: Path | None) -> int:
    from websockets.sync.client import connect

    with _Studio(url, 60) as studio:
        status, data = studio.call("POST", "/api/runs", body)
        if status >= 400:
            problems = _problems(data)
            if problems is not None:
                return report_invalid(where, problems, as_json)
            raise CliError(f"the studio at {url} refused the run: {_message(data)}", EXIT_INVALID)
        accepted = json.loads(data)
        run_id, events_url = accepted["id"], accepted["events_url"]
        ws_url = "ws" + url.removeprefix("http") + events_url
        view = None
        if not as_json:
            from app.cli.progress import ProgressView

            view = ProgressView()
        with view if view is not None else contextlib.nullcontext(), \
                connect(ws_url, open_timeout=60, max_size=None, close_timeout=10) as ws:
            finished = False
            while not finished:
                for event in json.loads(ws.recv()):  # a run takes what it takes: no timeout here
                    finished = finished or event.get("type") == EventType.RUN_FINISHED
                    if view is not None and event.get("type") in EVENT_TYPES:
                        view.on_event(Event(EventType(event["type"]), run_id, int(event.get("seq") or 0),
                                            float(event.get("ts") or 0.0), event.get("node_id"), event.get("data") or {}))
        run = studio.json("GET", f"/api/runs/{run_id}")
        outputs = dict(run.get("outputs") or {})
        if out is not None:
            outputs.update(_download_media(studio, outputs, out))
    nodes = {n["node_id"]: n for n in run["nodes"]}
    if as_json:
        print(json.dumps({"run_id": run_id, "status": run["status"], "duration_s": run.get("duration_s"),
                          "outputs": outputs, "nodes": nodes, "studio": url}, indent=2))
    else:
        counts = [n["status"] for n in nodes.values()]
        took = f" in {run['duration_s']:.2f} s" if run.get("duration_s") is not None else ""
        print_run(((nid, n["status"], n.get("error")) for nid, n in nodes.items()), outputs,
                  f"run {run['status']}{took} ({counts.count(NodeStatus.SUCCEEDED)} ran, "
                  f"{counts.count(NodeStatus.CACHED)} cached) on the studio at {url}")
        print(f"recorded as run {run_id} (genaisys runs show {run_id}; genaisys replay {run_id})", file=sys.stderr)
    return EXIT_OK if run["status"] == RunStatus.SUCCEEDED else EXIT_INVALID


def _problems(data: bytes) -> list[dict[str, Any]] | None:
    """The validator's problems in a refusal of a graph (or of its inputs), else None."""
    try:
        error = json.loads(data)["error"]
        details = error.get("details")
        problems = details.get("problems") if isinstance(details, dict) else details
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    if error.get("code") not in ("invalid_graph", "invalid_inputs") or not isinstance(problems, list):
        return None
    return [p for p in problems if isinstance(p, dict)]


def _message(data: bytes) -> str:
    try:
        return str(json.loads(data)["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return data[:200].decode("utf-8", "replace")


_SUFFIX = {"image/png": "png", "audio/wav": "wav"}


def _download_media(studio: _Studio, outputs: dict[str, Any], folder: Path) -> dict[str, dict[str, str]]:
    """Image and audio outputs (artifacts on the studio) into ``folder`` as a terminal run writes them."""
    written: dict[str, dict[str, str]] = {}
    for nid, value in outputs.items():
        if not (isinstance(value, dict) and value.get("mime") in _SUFFIX and value.get("url")):
            continue
        path = media_file(folder, nid, _SUFFIX[value["mime"]])
        status, data = studio.call("GET", value["url"])
        if status != 200:
            raise CliError(f"the studio did not give output {nid!r} ({value['url']}): HTTP {status}", EXIT_INVALID)
        path.write_bytes(data)
        written[nid] = {"file": str(path)}
    return written
