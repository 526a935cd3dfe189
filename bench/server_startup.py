"""How fast `genaisys serve` answers its first request, against a bare FastAPI app on uvicorn.

Each row spawns a fresh process and times from spawn to the first 200 on a GET; best and
median of several starts. The studio migrates (or checks) its SQLite database, seeds the
examples into a new one, and discovers the node catalog before it answers; the baseline
does nothing. Target: first response within 1.5 s. Prints a table; writes JSON.

    python bench/server_startup.py [--repeat 5] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
BARE = (
    "import uvicorn\nfrom fastapi import FastAPI\napp = FastAPI()\n"
    "@app.get('/api/health')\ndef health():\n    return {'status': 'ok'}\n"
    "uvicorn.run(app, host='127.0.0.1', port=int(__import__('sys').argv[1]), log_level='warning')\n"
)


def port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def time_first_response(cmd: list[str], url: str) -> float:
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{cmd} exited with {proc.returncode}")
            try:
                if httpx.get(url, timeout=0.5).status_code == 200:
                    return time.perf_counter() - t0
            except httpx.TransportError:
                time.sleep(0.01)
    finally:
        proc.terminate()
        proc.wait(10)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "server_startup.json")
    args = ap.parse_args()
    rows = []
    for name, make in (
        ("bare FastAPI + uvicorn", lambda p, d: [sys.executable, "-c", BARE, str(p)]),
        ("genaisys serve, new database", lambda p, d: [sys.executable, "-m", "app.cli", "serve", "--port", str(p), "--data-dir", tempfile.mkdtemp()]),
        ("genaisys serve, existing database", lambda p, d: [sys.executable, "-m", "app.cli", "serve", "--port", str(p), "--data-dir", d]),
    ):
        data_dir = tempfile.mkdtemp()
        times = []
        for _ in range(args.repeat):
            p = port()
            times.append(time_first_response(make(p, data_dir), f"http://127.0.0.1:{p}/api/health"))
        rows.append({"server": name, "best_s": min(times), "median_s": statistics.median(times)})
    print(f"{'server':36} {'best s':>8} {'median s':>9}")
    for r in rows:
        print(f"{r['server']:36} {r['best_s']:8.2f} {r['median_s']:9.2f}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"benchmark": "server_startup", "target_s": 1.5, "rows": rows}, indent=2))
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
