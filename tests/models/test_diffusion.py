"""Stable Diffusion through the real executor, on the tiny pipeline the project builds.

Same seed, same pixels; another seed, other pixels; the decomposed graph (prompt encoder ->
denoiser -> VAE decoder) gives exactly the one-node pipeline's pixels; a LoRA changes the
image and removing it restores it; the denoiser reports steps with previews and stops when
cancelled; a second run loads no model; the shipped example runs. 64x64 images, 4 steps.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from app.engine.context import CancelToken
from app.engine.executor import Executor, RunResult
from app.engine.validate import validate
from nodes.registry import Registry, discover

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = {"steps": 4, "guidance": 7.5, "width": 64, "height": 64}
PROMPT, NEGATIVE = "a red fox in the snow", "blurry"
MODULES = ("nodes.models.text_to_image", "nodes.models.sd_denoiser", "nodes.models.vae_decoder",
           "nodes.encoders.sd_prompt_encoder", "nodes.encoders.image_loader", "nodes.io.image_output")


@pytest.fixture(scope="module")
def registry() -> Registry:
    reg = discover()
    broken = [e for e in reg.load_errors if e.module in MODULES]
    assert not broken, broken
    return reg


@pytest.fixture(scope="module")
def lora_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A diffusion LoRA on the tiny UNet's attention (to_q, to_v), random and non-zero."""
    import torch
    from diffusers import StableDiffusionPipeline, UNet2DConditionModel
    from diffusers.utils import convert_state_dict_to_diffusers
    from peft import LoraConfig, get_peft_model_state_dict

    from nodes.models._tiny_sd import tiny_sd_path

    unet = UNet2DConditionModel.from_pretrained(str(tiny_sd_path()), subfolder="unet")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(7)
        unet.add_adapter(LoraConfig(r=4, lora_alpha=4, target_modules=["to_q", "to_v"], init_lora_weights=False))
    layers = convert_state_dict_to_diffusers(get_peft_model_state_dict(unet))
    folder = tmp_path_factory.mktemp("lora")
    StableDiffusionPipeline.save_lora_weights(str(folder), unet_lora_layers=layers, safe_serialization=True)
    return folder


def doc(nodes: list[dict[str, Any]], edges: list[tuple[str, str, str, str]]) -> dict[str, Any]:
    return {
        "schema": "genaisys.graph/1",
        "nodes": [{"params": {}, **n} for n in nodes],
        "edges": [{"id": f"e{i}", "source": s, "source_port": sp, "target": t, "target_port": tp}
                  for i, (s, sp, t, tp) in enumerate(edges)],
    }


def one_node(seed: int, lora: Path | None = None, **extra: Any) -> dict[str, Any]:
    params = {"prompt": PROMPT, "negative_prompt": NEGATIVE, "seed": seed, **SETTINGS, **extra}
    nodes = [{"id": "t2i", "type": "models.text_to_image", "params": params},
             {"id": "out", "type": "io.image_output"}]
    edges = [("t2i", "image", "out", "value")]
    if lora is not None:
        nodes.append({"id": "lora", "type": "models.lora_adapter", "params": {"path": str(lora)}})
        edges.append(("lora", "adapter", "t2i", "adapter"))
    return doc(nodes, edges)


def decomposed(seed: int, lora: Path | None = None) -> dict[str, Any]:
    nodes = [
        {"id": "enc", "type": "encoders.sd_prompt_encoder", "params": {"prompt": PROMPT, "negative_prompt": NEGATIVE}},
        {"id": "den", "type": "models.sd_denoiser", "params": {"seed": seed, **SETTINGS}},
        {"id": "vae", "type": "models.vae_decoder"},
        {"id": "out", "type": "io.image_output"},
    ]
    edges = [("enc", "conditioning", "den", "conditioning"), ("den", "latent", "vae", "latent"), ("vae", "image", "out", "value")]
    if lora is not None:
        nodes.append({"id": "lora", "type": "models.lora_adapter", "params": {"path": str(lora)}})
        edges += [("lora", "adapter", "enc", "adapter"), ("lora", "adapter", "den", "adapter")]
    return doc(nodes, edges)


def run(registry: Registry, document: dict[str, Any], **kwargs: Any) -> RunResult:
    """A fresh executor each time: no result cache between runs, only the model runtime."""
    result = Executor(registry).run(document, **kwargs)
    failed = {n: r.error for n, r in result.nodes.items() if r.error}
    assert result.status == "succeeded", failed
    return result


def pixels(result: RunResult) -> np.ndarray:
    image = result.outputs["out"]
    assert image.mode == "RGB" and image.size == (64, 64)
    return np.asarray(image)


def test_same_seed_same_image_other_seed_other_image(registry: Registry) -> None:
    first = pixels(run(registry, one_node(1)))
    again = pixels(run(registry, one_node(1)))
    other = pixels(run(registry, one_node(2)))
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)
    assert first.std() > 5  # a picture, not a flat colour


def test_decomposed_graph_gives_the_one_node_pixels(registry: Registry) -> None:
    whole = pixels(run(registry, one_node(3)))
    parts = pixels(run(registry, decomposed(3)))
    assert np.array_equal(whole, parts)


