"""Live demos cost nothing while idle: a demo without requests for ``demo_idle_s`` is unmounted
(its Gradio queue stops) and the next request builds it again — a page left open still runs;
a demo with a run under way stays. Gradio is imported in the background after start-up.

The server's log says what the hub did (``demo abcdef…: unmounted``, ``… is live``). Every
wait is a condition polled to a generous deadline; nothing here times anything.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from helpers import graph
from studio_server import Server

gradio_client = pytest.importorskip("gradio_client")

ROOT = Path(__file__).resolve().parents[2]
PROMPT_BUILDER = json.loads((ROOT / "examples" / "prompt_builder.json").read_text(encoding="utf-8"))
DEADLINE = 120.0
IDLE_S = 1.0
"""The server's ``demo_idle_s``: its reaper then looks every quarter of a second."""


@pytest.fixture(scope="module")
def idle_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = Server(tmp_path_factory.mktemp("idle") / "data", env={"GENAISYS_DEMO_IDLE_S": str(IDLE_S)}).start()
    yield srv
    srv.stop()


@pytest.fixture
def api(idle_server: Server) -> Iterator[httpx.Client]:
    with idle_server.client() as client:
        yield client


def make_graph(api: httpx.Client, document: dict[str, Any] = PROMPT_BUILDER) -> str:
    r = api.post("/api/graphs", json={"document": copy.deepcopy(document)})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def share(api: httpx.Client, graph_id: str) -> dict[str, Any]:
    r = api.post(f"/api/graphs/{graph_id}/shares", json={"mode": "demo"})
    assert r.status_code == 201, r.text
    return r.json()


def runs_of(api: httpx.Client, graph_id: str) -> list[dict[str, Any]]:
    return api.get("/api/runs", params={"graph_id": graph_id}).json()["data"]


def log_count(server: Server, token: str, what: str) -> int:
    return server.log.read_text(errors="replace").count(f"demo {token[:6]}…: {what}")


def wait_for(condition: Any, what: str, deadline: float = DEADLINE) -> None:
    end = time.monotonic() + deadline
    while not condition():
        assert time.monotonic() < end, f"waited {deadline:.0f} s for {what}"
        time.sleep(0.1)


def unmounted(server: Server, token: str, times: int = 1) -> None:
    wait_for(lambda: log_count(server, token, "unmounted") >= times, f"demo {token[:6]}… to be unmounted")


def call(base: str, config: dict[str, Any], data: list[Any], session: str) -> dict[str, Any]:
    """What the page does on Run, with the event numbers and component ids of ``config`` (the
    page's, fetched when it opened): join the queue, read the stream to ``process_completed``."""
    dep = next(d for d in config["dependencies"] if d.get("api_name") == "run")
    joined = httpx.post(f"{base}/gradio_api/queue/join", timeout=60, json={
        "data": data, "fn_index": dep["id"], "trigger_id": dep["targets"][0][0], "session_hash": session,
        "event_data": None})
    assert joined.status_code == 200, joined.text
    with httpx.stream("GET", f"{base}/gradio_api/queue/data", params={"session_hash": session}, timeout=60) as stream:
        for line in stream.iter_lines():
            if line.startswith("data:") and (message := json.loads(line[5:])).get("msg") == "process_completed":
                return message
    raise AssertionError("the event never completed")


@pytest.mark.slow
def test_an_idle_demo_is_unmounted_and_a_page_left_open_still_runs(idle_server: Server, api: httpx.Client,
                                                                   tmp_path: Path) -> None:
    gid = make_graph(api)
    link = share(api, gid)
    token, base = link["token"], f"{idle_server.url}{link['url']}"
    assert api.get(f"{link['url']}/").status_code == 200  # the page opens: the demo is built
    page_config = api.get(f"{link['url']}/config").json()  # what the open page holds from now on
    demo = gradio_client.Client(f"{base}/", verbose=False, download_files=str(tmp_path))
    assert demo.predict("a\nb", 1, api_name="/run")[0].endswith("Explain in one sentence: b")
    assert log_count(idle_server, token, "graph") == 1

    unmounted(idle_server, token)  # idle past demo_idle_s: the hub let it go

    # the page clicks Run again, with the event number and button id of the Blocks it loaded
    done = call(base, page_config, ["c\nd", 1], "leftopen1")
    assert done["success"] is True, done
    assert done["output"]["data"][0] == "Using these notes: c; d\n\nExplain in one sentence: d"
    assert log_count(idle_server, token, "graph") >= 2  # built again for it
    rebuilt = api.get(f"{link['url']}/config").json()
    assert rebuilt["app_id"] == page_config["app_id"]  # the same app, to a page that asks
    assert [(d["id"], d.get("api_name")) for d in rebuilt["dependencies"]] == \
        [(d["id"], d.get("api_name")) for d in page_config["dependencies"]]

    unmounted(idle_server, token, 2)
    prompt, lines = demo.predict("e\nf\ng", 2, api_name="/run")  # the client made before, too
    assert prompt.endswith("Explain in one sentence: g") and lines == ["e", "f", "g"]
    assert [r["status"] for r in runs_of(api, gid)] == ["succeeded"] * 3


