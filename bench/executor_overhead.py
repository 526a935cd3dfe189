"""What the executor costs per node, against a plain Python loop calling the same nodes.

Graphs of trivial nodes (one addition each) as a chain and as a wide fan-out, at several
sizes to show the cost is linear. Each row times, best of several repeats:
  plain     a Python loop calling each node's run() in dependency order
  execute   Executor.run on an already checked graph, cold cache (every node runs)
  full      validate + plan + run from the JSON document, cold cache
  cached    a second run of the same graph (every node a cache hit)
Overhead per node = (execute - plain) / nodes. Prints a table; writes JSON.

    python bench/executor_overhead.py [--sizes 100 1000 5000] [--repeat 5] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.engine.cache import ResultCache  # noqa: E402
from app.engine.context import CancelToken, RunContext  # noqa: E402
from app.engine.events import Emitter  # noqa: E402
from app.engine.executor import Executor  # noqa: E402
from app.engine.validate import validate  # noqa: E402
from nodes.api import Context, Input, Node, Output  # noqa: E402
from nodes.registry import Registry  # noqa: E402


class Seed(Node):
    type_id = "bench.seed"
    inline = True
    inputs = (Input("value", "Number", default=1.0),)
    outputs = (Output("y", "Number"),)

    def run(self, ctx: Context, value: float) -> dict[str, Any]:
        return {"y": value}


class Add(Node):
    type_id = "bench.add"
    inline = True
    inputs = (Input("x", "Number"), Input("offset", "Number", default=1.0))
    outputs = (Output("y", "Number"),)

    def run(self, ctx: Context, x: float, offset: float) -> dict[str, Any]:
        return {"y": x + offset}


REGISTRY = Registry().extend([Seed, Add])


def chain(n: int) -> dict[str, Any]:
    nodes = [{"id": "n0", "type": "bench.seed"}] + [{"id": f"n{i}", "type": "bench.add"} for i in range(1, n)]
    edges = [{"id": f"e{i}", "source": f"n{i - 1}", "source_port": "y", "target": f"n{i}", "target_port": "x"} for i in range(1, n)]
    return {"schema": "genaisys.graph/1", "name": f"chain{n}", "nodes": nodes, "edges": edges}


def fan_out(n: int) -> dict[str, Any]:
    nodes = [{"id": "n0", "type": "bench.seed"}] + [{"id": f"n{i}", "type": "bench.add", "params": {"offset": i}} for i in range(1, n)]
    edges = [{"id": f"e{i}", "source": "n0", "source_port": "y", "target": f"n{i}", "target_port": "x"} for i in range(1, n)]
    return {"schema": "genaisys.graph/1", "name": f"fan{n}", "nodes": nodes, "edges": edges}


def plain_loop(shape: str, n: int) -> None:
    """The same node functions, called directly in dependency order."""
    ctx = RunContext("n", "plain", Emitter("plain", []), CancelToken())
    first = Seed().run(ctx, value=1.0)
    if shape == "chain":
        prev = first
        for _ in range(1, n):
            prev = Add().run(ctx, x=prev["y"], offset=1.0)
    else:
        for i in range(1, n):
            Add().run(ctx, x=first["y"], offset=float(i))


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def measure(shape: str, n: int, repeat: int) -> dict[str, Any]:
    document = chain(n) if shape == "chain" else fan_out(n)
    checked = validate(document, REGISTRY)
    assert checked.ok, checked.problems[:3]
    sink = lambda event: None  # noqa: E731 - a subscriber, as the CLI or websocket would be

    def execute() -> None:
        result = Executor(REGISTRY, ResultCache(max_entries=n * 2), backend=_NO_BACKEND).run(checked, on_event=sink)
        assert result.status == "succeeded"

    def full() -> None:
        Executor(REGISTRY, ResultCache(max_entries=n * 2), backend=_NO_BACKEND).run(document, on_event=sink)

    warm = Executor(REGISTRY, ResultCache(max_entries=n * 2), backend=_NO_BACKEND)
    warm.run(checked)

    def cached() -> None:
        assert len(warm.run(checked, on_event=sink).cached) == n

    plain = best(lambda: plain_loop(shape, n), repeat)
    t_exec, t_full, t_cached = best(execute, repeat), best(full, repeat), best(cached, repeat)
    return {
        "shape": shape,
        "nodes": n,
        "plain_us_per_node": plain / n * 1e6,
        "execute_us_per_node": t_exec / n * 1e6,
        "full_us_per_node": t_full / n * 1e6,
        "cached_us_per_node": t_cached / n * 1e6,
        "overhead_us_per_node": (t_exec - plain) / n * 1e6,
        "full_overhead_us_per_node": (t_full - plain) / n * 1e6,
    }


def nested(count: int = 100, size: int = 10) -> tuple[dict[str, Any], dict[str, Any], Any]:
    """``count`` subgraph nodes in a chain, each running the same saved graph of ``size`` nodes
    (a number input, ``size - 2`` additions, a JSON output); and the flat chain the executor
    runs in its place (the same number of nodes, all additions), and the resolver."""
    from app.engine.subgraphs import SavedGraph

    inner_nodes = [{"id": "x", "type": "io.number_input", "params": {"value": 0}}]
    inner_nodes += [{"id": f"a{i}", "type": "bench.add"} for i in range(size - 2)]
    inner_nodes += [{"id": "y", "type": "io.json_output"}]
    ids = [n["id"] for n in inner_nodes]
    inner_edges = [{"id": f"e{i}", "source": a, "source_port": "number" if a == "x" else "y", "target": b,
                    "target_port": "value" if b == "y" else "x"} for i, (a, b) in enumerate(zip(ids, ids[1:], strict=False))]
    inner = {"schema": "genaisys.graph/1", "name": "ten", "nodes": inner_nodes, "edges": inner_edges}
    outer_nodes = [{"id": "n0", "type": "bench.seed"}]
    outer_nodes += [{"id": f"s{i}", "type": "graph.subgraph", "params": {"graph": "ten", "version": 1}} for i in range(count)]
    outer_edges = [{"id": f"e{i}", "source": "n0" if i == 0 else f"s{i - 1}", "source_port": "y",
                    "target": f"s{i}", "target_port": "x"} for i in range(count)]
    outer = {"schema": "genaisys.graph/1", "name": "nested", "nodes": outer_nodes, "edges": outer_edges}
    saved = SavedGraph("ten", 1, "ten", inner)
    flat = chain(1 + count * (size - 1))  # the io inputs wired from outside are dropped when expanded
    return outer, flat, lambda graph_id, version: saved if (graph_id, version) == ("ten", 1) else None


def nested_rows(repeat: int) -> list[dict[str, Any]]:
    """The executor from the document (validate, expand, run), on 100 subgraphs of 10 nodes
    against a flat chain of as many nodes: what subgraphs cost per node (the inner graph is
    checked once for its 100 uses, so the nested graph may cost less)."""
    from nodes.graph.subgraph import Subgraph
    from nodes.io.json_output import JsonOutput
    from nodes.io.number_input import NumberInput

    registry = Registry().extend([Seed, Add, NumberInput, JsonOutput, Subgraph])
    outer, flat, resolve = nested()
    rows = []
    for label, document, kwargs in (("flat chain", flat, {}), ("100 subgraphs of 10", outer, {"subgraphs": resolve})):
        def once(document: dict[str, Any] = document, kwargs: dict[str, Any] = kwargs) -> int:
            checked = validate(document, registry, **kwargs)
            assert checked.ok, checked.problems[:3]
            result = Executor(registry, ResultCache(max_entries=10_000), backend=_NO_BACKEND).run(checked)
            assert result.status == "succeeded", result.status
            return sum(1 for r in result.nodes.values() if r.type != "graph.subgraph")  # the nodes that did work

        ran = once()
        rows.append({"graph": label, "nodes_run": ran, "us_per_node": best(once, repeat) / ran * 1e6})
    rows.append({"graph": "ratio", "nodes_run": None, "us_per_node": rows[1]["us_per_node"] / rows[0]["us_per_node"]})
    return rows


def concat_chain(n: int, seed: str = "a", grow: bool = True) -> dict[str, Any]:
    """A chain of the shipped ``utility.concat`` node: what the server runs in the rows below;
    each ``seed`` makes every node's cache key new, so the server's result cache never
    answers for the engine. Each node adds a character to its text (the issue's chain: the
    outputs, kept and sent, grow with the chain), or with ``grow=False`` passes it on as it is
    (every output the seed's size)."""
    nodes = [{"id": "n0", "type": "io.text_input", "params": {"value": seed}}]
    nodes += [{"id": f"n{i}", "type": "utility.concat", "params": {"b": "x" if grow else ""}} for i in range(1, n)]
    edges = [{"id": f"e{i}", "source": f"n{i - 1}", "source_port": "text", "target": f"n{i}", "target_port": "a"}
             for i in range(1, n)]
    return {"schema": "genaisys.graph/1", "name": f"concat{n}", "nodes": nodes, "edges": edges}


ROUTES = {"api": "POST /api/graphs/{id}/run", "canvas": "POST /api/runs + websocket"}


def server_rows(sizes: list[int], repeat: int, grow: bool = True) -> dict[str, list[dict[str, Any]]]:
    """The same concat chain run by the bare engine (validate + run, in this process) and
    through a real `genaisys serve` on loopback by two routes, a run ending once its node
    results, events and end are committed:
      api     ``POST /api/graphs/{id}/run`` on the saved chain (the graph as an API, the route
              the issue measured), which answers with the run's outputs; each run gives the
              chain's first node a new value, so every node runs (the bench checks it)
      canvas  ``POST /api/runs`` with the document, then the run's websocket until
              ``run_finished``, as the canvas runs a graph; each run is of a new chain
    Each row also says what a node adds past a 2-node run, on both sides: the per-node cost
    without the run's fixed cost (the request, the transactions, for the canvas the websocket
    handshake), which a 100-node run cannot amortize. The client is the standard library's
    (a kept-alive connection; orjson for JSON, as a browser's is native code): httpx's own
    Python cost 0.1-0.3 ms a request, which is the client's, not the server's."""
    import http.client
    import os
    import socket
    import subprocess
    import tempfile

    import orjson
    from websockets.sync.client import connect

    from app.engine.document import MAX_NODES
    from nodes.registry import default_registry

    registry = default_registry()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    rows: dict[str, list[dict[str, Any]]] = {route: [] for route in ROUTES}
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--data-dir", tmp],
                                cwd=Path(__file__).resolve().parents[1], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, env={**os.environ, "GENAISYS_SEED_EXAMPLES": "0",
                                                           # steady state: no gradio import in the background
                                                           "GENAISYS_DEMO_WARMUP": "0"})
        http_ = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        try:
            def call(method: str, path: str, body: Any = None) -> Any:
                http_.request(method, path, body=None if body is None else orjson.dumps(body),
                              headers={"content-type": "application/json"})
                response = http_.getresponse()
                data = response.read()
                if response.status >= 300:
                    raise SystemExit(f"{method} {path}: {response.status} {data[:300]!r}")
                return orjson.loads(data)

            for _ in range(600):
                try:
                    call("GET", "/api/health")
                    break
                except OSError:
                    http_.close()
                    time.sleep(0.05)
            values = iter(range(10**9))

            def through_api(graph_id: str) -> str:
                ran = call("POST", f"/api/graphs/{graph_id}/run", {"inputs": {"n0": f"v{next(values)}"}, "timeout_s": 600})
                if ran["status"] != "succeeded":
                    raise SystemExit(f"the served run ended {ran['status']}: {ran.get('error')}")
                return ran["run_id"]

            def through_canvas(doc: dict[str, Any]) -> None:
                events = call("POST", "/api/runs", {"document": doc})["events_url"]
                with connect(f"ws://127.0.0.1:{port}{events}", open_timeout=120, max_size=None) as ws:
                    while orjson.loads(ws.recv(timeout=600))[-1]["type"] != "run_finished":
                        pass  # each message is a list of events; run_finished ends the last

            def measure(n: int) -> dict[str, float]:
                """Best of ``repeat`` runs (more, up to 30, for a short run: it is the noisiest) of
                an ``n``-node chain: bare, and by each route, taking turns so a slower spell of
                the machine falls on all three."""
                rounds = max(repeat, min(30, 3000 // n))
                doc = concat_chain(n, grow=grow)
                graph_id = call("POST", "/api/graphs", {"document": doc})["id"]
                fresh = iter([concat_chain(n, seed=f"s{n}-{i}-{grow}", grow=grow) for i in range(rounds + 1)])

                def bare(doc: dict[str, Any] = doc, n: int = n) -> None:
                    Executor(registry, ResultCache(max_entries=n * 2), backend=_NO_BACKEND).run(doc)

                ran = call("GET", f"/api/runs/{through_api(graph_id)}")  # warm: the first request imports and caches
                through_canvas(next(fresh))
                ways = {"bare": bare, "api": lambda: through_api(graph_id),
                        "canvas": lambda fresh=fresh: through_canvas(next(fresh))}
                times = {way: float("inf") for way in ways}
                for _ in range(rounds):
                    for way, run in ways.items():
                        times[way] = min(times[way], best(run, 1))
                statuses = {r["status"] for r in call("GET", f"/api/runs/{through_api(graph_id)}")["nodes"]}
                if statuses != {"succeeded"} or len(ran["nodes"]) != n:  # none answered by the cache
                    raise SystemExit(f"a served {n}-node run's nodes ended {statuses}, not all succeeded")
                return times

            # a run's fixed cost, measured on a 2-node chain, is told apart from what each node adds
            base = measure(2)
            for n in sizes:
                if n > MAX_NODES:
                    continue
                t = measure(n)
                per_bare = (t["bare"] - base["bare"]) / (n - 2)
                for route in ROUTES:
                    per_server = (t[route] - base[route]) / (n - 2)
                    rows[route].append({
                        "nodes": n, "bare_us_per_node": t["bare"] / n * 1e6, "server_us_per_node": t[route] / n * 1e6,
                        "ratio": t[route] / t["bare"], "fixed_server_ms": base[route] * 1e3,
                        "fixed_bare_ms": base["bare"] * 1e3, "bare_us_per_added_node": per_bare * 1e6,
                        "server_us_per_added_node": per_server * 1e6, "added_node_ratio": per_server / per_bare})
        finally:
            http_.close()
            proc.terminate()
            proc.wait(30)
    return rows


class _NoBackend:
    """Every bench node is inline; a backend that is never used keeps thread start-up out."""

    def submit(self, fn):  # pragma: no cover - never called
        raise AssertionError("bench nodes run inline")

    def shutdown(self) -> None:
        pass


_NO_BACKEND = _NoBackend()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 5000])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "executor_overhead.json")
    args = ap.parse_args()
    rows = [measure(shape, n, args.repeat) for shape in ("chain", "fan_out") for n in args.sizes]
    head = f"{'shape':8} {'nodes':>6} {'plain':>8} {'execute':>8} {'full':>8} {'cached':>8} {'overhead':>9} {'full ovh':>9}   (µs per node)"
    print(head)
    print("-" * len(head))
    for r in rows:
        print(f"{r['shape']:8} {r['nodes']:>6} {r['plain_us_per_node']:8.2f} {r['execute_us_per_node']:8.2f} "
              f"{r['full_us_per_node']:8.2f} {r['cached_us_per_node']:8.2f} {r['overhead_us_per_node']:9.2f} {r['full_overhead_us_per_node']:9.2f}")
    subgraphs = nested_rows(args.repeat)
    print(f"\n{'subgraphs':22} {'nodes run':>9} {'µs per node':>12}   (validate + expand + run, from the document)")
    for r in subgraphs:
        print(f"{r['graph']:22} {r['nodes_run'] or '':>9} {r['us_per_node']:12.2f}")
    served = {label: server_rows(args.sizes, max(3, args.repeat // 2), grow=grow)
              for label, grow in (("growing", True), ("constant", False))}
    for label, routes in served.items():
        for route, rows_ in routes.items():
            print(f"\n{ROUTES[route]} (outputs {label}; µs per node, the run's fixed cost included)")
            print(f"{'':14} {'nodes':>6} {'bare engine':>12} {'server path':>12} {'ratio':>6}")
            for r in rows_:
                print(f"{'':14} {r['nodes']:>6} {r['bare_us_per_node']:12.1f} {r['server_us_per_node']:12.1f} {r['ratio']:6.2f}")
            if rows_:
                print(f"{'each node more':14} {'nodes':>6} {'bare engine':>12} {'server path':>12} {'ratio':>6}   "
                      f"(past a 2-node run: {rows_[0]['fixed_bare_ms']:.2f} ms bare, {rows_[0]['fixed_server_ms']:.2f} ms served)")
                for r in rows_:
                    print(f"{'':14} {r['nodes']:>6} {r['bare_us_per_added_node']:12.1f} {r['server_us_per_added_node']:12.1f} "
                          f"{r['added_node_ratio']:6.2f}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({
        "benchmark": "executor_overhead",
        "python": platform.python_version(),
        "machine": platform.machine(),
        "goal_us_per_node": 20,
        "rows": rows,
        "subgraphs": subgraphs,
        "server_routes": ROUTES,
        "server_path": served["growing"],
        "server_path_constant_outputs": served["constant"],
    }, indent=2))
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
