"""The newcomer's cold paths, each on a fresh data directory and a real `genaisys serve` on
loopback, side by side with what they cost before the set-up step existed:

- ``first RAG answer``: `POST /api/runs` of the RAG example until `succeeded`, on a server
  just started on a new data directory — after `genaisys models prepare` (what `make run`
  does), and without it (the GGUF conversion then happens inside the run);
- ``second RAG answer``: the same server, a new question (the store and models are warm);
- ``first demo request``: a demo share of the prompt-builder example made once the server is
  up and its background warm-up done (``gradio is ready`` in its log); the first GET of the
  demo page (gradio imported? Blocks built), then ``/config`` and one run through Gradio's
  queue — with the warm-up and without it (``GENAISYS_DEMO_WARMUP=0``, same wait). Goal ≤ 1.5 s;
- ``idle CPU``: the server's CPU time (its process and children, from ``/proc``) over
  ``CPU_WINDOW_S`` s without requests, in % of one core: with no demo, with ``DEMOS_OPEN``
  demos each opened once (page + config) before their idle time (``demo_idle_s``) is up, and
  after the server unmounted them. Goal < 1 %. Then the time to reopen one (a warm rebuild).

Prints tables and writes JSON (rows of the paths not run are kept). Everything stays on
127.0.0.1 and offline.

    python bench/cold_paths.py [--paths rag,demo] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
RAG = json.loads((ROOT / "examples" / "rag.json").read_text())
DEMO_GRAPH = json.loads((ROOT / "examples" / "prompt_builder.json").read_text())
ENV = {**os.environ, "HF_HUB_OFFLINE": "1"}
DEMOS_OPEN = 20
CPU_WINDOW_S = 30.0
DEMO_IDLE_S = 90.0
"""The idle server's ``demo_idle_s``: longer than opening the demos and one CPU window."""
WARMED = "gradio is ready for demos"
UNMOUNTED = "unmounted after"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(data_dir: Path, env: dict[str, str] | None = None,
                 log: Path | None = None) -> tuple[subprocess.Popen[bytes], str, float]:
    port = free_port()
    t0 = time.perf_counter()
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 - the child keeps it
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--data-dir", str(data_dir)],
                            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env={**ENV, **(env or {})})
    url = f"http://127.0.0.1:{port}"
    for _ in range(1200):
        try:
            if httpx.get(f"{url}/api/health", timeout=1).status_code == 200:
                return proc, url, time.perf_counter() - t0
        except httpx.TransportError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("server did not start")


def prepare(data_dir: Path) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "app.cli", "models", "prepare", "--json", "--data-dir", str(data_dir)],
                   cwd=ROOT, check=True, capture_output=True, env=ENV, timeout=900)
    return time.perf_counter() - t0


def rag_answer(url: str, question: str) -> tuple[float, str]:
    document = json.loads(json.dumps(RAG))
    for node in document["nodes"]:
        if node["id"] == "question":
            node["params"]["value"] = question
    with httpx.Client(base_url=url, timeout=60) as http:
        t0 = time.perf_counter()
        run_id = http.post("/api/runs", json={"document": document}).raise_for_status().json()["id"]
        while True:
            run = http.get(f"/api/runs/{run_id}").json()
            if run["status"] not in ("queued", "running"):
                break
            time.sleep(0.05)
        took = time.perf_counter() - t0
    if run["status"] != "succeeded":
        raise RuntimeError(f"RAG run {run['status']}: {run.get('error')}")
    return took, run["status"]


def rag_rows(with_prepare: bool) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="genaisys-cold-") as tmp:
        data_dir = Path(tmp)
        setup = prepare(data_dir) if with_prepare else 0.0
        proc, url, started = start_server(data_dir)
        try:
            label = "after models prepare" if with_prepare else "no prepare (converts in the run)"
            first, _ = rag_answer(url, "Which station has the longest runway?")
            rows.append({"path": "first RAG answer", "variant": label, "seconds": round(first, 2),
                         "setup_s": round(setup, 2), "server_start_s": round(started, 2)})
            second, _ = rag_answer(url, "Who keeps the weather log?")
            rows.append({"path": "second RAG answer", "variant": label, "seconds": round(second, 2),
                         "setup_s": 0.0, "server_start_s": 0.0})
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    return rows