@pytest.mark.slow
def test_a_demo_with_a_run_under_way_is_not_unmounted(idle_server: Server, api: httpx.Client, tmp_path: Path) -> None:
    gid = make_graph(api, graph("Slow demo", text="hi", seconds=8.0))
    link = share(api, gid)
    token = link["token"]
    job = gradio_client.Client(f"{idle_server.url}{link['url']}/", verbose=False,
                               download_files=str(tmp_path)).submit("hi", api_name="/run")
    wait_for(lambda: [r["status"] for r in runs_of(api, gid)] == ["running"], "the demo's run to start")
    looks = 0
    while True:  # the log is read before the run's status: "running" then means it was read mid-run
        seen = log_count(idle_server, token, "unmounted")
        if runs_of(api, gid)[0]["status"] != "running":
            break
        assert seen == 0, "the demo was unmounted while its run was under way"
        looks += 1
        time.sleep(0.2)
    assert looks >= 1
    assert job.result(timeout=DEADLINE) == "hi"
    assert [r["status"] for r in runs_of(api, gid)] == ["succeeded"]
    unmounted(idle_server, token)  # once the run is over, it goes like any idle demo


@pytest.mark.slow
def test_a_heartbeat_neither_keeps_a_demo_nor_builds_one(idle_server: Server, api: httpx.Client) -> None:
    link = share(api, make_graph(api))
    token, base = link["token"], f"{idle_server.url}{link['url']}"
    lines: list[str] = []

    def hold_heartbeat() -> None:  # what an open page with a session keeps open
        with httpx.stream("GET", f"{base}/gradio_api/heartbeat/beat1", timeout=DEADLINE) as stream:
            for line in stream.iter_lines():
                lines.append(line)

    end = time.monotonic() + DEADLINE
    while "data: ALIVE" not in lines:  # (re)build it, and hold its heartbeat while it is mounted
        assert time.monotonic() < end, "no heartbeat stream ever opened"
        lines.clear()
        assert api.get(f"{link['url']}/config").status_code == 200
        beat = threading.Thread(target=hold_heartbeat, daemon=True)
        beat.start()
        while beat.is_alive() and not lines:
            time.sleep(0.05)
    beat.join(DEADLINE)  # the stream ends when the hub closes the demo: it kept nothing mounted
    assert not beat.is_alive(), "the heartbeat kept the demo mounted"
    assert log_count(idle_server, token, "unmounted") >= 1

    built = log_count(idle_server, token, "graph")
    r = httpx.get(f"{base}/gradio_api/heartbeat/beat2", timeout=60)
    assert r.status_code == 204  # a heartbeat to a demo that is not mounted builds nothing
    assert log_count(idle_server, token, "graph") == built
    assert api.get(f"{link['url']}/config").status_code == 200  # anything else does
    assert log_count(idle_server, token, "graph") == built + 1


def test_gradio_is_imported_in_the_background_after_start_up(tmp_path: Path) -> None:
    code = (
        "import sys, json, time\n"
        "from fastapi.testclient import TestClient\n"
        "from app.main import create_app\n"
        "from app.settings import Settings\n"
        f"app = create_app(Settings(data_dir={str(tmp_path)!r}))\n"
        "with TestClient(app, base_url='http://localhost') as c:\n"
        "    out = {'at_start': 'gradio' in sys.modules, 'ready': time.monotonic()}\n"
        "    assert c.get('/api/health').status_code == 200\n"
        "    out['answered'], out['at_answer'] = time.monotonic(), 'gradio' in sys.modules\n"
        "    hub, end = getattr(app.state, 'demos', None), time.monotonic() + 120\n"
        "    while time.monotonic() < end and 'took' not in getattr(hub, 'warmup_times', {}):\n"
        "        time.sleep(0.1)\n"
        "    out['imported'] = 'gradio' in sys.modules\n"
        "    out.update(getattr(hub, 'warmup_times', {}))\n"
        "print(json.dumps(out))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert out["imported"] and "took" in out, out  # it happened, in the background
    from app.demo.hub import WARMUP_DELAY_S

    assert out["began"] - out["scheduled"] >= WARMUP_DELAY_S  # not on the start-up path...
    if out["ready"] - out["scheduled"] < WARMUP_DELAY_S:
        assert not out["at_start"], out  # ...so start-up is over before gradio comes in
    if out["answered"] - out["scheduled"] < WARMUP_DELAY_S:
        assert not out["at_answer"], out  # and the first request does not wait for it
