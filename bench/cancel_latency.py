"""How soon a cancel takes effect, and what the in-step cancel hooks cost a normal run.

  overhead   tiny-sd text to image through the executor, with the hooks of
             nodes.runtime.interruptible (as shipped) and without them (the node's
             ``watched`` swapped for a no-op: the step callback alone, as before),
             interleaved, median of --repeat. 64x64 x 20 steps is the models.py row; at
             512x512 the UNet's attention is also sliced.
  diffusion  cancel -> run finished for a text to image at 1536x1536 (one step is tens of
             seconds on a 2-core CPU), cancelled --after seconds into the node, and for the
             VAE decoder alone on 2048x2048 latents, hooks on and off; "silent" is the
             longest time without an event from the node before the cancel.
  graph      cancel -> run finished for 2,000-node graphs through the RunManager (SQLite,
             the executor's thread backend with 4 threads): a fan-out of 1,999 nodes that
             block 0.05 s without polling, and a chain whose second node sleeps while the
             1,997 after it wait. Run this script in a checkout of the old code for "before".

Prints a table; writes JSON.

    python bench/cancel_latency.py [--repeat 7] [--only overhead,diffusion,graph] [--out FILE]
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from app.engine.context import CancelToken  # noqa: E402
from app.engine.executor import Executor  # noqa: E402
from nodes.api import Context, Node, Output  # noqa: E402
from nodes.registry import Registry, discover, load_folder  # noqa: E402

HAS_HOOKS = importlib.util.find_spec("nodes.runtime.interruptible") is not None


class LatentSource(Node):
    """Seeded random latents of a 2048x2048 image, for the VAE decoder alone."""

    type_id = "bench.latent_source"
    inline = True
    outputs = (Output("latent", "Latent"),)

    def run(self, ctx: Context) -> dict[str, Any]:
        import torch

        latents = torch.randn((1, 4, 256, 256), generator=torch.Generator("cpu").manual_seed(0))
        return {
            "latent": {"latents": latents, "model": "diffusion:tiny-sd", "scaling_factor": 0.18215}
        }


def registry() -> Registry:
    return load_folder(discover(), ROOT / "tests" / "integration" / "custom_nodes").extend(
        [LatentSource]
    )


def doc(node: dict[str, Any]) -> dict[str, Any]:
    nodes = [{"params": {}, **node}, {"id": "out", "type": "io.image_output", "params": {}}]
    edges = [
        {
            "id": "e1",
            "source": node["id"],
            "source_port": "image",
            "target": "out",
            "target_port": "value",
        }
    ]
    if node["type"] == "models.vae_decoder":
        nodes.append({"id": "lat", "type": "bench.latent_source", "params": {}})
        edges.append(
            {
                "id": "e0",
                "source": "lat",
                "source_port": "latent",
                "target": node["id"],
                "target_port": "latent",
            }
        )
    return {"schema": "genaisys.graph/1", "nodes": nodes, "edges": edges}


def t2i(size: int, steps: int) -> dict[str, Any]:
    params = {
        "prompt": "a red fox in the snow",
        "steps": steps,
        "width": size,
        "height": size,
        "seed": 1,
    }
    return doc({"id": "node", "type": "models.text_to_image", "params": params})


@contextlib.contextmanager
def hooks(on: bool) -> Iterator[None]:
    """Without hooks: each diffusion node's ``watched`` is a no-op (the step callback alone)."""
    if on:
        yield
        return
    import nodes.models.text_to_image as a
    import nodes.models.vae_decoder as b

    saved = [(m, getattr(m, "watched", None)) for m in (a, b)]
    for m, _ in saved:
        if hasattr(m, "watched"):
            m.watched = lambda *args, **kwargs: contextlib.nullcontext()  # type: ignore[attr-defined]
    try:
        yield
    finally:
        for m, fn in saved:
            if fn is not None:
                m.watched = fn  # type: ignore[attr-defined]


def overhead(reg: Registry, size: int, steps: int, repeat: int) -> dict[str, Any]:
    times: dict[bool, list[float]] = {True: [], False: []}
    variants = [True, False] if HAS_HOOKS else [False]
    for on in variants:
        with hooks(on):
            Executor(reg).run(t2i(size, steps))  # warm
    for _ in range(repeat):
        for on in variants:
            with hooks(on):
                t0 = time.perf_counter()
                result = Executor(reg).run(t2i(size, steps))
                times[on].append(time.perf_counter() - t0)
            assert result.status == "succeeded", result.nodes
    med = {on: statistics.median(v) * 1000 for on, v in times.items() if v}
    return {
        "case": f"text to image {size}x{size}, {steps} steps",
        "hooks_ms": med.get(True),
        "plain_ms": med[False],
        "ratio": med[True] / med[False] if True in med else None,
    }


def diffusion_cancel(
    reg: Registry, document: dict[str, Any], after_s: float, on: bool
) -> dict[str, Any]:
    token, t = CancelToken(), {}
    stamps: list[float] = []

    def cancel() -> None:
        t["cancel"] = time.monotonic()
        token.cancel()

    def on_event(event: Any) -> None:
        if event.node_id == "node" or (event.node_id is None and "start" in t):
            stamps.append(time.monotonic())
        if event.type == "node_started" and event.node_id == "node":
            t["start"] = time.monotonic()
            threading.Timer(after_s, cancel).start()

    with hooks(on):
        result = Executor(reg).run(document, on_event=on_event, cancel=token)
    end = time.monotonic()
    before = [s for s in stamps if s <= t["cancel"]] + [t["cancel"]]
    silent = (
        max(b - a for a, b in zip(before, before[1:], strict=False)) if len(before) > 1 else None
    )
    return {
        "status": result.status,
        "latency_s": end - t["cancel"],
        "silent_s": silent,
        "node_status": result.nodes["node"].status,
    }


