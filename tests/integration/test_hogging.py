"""One user cannot hog a shared ``--auth`` server: waiting runs take turns by owner, each
owner may have only so many waiting, and a demo link's uploads are bounded in number per
request and in total. Every wait is a condition polled to a generous deadline."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from helpers import graph, wait_run
from studio_server import Server

ROOT = Path(__file__).resolve().parents[2]
WAITING_LIMIT = 6
UPLOADS_MAX_BYTES = 50_000
SLOW = 300.0
"""Seconds a blocking run would sleep: it is always cancelled long before."""
DEADLINE = 120.0


def add_user(data_dir: Path, name: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "app.cli", "users", "add", name, "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    return out.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, dict[str, str]]]:
    data = tmp_path_factory.mktemp("hogging") / "data"
    tokens = {name: add_user(data, name) for name in ("alice", "bob")}
    srv = Server(
        data,
        env={
            "GENAISYS_AUTH": "1",
            "GENAISYS_MAX_QUEUED_RUNS_PER_USER": str(WAITING_LIMIT),
            "GENAISYS_DEMO_UPLOADS_MAX_BYTES": str(UPLOADS_MAX_BYTES),
            "GRADIO_TEMP_DIR": str(data / "gradio"),
        },
    ).start()
    yield srv, tokens
    srv.stop()


@pytest.fixture
def alice(shared: tuple[Server, dict[str, str]]) -> Iterator[httpx.Client]:
    yield from _user(shared, "alice")


@pytest.fixture
def bob(shared: tuple[Server, dict[str, str]]) -> Iterator[httpx.Client]:
    yield from _user(shared, "bob")


def _user(shared: tuple[Server, dict[str, str]], name: str) -> Iterator[httpx.Client]:
    srv, tokens = shared
    with httpx.Client(
        base_url=srv.url, timeout=60, headers={"Authorization": f"Bearer {tokens[name]}"}
    ) as api:
        try:
            yield api
        finally:  # nothing of this test waits on into the next one
            for run in api.get("/api/runs", params={"limit": 500}).json()["data"]:
                if run["status"] in ("queued", "running"):
                    api.post(f"/api/runs/{run['id']}/cancel")
                    wait_run(api, run["id"], timeout=DEADLINE)


def submit(api: httpx.Client, text: str, seconds: float) -> str:
    # each run's text differs: no cache hit makes one finish early
    r = api.post("/api/runs", json={"document": graph(text=text, seconds=seconds)})
    assert r.status_code == 202, r.text
    return r.json()["id"]


def started(run: dict[str, Any]) -> datetime:
    assert run["started_at"], run
    return datetime.fromisoformat(run["started_at"])


def run_count(api: httpx.Client) -> int:
    return api.get("/api/runs", params={"limit": 1}).json()["count"]


@pytest.mark.slow
def test_a_second_users_run_goes_ahead_of_the_first_users_backlog(
    alice: httpx.Client, bob: httpx.Client
) -> None:
    """Alice's backlog of five waits behind her running run; Bob's one run, submitted after
    them, starts next: the queue takes turns by owner, and FIFO within each owner."""
    blocker = submit(alice, "a-block", SLOW)
    wait_run(alice, blocker, timeout=DEADLINE, until=("running",))
    backlog = [submit(alice, f"a{i}", 0.1) for i in range(5)]
    mine = submit(bob, "b", 0.1)
    assert alice.post(f"/api/runs/{blocker}/cancel").status_code == 200  # the worker moves on

    bobs = wait_run(bob, mine, timeout=DEADLINE)
    alices = [wait_run(alice, run_id, timeout=DEADLINE) for run_id in backlog]
    assert bobs["status"] == "succeeded" and {r["status"] for r in alices} == {"succeeded"}
    assert started(bobs) < min(started(r) for r in alices), "Bob's run waited behind Alice's"
    order = [started(r) for r in alices]
    assert order == sorted(order)  # her own runs in her order


@pytest.mark.slow
def test_too_many_waiting_runs_get_429_and_record_nothing(
    shared: tuple[Server, dict[str, str]], alice: httpx.Client, bob: httpx.Client, tmp_path: Path
) -> None:
    """Past WAITING_LIMIT waiting runs (the running one does not count), POST /api/runs, the
    graph-as-API route and the owner's demo links are refused and record no run; another
    user still submits; cancelling a waiting run frees its place at once."""
    blocker = submit(alice, "c-block", SLOW)
    wait_run(alice, blocker, timeout=DEADLINE, until=("running",))
    waiting = [submit(alice, f"c{i}", SLOW) for i in range(WAITING_LIMIT)]
    before = run_count(alice)

    refused = alice.post("/api/runs", json={"document": graph(text="one too many", seconds=SLOW)})
    assert refused.status_code == 429
    assert refused.json() == {
        "error": {
            "code": "too_many_runs",
            "message": f"you have {WAITING_LIMIT} runs waiting; wait for one to finish or cancel one",
            "details": {"waiting": WAITING_LIMIT, "limit": WAITING_LIMIT},
        }
    }
    gid = alice.post("/api/graphs", json={"document": graph("Saved", text="saved")}).json()["id"]
    as_api = alice.post(f"/api/graphs/{gid}/run", json={"timeout_s": 0})
    assert as_api.status_code == 429 and as_api.json()["error"]["code"] == "too_many_runs"
    assert run_count(alice) == before  # nothing recorded

    assert submit(bob, "bob's", 0.1)  # his own line is empty

    cancelled = alice.post(f"/api/runs/{waiting[0]}/cancel")
    # settled at once, not when a worker is free
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert wait_run(alice, waiting[0], timeout=DEADLINE)["status"] == "cancelled"
    assert submit(alice, "in its place", SLOW)  # the place it held is free
    before = run_count(alice)

    gradio_client = pytest.importorskip("gradio_client")
    srv, _ = shared
    link = alice.post(f"/api/graphs/{gid}/shares", json={"mode": "demo"}).json()["url"]
    demo = gradio_client.Client(f"{srv.url}{link}/", verbose=False, download_files=str(tmp_path))
    with pytest.raises(
        gradio_client.exceptions.AppError,
        match=f"{WAITING_LIMIT} runs of this demo's owner are waiting",
    ):
        demo.predict("from the demo", api_name="/run")  # a demo's runs are its graph owner's
    assert run_count(alice) == before


def files_under(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_size for p in folder.rglob("*") if p.is_file()}


def upload(srv: Server, link: str, files: list[tuple[str, bytes]]) -> httpx.Response:
    return httpx.post(
        f"{srv.url}{link}/gradio_api/upload", files=[("files", f) for f in files], timeout=60
    )


@pytest.mark.slow
def test_demo_uploads_are_bounded_per_request_and_in_total(
    shared: tuple[Server, dict[str, str]], alice: httpx.Client
) -> None:
    """A share holder's upload of 17 files, or one past the folder's byte quota, is refused
    with a clear message and writes nothing; 16 files, and uploads within the quota, go in."""
    srv, _ = shared
    document = graph("Upload target", text="x")
    gid = alice.post("/api/graphs", json={"document": document}).json()["id"]
    link = alice.post(f"/api/graphs/{gid}/shares", json={"mode": "demo"}).json()["url"]
    built = httpx.get(f"{srv.url}{link}/config", timeout=DEADLINE)
    assert built.status_code == 200
    folder, spool = srv.data_dir / "gradio", srv.data_dir / "demo" / "incoming"
    before = files_under(folder)

    many = upload(srv, link, [(f"n{i}.txt", f"note {i}".encode()) for i in range(17)])
    assert many.status_code == 413, many.text
    assert many.json()["error"] == {
        "code": "too_many_files",
        "details": None,
        "message": "this upload has more than 16 files; a demo takes at most 16 files in one upload",
    }
    assert files_under(folder) == before and files_under(spool) == {}

    sixteen = upload(srv, link, [(f"s{i}.txt", f"sixteen {i}".encode()) for i in range(16)])
    assert sixteen.status_code == 200 and len(sixteen.json()) == 16, sixteen.text
    first = upload(srv, link, [("big1.txt", b"1" * (UPLOADS_MAX_BYTES // 2))])
    assert first.status_code == 200, first.text
    before = files_under(folder)
    assert sum(before.values()) < UPLOADS_MAX_BYTES

    full = upload(srv, link, [("big2.txt", b"2" * (UPLOADS_MAX_BYTES // 2))])
    assert full.status_code == 429, full.text
    error = full.json()["error"]
    assert error["code"] == "uploads_full"
    assert error["message"].startswith("the demo uploads folder is full (")
    assert "GENAISYS_DEMO_UPLOADS_MAX_BYTES" in error["message"]
    assert files_under(folder) == before and files_under(spool) == {}

    def chunked() -> Iterator[bytes]:
        yield b"--x\r\n"

    unsized = httpx.post(
        f"{srv.url}{link}/gradio_api/upload",
        content=chunked(),
        timeout=60,
        headers={"content-type": "multipart/form-data; boundary=x"},
    )
    assert unsized.status_code == 411 and unsized.json()["error"]["code"] == "length_required"