def test_lora_changes_the_image_and_removing_it_restores_it(registry: Registry, lora_dir: Path) -> None:
    """Through the shipped LoRA adapter node, on the folder ``save_lora_weights`` writes."""
    base = pixels(run(registry, one_node(4)))
    with_lora = pixels(run(registry, one_node(4, lora=lora_dir)))
    assert np.abs(with_lora.astype(int) - base).mean() > 0.5
    assert np.array_equal(pixels(run(registry, one_node(4))), base)
    assert np.array_equal(pixels(run(registry, decomposed(4, lora=lora_dir))), with_lora)
    assert np.array_equal(pixels(run(registry, decomposed(4))), base)


def test_denoiser_reports_each_step_with_a_preview_and_stops_on_cancel(registry: Registry) -> None:
    events: list[Any] = []
    run(registry, decomposed(5), on_event=events.append)
    ends = {f"step {i}/4" for i in range(1, 5)}  # not "step 2/4, 40%": progress inside a slow step
    steps = [e.data for e in events if e.type == "node_progress" and e.node_id == "den" and e.data.get("message") in ends]
    assert [s["fraction"] for s in steps] == [0.25, 0.5, 0.75, 1.0]
    previews = [s["preview"] for s in steps if s.get("preview") is not None]
    assert steps[0].get("preview") is not None and steps[-1].get("preview") is not None  # first and last: always
    assert all(p.mode == "RGB" and min(p.size) >= 32 for p in previews)

    cancel = CancelToken()

    def stop_after_first_step(event: Any) -> None:
        if event.type == "node_progress" and event.node_id == "den" and event.data["fraction"] > 0:
            cancel.cancel()

    result = Executor(registry).run(decomposed(6), on_event=stop_after_first_step, cancel=cancel)
    assert result.status == "cancelled"
    assert result.nodes["den"].status == "cancelled"


def test_second_run_loads_no_model(registry: Registry) -> None:
    run(registry, one_node(8))
    second = run(registry, decomposed(8))
    for node_id in ("enc", "den", "vae"):
        models = {k: v for k, v in second.nodes[node_id].provenance.items() if k.startswith("model:")}
        assert models and all(v["loaded"] is False for v in models.values()), models
    assert second.nodes["den"].provenance["seed"] == 8


def test_example_validates_and_runs(registry: Registry) -> None:
    example = json.loads((ROOT / "examples" / "stable_diffusion.json").read_text())
    checked = validate(example, registry)
    assert checked.ok, checked.problems
    example["nodes"] = [{**n, "params": {**n["params"], "steps": 4}} if n["id"] == "denoise" else n for n in example["nodes"]]
    image = run(registry, example).outputs["image"]
    assert image.size == (64, 64)


def test_image_loader_reads_a_file_as_rgb(registry: Registry, tmp_path: Path) -> None:
    from PIL import Image

    path = tmp_path / "pic.png"
    Image.new("RGBA", (10, 6), (255, 0, 0, 128)).save(path)
    document = doc([{"id": "f", "type": "io.file_input", "params": {"value": str(path)}},
                    {"id": "load", "type": "encoders.image_loader"}, {"id": "out", "type": "io.image_output"}],
                   [("f", "file", "load", "file"), ("load", "image", "out", "value")])
    image = run(registry, document).outputs["out"]
    assert image.mode == "RGB" and image.size == (10, 6)


def test_previews_are_throttled_to_a_few_a_second_but_every_step_is_reported() -> None:
    import torch

    from nodes.models._diffusion_steps import step_callback

    class Recorder:
        def __init__(self) -> None:
            self.calls: list[tuple[float, bool]] = []

        def progress(self, fraction: float, message: str = "", preview: Any = None) -> None:
            self.calls.append((fraction, preview is not None))

    fast = Recorder()
    callback = step_callback(fast, 50, interval_s=60)  # 50 quick steps
    for i in range(50):
        callback(None, i, None, {"latents": torch.zeros(1, 4, 8, 8)})
    assert [f for f, _ in fast.calls] == [(i + 1) / 50 for i in range(50)]
    assert [i for i, (_, p) in enumerate(fast.calls) if p] == [0, 49]  # only first and last drawn
    slow = Recorder()
    callback = step_callback(slow, 3, interval_s=0)  # steps slower than the interval: each one
    for i in range(3):
        callback(None, i, None, {"latents": torch.zeros(1, 4, 8, 8)})
    assert all(p for _, p in slow.calls)


def test_the_lora_node_takes_the_safetensors_file_itself_and_names_what_it_cannot_use(registry: Registry,
                                                                                        lora_dir: Path) -> None:
    (weights,) = lora_dir.glob("*.safetensors")
    from_folder = run(registry, one_node(5, lora=lora_dir))
    from_file = run(registry, one_node(5, lora=weights))
    assert np.array_equal(pixels(from_file), pixels(from_folder))
    assert not np.array_equal(pixels(from_file), pixels(run(registry, one_node(5))))
    adapter = from_file.nodes["lora"].provenance["adapter"]
    assert adapter["format"] == "safetensors" and len(adapter["sha256"]) == 64
    assert from_folder.nodes["lora"].provenance["adapter"]["sha256"] == adapter["sha256"]  # the same weights

    two = lora_dir.parent / "two-loras"
    two.mkdir(exist_ok=True)
    for name in ("a.safetensors", "b.safetensors"):
        (two / name).write_bytes(weights.read_bytes())
    failed = Executor(registry).run(one_node(5, lora=two))
    assert failed.status == "failed"
    assert "2 .safetensors files" in failed.nodes["lora"].error["message"]