def graph_cancel(shape: str, n: int = 2000) -> dict[str, Any]:
    from app.engine.backend import ThreadBackend
    from app.engine.validate import validate
    from app.services.run_queue import RunManager
    from storage import repo
    from storage.artifacts import ArtifactStore
    from storage.db import make_engine, make_session_factory, upgrade_to_head

    reg = registry()
    tmp = Path(tempfile.mkdtemp(prefix="cancel-bench-"))
    engine = make_engine(f"sqlite:///{tmp / 'studio.db'}")
    upgrade_to_head(engine)
    executor = Executor(reg, backend=ThreadBackend(max_workers=4))
    runs = RunManager(executor, make_session_factory(engine), ArtifactStore(tmp / "artifacts"))
    runs.start()
    nodes = [{"id": "in", "type": "io.text_input", "params": {"value": "x"}}]
    edges: list[dict[str, Any]] = []
    if shape == "fan-out":
        for i in range(1, n):
            nodes.append({"id": f"n{i}", "type": "test.stuck", "params": {"seconds": 0.05}})
            edges.append(
                {
                    "id": f"e{i}",
                    "source": "in",
                    "source_port": "text",
                    "target": f"n{i}",
                    "target_port": "text",
                }
            )
    else:
        nodes.append({"id": "n1", "type": "test.sleep", "params": {"seconds": 120}})
        edges.append(
            {
                "id": "e1",
                "source": "in",
                "source_port": "text",
                "target": "n1",
                "target_port": "text",
            }
        )
        for i in range(2, n - 1):
            nodes.append({"id": f"n{i}", "type": "utility.concat", "params": {"b": "y"}})
            edges.append(
                {
                    "id": f"e{i}",
                    "source": f"n{i - 1}",
                    "source_port": "text",
                    "target": f"n{i}",
                    "target_port": "a",
                }
            )
        nodes.append({"id": "out", "type": "io.text_output", "params": {}})
        edges.append(
            {
                "id": "eo",
                "source": f"n{n - 2}",
                "source_port": "text",
                "target": "out",
                "target_port": "value",
            }
        )
    document = {"schema": "genaisys.graph/1", "name": shape, "nodes": nodes, "edges": edges}
    checked = validate(document, reg)
    assert checked.ok, checked.problems[:3]
    run_id = runs.submit(checked, {}, document=document)
    live = runs.live(run_id)
    assert live is not None
    while not any(
        e["type"] in ("node_progress", "node_finished") and e["node_id"] != "in"
        for e in list(live.events)
    ):
        time.sleep(0.005)
    t0 = time.monotonic()
    runs.cancel(run_id)
    while not live.finished:
        time.sleep(0.005)
    latency = time.monotonic() - t0
    with runs.sessions() as session:
        status = repo.get_run(session, run_id=run_id).status
    runs.stop()
    executor.backend.shutdown()
    engine.dispose()
    return {"case": f"{n}-node {shape}", "status": status, "latency_s": latency}


def code_version() -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            timeout=10,
        )
        return out.stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--only", default="overhead,diffusion,graph")
    ap.add_argument(
        "--after", type=float, default=10.0, help="seconds into the node to cancel (diffusion)"
    )
    ap.add_argument(
        "--out", type=Path, default=Path(__file__).parent / "results" / "cancel_latency.json"
    )
    args = ap.parse_args()
    only = set(args.only.split(","))
    report: dict[str, Any] = {
        "code": code_version(),
        "hooks_available": HAS_HOOKS,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "overhead": [],
        "diffusion": [],
        "graph": [],
    }
    reg = registry()

    def save() -> None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2))

    if "overhead" in only:
        print("\n| case | hooks | plain | ratio |\n| --- | ---: | ---: | ---: |")
        for size, steps, repeat in ((64, 20, args.repeat), (512, 4, max(3, args.repeat // 2))):
            row = overhead(reg, size, steps, repeat)
            report["overhead"].append(row)
            hooks_ms = f"{row['hooks_ms']:.1f} ms" if row["hooks_ms"] else "-"
            ratio = f"{row['ratio']:.3f}" if row["ratio"] else "-"
            print(
                f"| {row['case']} | {hooks_ms} | {row['plain_ms']:.1f} ms | {ratio} |", flush=True
            )
            save()
    if "diffusion" in only:
        print(
            "\n| case | hooks | status | cancel -> finished | silent before cancel |\n| --- | --- | --- | ---: | ---: |"
        )
        Executor(reg).run(t2i(64, 1))  # loaded
        cases = (
            ("text to image 1536x1536, 2 steps", t2i(1536, 2), args.after),
            ("VAE decoder, 2048x2048", doc({"id": "node", "type": "models.vae_decoder"}), 0.5),
        )
        for name, document, after in cases:
            for on in [True, False] if HAS_HOOKS else [False]:
                row = {"case": name, "hooks": on, **diffusion_cancel(reg, document, after, on)}
                report["diffusion"].append(row)
                silent = f"{row['silent_s']:.2f} s" if row["silent_s"] is not None else "-"
                print(
                    f"| {name} | {'on' if on else 'off'} | {row['node_status']} | {row['latency_s']:.2f} s | {silent} |",
                    flush=True,
                )
                save()
    if "graph" in only:
        print("\n| case | status | cancel -> finished |\n| --- | --- | ---: |")
        for shape in ("fan-out", "chain"):
            row = graph_cancel(shape)
            report["graph"].append(row)
            print(f"| {row['case']} | {row['status']} | {row['latency_s']:.2f} s |", flush=True)
            save()
    save()
    print(f"\nwrote {args.out} (code {report['code']})")


if __name__ == "__main__":
    main()
