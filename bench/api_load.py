"""API latency with 20 clients polling while runs execute, against the same load on an
idle server, side by side in one run of a real `genaisys serve` on loopback.

Each polling client loops over `GET /api/graphs`, `GET /api/runs?limit=20` and
`GET /api/runs/{id}` for ``--seconds``; during the busy phase one more client keeps the
Stable Diffusion example (tiny-sd) and the prompt builder running back to back. Prints a
table of p50/p95/p99 and writes JSON. Requests are bounded in count and time and only go to
127.0.0.1.

    python bench/api_load.py [--clients 20] [--seconds 15] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(data_dir: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--data-dir", data_dir],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "HF_HUB_OFFLINE": "1"})
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{url}/api/health", timeout=0.5).status_code == 200:
                return proc, url
        except httpx.TransportError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("server did not start")


def poller(url: str, run_id: str, stop: threading.Event, out: list[float], max_requests: int = 20_000) -> None:
    paths = ["/api/graphs", "/api/runs?limit=20", f"/api/runs/{run_id}"]
    with httpx.Client(base_url=url, timeout=30) as http:
        for i in range(max_requests):
            if stop.is_set():
                return
            t0 = time.perf_counter()
            http.get(paths[i % len(paths)]).raise_for_status()
            out.append(time.perf_counter() - t0)


def run_round(http: httpx.Client, ids: dict[str, str]) -> int:
    """Run each graph once, one after the other, waiting for each."""
    for gid in ids.values():
        run_id = http.post("/api/runs", json={"graph_id": gid}).json()["id"]
        while http.get(f"/api/runs/{run_id}").json()["status"] in ("queued", "running"):
            time.sleep(0.05)
    return len(ids)


def runner(url: str, stop: threading.Event, ids: dict[str, str], done: list[int]) -> None:
    with httpx.Client(base_url=url, timeout=120) as http:
        while not stop.is_set():
            done[0] += run_round(http, ids)


def phase(url: str, clients: int, seconds: float, run_id: str, busy: dict[str, str] | None) -> dict[str, Any]:
    stop, latencies, done = threading.Event(), [[] for _ in range(clients)], [0]
    threads = [threading.Thread(target=poller, args=(url, run_id, stop, latencies[i])) for i in range(clients)]
    if busy:
        threads.append(threading.Thread(target=runner, args=(url, stop, busy, done)))
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join(120)
    flat = sorted(x for lat in latencies for x in lat)
    q = statistics.quantiles(flat, n=100)
    return {"phase": "runs executing" if busy else "idle", "requests": len(flat), "runs_finished": done[0],
            "p50_ms": q[49] * 1000, "p95_ms": q[94] * 1000, "p99_ms": q[98] * 1000, "max_ms": flat[-1] * 1000,
            "requests_per_s": len(flat) / seconds}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=15)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "api_load.json")
    args = ap.parse_args()
    proc, url = start_server(tempfile.mkdtemp(prefix="genaisys-load-"))
    try:
        graphs = {g["name"]: g["id"] for g in httpx.get(f"{url}/api/graphs", timeout=60).json()["data"]}
        busy = {k: v for k, v in graphs.items() if k in ("Prompt builder",) or "Stable Diffusion" in k}
        first = httpx.post(f"{url}/api/runs", json={"graph_id": graphs["Prompt builder"]}, timeout=60).json()["id"]
        with httpx.Client(base_url=url, timeout=300) as http:
            run_round(http, busy)  # loads torch and the models before anything is timed
        rows = [phase(url, args.clients, args.seconds, first, None), phase(url, args.clients, args.seconds, first, busy)]
    finally:
        proc.terminate()
        proc.wait(10)
    print(f"{args.clients} polling clients, {args.seconds:.0f} s a phase")
    print(f"{'phase':16} {'requests':>9} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'runs':>5}")
    for r in rows:
        print(f"{r['phase']:16} {r['requests']:9d} {r['requests_per_s']:7.0f} {r['p50_ms']:8.1f} {r['p95_ms']:8.1f} "
              f"{r['p99_ms']:8.1f} {r['runs_finished']:5d}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"benchmark": "api_load", "clients": args.clients, "rows": rows}, indent=2))
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
