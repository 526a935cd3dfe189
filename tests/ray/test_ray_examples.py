"""The shipped examples give the same outputs on the Ray backend as on threads: the prompt
builder (trivial nodes only, all in this process), RAG (the embedder and the LLM in actors,
the loaders and Chroma here) and Stable Diffusion on tiny-sd (prompt encoder -> denoiser ->
VAE decoder, actor to actor by object reference). Compared by output hash, node by node."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.engine.events import Event
from app.engine.executor import Executor, RunResult
from app.engine.hashing import output_hashes
from nodes.registry import Registry

pytestmark = pytest.mark.slow

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def example(name: str) -> dict[str, Any]:
    document = json.loads((EXAMPLES / name).read_text())
    for node in document["nodes"]:
        if node["id"] == "denoise":  # 4 steps: as test_diffusion runs it
            node["params"] = {**node["params"], "steps": 4}
    return document


@pytest.fixture(scope="module")
def on_threads(registry: Registry) -> Iterator[Executor]:
    executor = Executor(registry)
    yield executor
    executor.backend.shutdown()


def hashes(result: RunResult) -> dict[str, dict[str, str | None]]:
    assert result.status == "succeeded", {k: r.error for k, r in result.nodes.items() if r.error}
    return {nid: output_hashes(record.outputs) for nid, record in sorted(result.nodes.items())}


@pytest.mark.parametrize("name", ["prompt_builder.json", "rag.json", "stable_diffusion.json"])
def test_an_example_gives_the_same_outputs_on_ray_as_on_threads(name: str, on_threads: Executor, registry: Registry,
                                                                 ray_backend: Any) -> None:
    seen: dict[str, list[Event]] = {"threads": [], "ray": []}
    threads = on_threads.run(example(name), scope=f"threads:{name}", on_event=seen["threads"].append)
    ray = Executor(registry, backend=ray_backend).run(example(name), scope=f"ray:{name}", on_event=seen["ray"].append)
    assert hashes(ray) == hashes(threads)
    assert output_hashes(ray.outputs) == output_hashes(threads.outputs)
    in_actors = {nid for nid, record in ray.nodes.items() if "worker" in record.provenance}
    models = {nid for nid, record in ray.nodes.items() if registry.nodes[record.type].uses_gpu}
    assert in_actors == models  # model nodes in actors, every other node here
    if name != "prompt_builder.json":
        assert models
    previews = {side: [type(e.data["preview"]) for e in events if e.type == "node_progress" and "preview" in e.data]
                for side, events in seen.items()}
    assert bool(previews["ray"]) == (name == "stable_diffusion.json")  # the denoiser's previews come through
    assert set(previews["ray"]) == set(previews["threads"])
