"""What the Ray backend costs and what it buys, against threads, side by side in one run.

On a local Ray cluster started here (``--cpus``, two by default) with ``--workers`` model
actors (two by default):
  trivial   the executor benchmark's graphs (chains and fan-outs of trivial additions,
            bench/executor_overhead.py): per node, Executor.run on the checked graph, cold
            cache, threads against Ray. Trivial nodes stay in the driver on both.
  dispatch  a chain of model-like nodes (the same addition, marked ``uses_gpu``, so Ray runs
            each in an actor and hands its output on by reference): the cost of one node sent
            to a worker, against a thread hop.
  embed     throughput of N concurrent runs (20 by default) of text input -> text embedder
            (all-MiniLM-L6-v2, shipped), each with texts of its own: threads (the embedder
            takes the process's GPU lock in turn) against the Ray actors (one model each).
            The model is loaded on both sides first; loading is not counted.
Best of ``--repeat`` for the per-node rows; the throughput row is the median of ``--repeat``.
Prints a table; writes JSON.

    python bench/ray_backend.py [--cpus 2] [--workers 2] [--runs 20] [--repeat 3] [--out FILE]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import executor_overhead as eo  # noqa: E402

from app.engine.backend import ThreadBackend  # noqa: E402
from app.engine.cache import ResultCache  # noqa: E402
from app.engine.executor import Executor  # noqa: E402
from app.engine.validate import validate  # noqa: E402
from nodes.registry import Registry, discover, load_folder  # noqa: E402
from nodes.runtime.config import current  # noqa: E402

MODEL_ADD = '''
from typing import Any
from nodes.api import Context, Input, Node, Output


class ModelAdd(Node):
    """The benchmark's addition, as a model node: the Ray backend sends it to an actor."""

    type_id = "bench.model_add"
    uses_gpu = True
    inputs = (Input("x", "Number"), Input("offset", "Number", default=1.0))
    outputs = (Output("y", "Number"),)

    def run(self, ctx: Context, x: float, offset: float) -> dict[str, Any]:
        return {"y": x + offset}