# -- demos ------------------------------------------------------------------------------------


def log_count(log: Path, text: str) -> int:
    return log.read_text(errors="replace").count(text)


def wait_log(log: Path, text: str, count: int = 1, timeout: float = 60) -> float | None:
    """Seconds until ``log`` holds ``text`` ``count`` times; None if it never did."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        if log_count(log, text) >= count:
            return time.perf_counter() - t0
        time.sleep(0.1)
    return None


def make_demo(http: httpx.Client) -> str:
    """A new graph (the prompt-builder example) and a demo share of it: the share's url."""
    gid = http.post("/api/graphs", json={"document": DEMO_GRAPH}).raise_for_status().json()["id"]
    return http.post(f"/api/graphs/{gid}/shares", json={"mode": "demo"}).raise_for_status().json()["url"]


def demo_run(base: str, config: dict[str, Any], session: str) -> float:
    """One run through Gradio's queue (join, then read the stream to the end): seconds."""
    fn = next(d for d in config["dependencies"] if d.get("api_name") == "run")
    t0 = time.perf_counter()
    httpx.post(f"{base}/gradio_api/queue/join", timeout=60, json={
        "data": ["alpha\nbeta", 1], "fn_index": fn["id"], "trigger_id": fn["targets"][0][0],
        "session_hash": session, "event_data": None}).raise_for_status()
    with httpx.stream("GET", f"{base}/gradio_api/queue/data", params={"session_hash": session}, timeout=60) as stream:
        for line in stream.iter_lines():
            if line.startswith("data:") and json.loads(line[5:]).get("msg") == "process_completed":
                if not json.loads(line[5:]).get("success"):
                    raise RuntimeError(f"demo run failed: {line}")
                return time.perf_counter() - t0
    raise RuntimeError("the demo run never completed")


