"""What the persistent result cache buys after a restart, on a real `genaisys serve` and the
RAG example (models prepared first, as `make run` does):

- ``warm``: a new question on a server that has answered one (models loaded, index cached);
- ``right after restart``: the server stopped and started again, then a new question at once
  (models load again; the index comes from the disk cache);
- ``after restart + warm start``: the same once the server's warm start has loaded the models
  the latest runs used (its log says ``warm start: N model(s) loaded``), as when a person comes
  back to a restarted studio;
- ``after restart, no disk cache``: the same with ``GENAISYS_CACHE_DISK_BYTES=0`` (nothing
  kept): the corpus is embedded again, as before the cache was persistent;
- ``no-change re-run``: ``POST /api/graphs/{id}/run`` of a saved graph that just ran, measured
  from the client (every node cached), median of 30;
- ``genaisys run`` twice: the terminal, a new question each time, on the same data directory,
  in its own process (``--here``), then handing its runs to a studio serving that directory.

Prints a table and writes JSON.

    python bench/durable_cache.py [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cold_paths import ENV, RAG, ROOT, prepare, rag_answer, start_server  # noqa: E402

QUESTIONS = ["Who keeps the weather log?", "When did Aurora-7 open?", "What is the coffee machine called?",
             "Which station has the longest runway?", "How wide is the radar dish?",
             "What does the greenhouse grow?", "How many people can the snow vehicle carry?",
             "When do supplies arrive?"]


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    proc.wait(timeout=60)


def restart_rows(base: Path, env: dict[str, str], label: str) -> list[dict[str, Any]]:
    """The same new question three ways, each on a studio that answered one question before:
    on that running server (warm), right after a restart, and after a restart once the warm
    start is done. Three data directories prepared alike, so the question is new to each."""
    rows: list[dict[str, Any]] = []
    question = "Who repairs the airlock?"
    warm = 0.0
    for way in ("warm server", "right after restart", "after restart + warm start"):
        data_dir = base / f"{label}-{way}".replace(" ", "-")
        prepare(data_dir)
        log = data_dir / "server.log"
        proc, url, started = start_server(data_dir, env, log=log)
        try:
            rag_answer(url, "What is the coffee machine called?")
            if way != "warm server":
                stop(proc)
                proc, url, started = start_server(data_dir, env, log=log)
            waited = 0.0
            if way == "after restart + warm start":
                t0 = time.perf_counter()
                while "warm start:" not in log.read_text() and time.perf_counter() - t0 < 600:
                    time.sleep(0.1)
                waited = time.perf_counter() - t0
            took, _ = rag_answer(url, question)
        finally:
            stop(proc)
        if way == "warm server":
            warm = took
        row = {"path": f"new question, {way}", "variant": label, "seconds": round(took, 2)}
        if way != "warm server":
            row |= {"server_start_s": round(started, 2), "ratio_to_warm": round(took / warm, 2)}
        if waited:
            row["warm_start_s"] = round(waited, 2)
        rows.append(row)
    return rows


def no_change_rows(data_dir: Path) -> list[dict[str, Any]]:
    log = data_dir / "no-change.log"
    proc, url, _ = start_server(data_dir, log=log)
    try:
        t0 = time.perf_counter()  # the warm start loads the latest runs' models: measure after it
        while "warm start:" not in log.read_text() and time.perf_counter() - t0 < 600:
            time.sleep(0.1)
        with httpx.Client(base_url=url, timeout=120) as http:
            gid = http.post("/api/graphs", json={"document": RAG}).raise_for_status().json()["id"]
            http.post(f"/api/graphs/{gid}/run", json={"timeout_s": 600}).raise_for_status()
            times = []
            for _ in range(30):
                t0 = time.perf_counter()
                answer = http.post(f"/api/graphs/{gid}/run", json={}).raise_for_status().json()
                times.append(time.perf_counter() - t0)
                assert answer["status"] == "succeeded", answer
    finally:
        stop(proc)
    return [{"path": "no-change re-run (POST /api/graphs/{id}/run)", "variant": "median of 30",
             "seconds": round(statistics.median(times), 4), "best_s": round(min(times), 4)}]


def cli_rows(data_dir: Path) -> list[dict[str, Any]]:
    """Two terminal runs in a row, each in its own process (``--here``), then two more with a
    studio serving the same data directory (which they hand their runs to), beside a new
    question asked of that studio from a client: the warm server the terminal is compared with."""
    rows = []

    def terminal(attempt: str, question: str, *flags: str) -> None:
        t0 = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "app.cli", "run", str(ROOT / "examples" / "rag.json"), "--json",
                               "--data-dir", str(data_dir), "--input", f"question={question}", *flags],
                              cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=900)
        took = time.perf_counter() - t0
        record = json.loads(done.stdout)
        cached = sorted(n for n, r in record["nodes"].items() if r["status"] == "cached")
        row = {"path": f"genaisys run, {attempt} process", "variant": "studio serving" if not flags else "own process",
               "seconds": round(took, 2), "cached": ", ".join(cached) or "-"}
        if "studio" in record:  # the same run as the studio recorded it: what a client would have waited for it
            row["run_on_studio_s"] = round(record["duration_s"], 2)
            row["ratio_to_run"] = round(took / record["duration_s"], 2)
        rows.append(row)

    terminal("first", QUESTIONS[0], "--here")
    terminal("second", QUESTIONS[1], "--here")
    proc, url, _ = start_server(data_dir)
    try:
        rag_answer(url, QUESTIONS[4])  # the studio has answered one question: models loaded
        warm, _ = rag_answer(url, QUESTIONS[5])
        rows.append({"path": "new question, the same studio from a client", "variant": "warm server", "seconds": round(warm, 2)})
        terminal("first", QUESTIONS[6])
        terminal("second", QUESTIONS[7])
    finally:
        stop(proc)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "durable_cache.json")
    args = ap.parse_args()
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="genaisys-cache-") as tmp:
        base = Path(tmp)
        rows += restart_rows(base, {}, "disk cache")
        rows += restart_rows(base, {"GENAISYS_CACHE_DISK_BYTES": "0"}, "no disk cache")
        rows += no_change_rows(base / "disk-cache-warm-server")
        prepare(base / "cli")
        rows += cli_rows(base / "cli")
    print(f"{'path':46} {'variant':16} {'seconds':>8}  details")
    for r in rows:
        details = ", ".join(f"{k}={v}" for k, v in r.items() if k not in ("path", "variant", "seconds"))
        print(f"{r['path']:46} {r['variant']:16} {r['seconds']:8.3f}  {details}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"benchmark": "durable_cache", "rows": rows}, indent=2))
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