'''

PASSAGE = ("The station's coffee machine hums through the night shift while the crew reads the "
           "telemetry from the northern array, logs each anomaly, and argues about the weather. ")


def model_chain(n: int) -> dict[str, Any]:
    document = eo.chain(n)
    for node in document["nodes"][1:]:
        node["type"] = "bench.model_add"
    return document


def per_node(registry: Registry, document: dict[str, Any], backends: dict[str, Any], repeat: int) -> dict[str, float]:
    checked = validate(document, registry)
    assert checked.ok, checked.problems[:3]
    n = len(document["nodes"])
    out = {}
    for name, backend in backends.items():
        def once(backend: Any = backend) -> None:
            result = Executor(registry, ResultCache(max_entries=n * 2), backend=backend).run(checked)
            assert result.status == "succeeded", {k: r.error for k, r in result.nodes.items() if r.error}
        once()
        out[name] = eo.best(once, repeat) / n * 1e6
    return out


def embed_doc(text: str) -> dict[str, Any]:
    return {"schema": "genaisys.graph/1", "name": "embed", "nodes": [
        {"id": "t", "type": "io.text_input", "params": {"value": text}},
        {"id": "emb", "type": "encoders.text_embedder", "params": {}}],
        "edges": [{"id": "e", "source": "t", "source_port": "text", "target": "emb", "target_port": "texts"}]}


def throughput(executor: Executor, runs: int, round_: int) -> float:
    """Runs per second of ``runs`` embedder runs started at once, each on texts of its own."""
    documents = [embed_doc(f"{round_}-{i}: " + PASSAGE * 12) for i in range(runs)]
    failures: list[Any] = []

    def one(document: dict[str, Any]) -> None:
        result = executor.run(document, scope=f"bench-{round_}")
        if result.status != "succeeded":
            failures.append({k: r.error for k, r in result.nodes.items() if r.error})

    threads = [threading.Thread(target=one, args=(d,)) for d in documents]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - t0
    assert not failures, failures[:2]
    return runs / seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cpus", type=int, default=2, help="CPUs of the local Ray cluster")
    ap.add_argument("--workers", type=int, default=2, help="model actors")
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 1000])
    ap.add_argument("--dispatch", type=int, default=50, help="model-like nodes in the dispatch chain")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "ray_backend.json")
    args = ap.parse_args()

    import ray

    from app.engine.ray_backend import RayBackend

    t0 = time.perf_counter()
    ray.init(num_cpus=args.cpus, include_dashboard=False, log_to_driver=False)
    custom = Path(tempfile.mkdtemp(prefix="genaisys-bench-ray-"))
    (custom / "model_add.py").write_text(MODEL_ADD)
    registry = load_folder(discover().extend([eo.Seed, eo.Add]), custom)
    ray_backend = RayBackend(runtime=dataclasses.replace(current(), custom_nodes=(custom,)), workers=args.workers)
    ray_backend.workers()
    started = time.perf_counter() - t0
    threads = ThreadBackend()
    backends = {"thread": threads, "ray": ray_backend}

    rows = []
    for shape in ("chain", "fan_out"):
        for n in args.sizes:
            document = eo.chain(n) if shape == "chain" else eo.fan_out(n)
            us = per_node(registry, document, backends, args.repeat)
            rows.append({"graph": f"trivial {shape}", "nodes": n, "thread_us_per_node": us["thread"],
                         "ray_us_per_node": us["ray"], "ratio": us["ray"] / us["thread"]})
    us = per_node(registry, model_chain(args.dispatch), backends, args.repeat)
    rows.append({"graph": "model-node chain", "nodes": args.dispatch, "thread_us_per_node": us["thread"],
                 "ray_us_per_node": us["ray"], "ratio": us["ray"] / us["thread"]})

    rates: dict[str, list[float]] = {"thread": [], "ray": []}
    executors = {name: Executor(registry, backend=backend) for name, backend in backends.items()}
    for executor in executors.values():  # load the model: in this process, in every actor
        warm = [threading.Thread(target=executor.run, args=(embed_doc(f"warm {i}"),)) for i in range(args.workers)]
        for t in warm:
            t.start()
        for t in warm:
            t.join()
    for r in range(args.repeat):
        for name, executor in executors.items():
            rates[name].append(throughput(executor, args.runs, r))
    embed = {"runs": args.runs, "workers": args.workers, "cpus": args.cpus,
             "thread_runs_per_s": statistics.median(rates["thread"]), "ray_runs_per_s": statistics.median(rates["ray"]),
             "all": rates}
    embed["speedup"] = embed["ray_runs_per_s"] / embed["thread_runs_per_s"]
    threads.shutdown()
    ray_backend.shutdown()
    ray.shutdown()

    head = f"{'graph':18} {'nodes':>6} {'threads':>10} {'ray':>10} {'ray/threads':>12}   (µs per node)"
    print(head)
    print("-" * len(head))
    for row in rows:
        print(f"{row['graph']:18} {row['nodes']:>6} {row['thread_us_per_node']:10.1f} {row['ray_us_per_node']:10.1f} "
              f"{row['ratio']:12.2f}")
    print(f"\n{args.runs} concurrent text-embedder runs: threads {embed['thread_runs_per_s']:.2f} runs/s, "
          f"Ray ({args.workers} workers, {args.cpus} CPUs) {embed['ray_runs_per_s']:.2f} runs/s: {embed['speedup']:.2f}x")
    print(f"(the local cluster and its actors started in {started:.1f} s, not counted)")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({
        "benchmark": "ray_backend",
        "python": platform.python_version(),
        "machine": platform.machine(),
        "ray": ray.__version__,
        "startup_s": started,
        "per_node": rows,
        "embed_throughput": embed,
    }, indent=2))
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