def open_demo(url: str, link: str, run: bool = True) -> dict[str, float]:
    """The page (the first request builds the demo), its config, and one run: seconds each."""
    base = f"{url}{link}"
    t0 = time.perf_counter()
    httpx.get(f"{base}/", timeout=60).raise_for_status()
    t1 = time.perf_counter()
    config = httpx.get(f"{base}/config", timeout=60).raise_for_status().json()
    t2 = time.perf_counter()
    out = {"page_s": t1 - t0, "config_s": t2 - t1}
    if run:
        out["run_s"] = demo_run(base, config, f"bench{int(t0 * 1000) % 10**8}")
    return {k: round(v, 3) for k, v in out.items()}


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of ``pid`` and its descendants (Linux ``/proc``)."""
    tick = os.sysconf("SC_CLK_TCK")
    stats: dict[int, tuple[int, float]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            stats[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    tree, total = {pid}, 0.0
    for _ in range(8):  # descendants, a few generations deep
        tree |= {p for p, (ppid, _) in stats.items() if ppid in tree}
    for p in tree:
        total += stats.get(p, (0, 0.0))[1]
    return total


def idle_cpu(pid: int, window: float = CPU_WINDOW_S) -> float:
    """% of one core the server used over ``window`` seconds without requests."""
    c0, t0 = cpu_seconds(pid), time.perf_counter()
    time.sleep(window)
    return round(100 * (cpu_seconds(pid) - c0) / (time.perf_counter() - t0), 2)


def demo_first_rows() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    waited = 0.0
    for warm in (True, False):
        with tempfile.TemporaryDirectory(prefix="genaisys-cold-") as tmp:
            log = Path(tmp) / "server.log"
            proc, url, started = start_server(Path(tmp) / "data", {"GENAISYS_DEMO_WARMUP": "1" if warm else "0"}, log)
            try:
                t0 = time.perf_counter()
                if warm:
                    wait_log(log, WARMED, timeout=90)
                    waited = time.perf_counter() - t0
                else:  # as long as the warmed server waited: the same idle server, no warm-up
                    time.sleep(waited)
                with httpx.Client(base_url=url, timeout=60) as http:
                    link = make_demo(http)
                times = open_demo(url, link)
                rows.append({"path": "first demo request", "variant": "warm-up on (default)" if warm else "warm-up off",
                             "seconds": times["page_s"], **times, "waited_s": round(waited, 2),
                             "server_start_s": round(started, 2)})
            finally:
                proc.terminate()
                proc.wait(timeout=30)
    return rows


def demo_idle_rows() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="genaisys-cold-") as tmp:
        log = Path(tmp) / "server.log"
        proc, url, _ = start_server(Path(tmp) / "data", {"GENAISYS_DEMO_IDLE_S": str(DEMO_IDLE_S)}, log)
        try:
            wait_log(log, WARMED, timeout=90)
            time.sleep(2)
            rows.append({"path": "idle CPU", "variant": "no demo open", "seconds": CPU_WINDOW_S,
                         "cpu_pct": idle_cpu(proc.pid)})
            with httpx.Client(base_url=url, timeout=60) as http:
                links = [make_demo(http) for _ in range(DEMOS_OPEN)]
            t_open = time.perf_counter()
            for link in links:
                open_demo(url, link, run=False)
            opened = time.perf_counter() - t_open
            rows.append({"path": "idle CPU", "variant": f"{DEMOS_OPEN} demos open, before demo_idle_s",
                         "seconds": CPU_WINDOW_S, "cpu_pct": idle_cpu(proc.pid), "open_all_s": round(opened, 2)})
            gone = wait_log(log, UNMOUNTED, DEMOS_OPEN, timeout=DEMO_IDLE_S + 60)
            rows.append({"path": "idle CPU", "variant": f"{DEMOS_OPEN} demos open, after demo_idle_s",
                         "seconds": CPU_WINDOW_S, "cpu_pct": idle_cpu(proc.pid),
                         "unmounted": log_count(log, UNMOUNTED), "demo_idle_s": DEMO_IDLE_S,
                         "waited_s": None if gone is None else round(gone, 1)})
            times = open_demo(url, links[0])
            rows.append({"path": "demo request after unmount", "variant": "rebuild (gradio warm)",
                         "seconds": times["page_s"], **times})
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--paths", default="rag,demo", help="which rows to measure: rag, demo or both (comma-separated)")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "cold_paths.json")
    args = ap.parse_args()
    paths = set(args.paths.split(","))
    rows: list[dict[str, Any]] = []
    if "rag" in paths:
        rows += rag_rows(with_prepare=True) + rag_rows(with_prepare=False)
        print(f"{'path':20} {'variant':34} {'seconds':>8} {'set-up s':>9} {'start s':>8}")
        for r in rows:
            print(f"{r['path']:20} {r['variant']:34} {r['seconds']:8.2f} {r['setup_s']:9.2f} {r['server_start_s']:8.2f}")
    if "demo" in paths:
        demo = demo_first_rows() + demo_idle_rows()
        print(f"\n{'path':28} {'variant':36} {'seconds':>8}  details")
        for r in demo:
            details = ", ".join(f"{k}={v}" for k, v in r.items() if k not in ("path", "variant", "seconds"))
            print(f"{r['path']:28} {r['variant']:36} {r['seconds']:8.2f}  {details}")
        rows += demo
    kept = []
    if args.out.is_file():  # the rows of paths not measured this time stay
        measured = {r["path"] for r in rows}
        kept = [r for r in json.loads(args.out.read_text()).get("rows", []) if r["path"] not in measured]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"benchmark": "cold_paths", "rows": kept + rows}, indent=2))
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
