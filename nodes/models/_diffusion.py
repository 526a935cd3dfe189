"""Stable Diffusion pipelines for the diffusion nodes: loaded once, used one call at a time.

``load_diffusion(name, ctx)`` turns a model parameter into a loaded
``StableDiffusionPipeline`` through the shared model runtime (so a second run loads
nothing). ``name`` is ``tiny-sd`` (the offline default, built on first use by
``nodes.models._tiny_sd``), a local diffusers folder, a single ``.safetensors``/``.ckpt``
file, or a hub id; the tiny pipeline and a real checkpoint go through the same
``from_pretrained`` call. The safety checker is not loaded (as in ComfyUI): the one-node
pipeline and the decomposed graph must produce the same pixels.

``session(model, adapter=..., scheduler=...)`` is how every node uses a pipeline. It holds
the pipeline's lock, puts the requested LoRA adapter and scheduler in place, and puts the
pipeline back as it was afterwards, whatever happens inside:

- LoRA adapters are loaded with diffusers' ``load_lora_weights`` under the name their
  content gives them, and kept loaded in the model's ``AdapterSlots``
  (``nodes.models._adapters``, shared with the LLM) so the next run with the same adapter
  does not read it again. After every call the pipeline is left with its adapters
  *disabled*; peft's disabled layers compute exactly the base layer, so a run without the
  adapter gives the base model's output bit for bit (the tests check this). Nothing is
  fused into the weights, which would not undo exactly.
- A scheduler other than the checkpoint's own is made once per pipeline with
  ``from_config`` and swapped in for the call only.

What the nodes share besides: a seeded ``generator``, the ``image_size`` to make, and
``decode`` (latents to pixels). The progress, preview and cancel hooks of a call are in
``nodes.models._diffusion_steps``; the inputs the nodes declare alike, in
``nodes.models._diffusion_inputs``.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nodes.api import Context, NodeError
from nodes.memory import DTYPE_BYTES, TENSOR_OVERHEAD_BYTES, MemoryEstimate, torch_bytes, unknown
from nodes.models._adapters import AdapterSlots
from nodes.models._tiny_sd import (
    RECIPE_PARAMETERS,
    RECIPE_TENSORS,
    TINY_SD,
    is_built,
    planned_path,
    tiny_sd_path,
)
from nodes.runtime.cache import get_runtime
from nodes.runtime.device import default_dtype, dtype_name, pick_device, planned_device
from nodes.runtime.paths import check_tree, resolve_path
from nodes.runtime.sources import ModelSource, is_hub_id, local_model_path, resolve_model
from nodes.runtime.weights import NO_TENSORS, folder_estimate, folder_tensors

DEFAULT_MODEL = TINY_SD
SCHEDULERS: dict[str, str | None] = {
    "default": None,
    "euler": "EulerDiscreteScheduler",
    "euler_a": "EulerAncestralDiscreteScheduler",
    "ddim": "DDIMScheduler",
    "dpm++_2m": "DPMSolverMultistepScheduler",
    "unipc": "UniPCMultistepScheduler",
    "pndm": "PNDMScheduler",
}
"""``default`` keeps the checkpoint's own scheduler; the others are built from its config."""


@dataclass
class DiffusionModel:
    """A loaded pipeline and what the nodes need around it."""

    key: str
    """The runtime key, also written into Conditioning and Latent values as ``model``."""
    name: str
    pipe: Any
    device: str
    lock: threading.RLock = field(default_factory=threading.RLock)
    adapters: AdapterSlots = field(default_factory=AdapterSlots)
    schedulers: dict[str, Any] = field(default_factory=dict)

    @property
    def components(self) -> dict[str, Any]:
        """The pipeline's parts, so the runtime can weigh this model."""
        return self.pipe.components

    @property
    def vae_scale_factor(self) -> int:
        return int(self.pipe.vae_scale_factor)

    def native_size(self) -> int:
        return int(self.pipe.unet.config.sample_size) * self.vae_scale_factor


def locate(name: str, ctx: Context | None = None) -> ModelSource:
    """Where the pipeline called ``name`` comes from (building ``tiny-sd`` if needed)."""
    name = (name or "").strip() or DEFAULT_MODEL
    if name.lower() == TINY_SD:
        if not is_built():
            if ctx is not None:
                ctx.progress(0.0, f"building {TINY_SD} (first use, a few seconds)")
            _quiet()
        return ModelSource(TINY_SD, tiny_sd_path(), kind="diffusion")
    if local_model_path(name, "diffusion") is not None or is_hub_id(name):
        return resolve_model(name, "diffusion")
    raise NodeError(
        f"diffusion model {name!r} is neither {TINY_SD!r} (the built-in tiny pipeline), nor an existing "
        "diffusers folder or .safetensors file, nor a hub id like 'runwayml/stable-diffusion-v1-5'"
    )


def estimate_diffusion(name: str) -> MemoryEstimate:
    """What ``load_diffusion`` will hold, under its runtime key: the pipeline's torch parts
    (UNet, VAE, text encoders) in the device's dtype, read from their safetensors headers.
    ``tiny-sd`` not built yet is estimated from its recipe, whose sizes are fixed."""
    name = (name or "").strip() or DEFAULT_MODEL
    device = planned_device()
    dtype = dtype_name(device)
    if name.lower() == TINY_SD:
        folder = planned_path()
        if not is_built(folder):
            return MemoryEstimate(model=TINY_SD, key=f"diffusion:{folder}", device=device, dtype=dtype,
                                  bytes=RECIPE_PARAMETERS * DTYPE_BYTES[dtype] + RECIPE_TENSORS * TENSOR_OVERHEAD_BYTES,
                                  parameters=RECIPE_PARAMETERS, source=f"the {TINY_SD} recipe's known sizes",
                                  note="built on first use; not built yet")
        source = ModelSource(TINY_SD, folder, kind="diffusion")
    else:
        try:
            if local_model_path(name, "diffusion") is None and not is_hub_id(name):
                raise NodeError(f"diffusion model {name!r} is neither {TINY_SD!r}, nor an existing diffusers folder "
                                "or .safetensors file, nor a hub id")
            source = resolve_model(name, "diffusion")
        except NodeError as exc:
            return unknown(name, f"diffusion:{name}", device, dtype, str(exc))
    key = f"diffusion:{source.key}"
    if source.path is None or source.path.is_file():
        return folder_estimate(source, key, device, dtype)
    try:
        parts = [folder_tensors(sub) for sub in sorted(source.path.iterdir()) if sub.is_dir() and sub.name != "safety_checker"]
    except (OSError, ValueError, KeyError) as exc:
        return unknown(source.name, key, device, dtype, f"cannot read the weights' headers of {source.path.name}: {exc}")
    tensors = sum(parts, NO_TENSORS)
    if not tensors.numels:
        return unknown(source.name, key, device, dtype, f"{source.path} holds no .safetensors weights to read sizes from")
    return MemoryEstimate(model=source.name, key=key, device=device, dtype=dtype, bytes=torch_bytes(tensors.numels, dtype),
                          parameters=tensors.parameters,
                          source=f"safetensors headers of {len(tensors.files)} parts ({tensors.stored_dtype} stored, {dtype} in memory)")


def load_diffusion(name: str, ctx: Context | None = None) -> DiffusionModel:
    """The loaded pipeline for ``name``, shared by every node and run of this process."""
    source = locate(name, ctx)
    key = f"diffusion:{source.key}"
    runtime = get_runtime()
    identity = None if key in runtime else source.identity
    return runtime.load(key, lambda: _load(source, key), ctx=ctx, identity=identity)


def _load(source: ModelSource, key: str) -> DiffusionModel:
    from diffusers import StableDiffusionPipeline

    _quiet()
    device = pick_device()
    kwargs: dict[str, Any] = {"dtype": default_dtype(device), "safety_checker": None, "requires_safety_checker": False}
    target = str(source.path) if source.path is not None else str(source.hub_id)
    try:
        if source.path is not None and source.path.is_file():
            pipe = StableDiffusionPipeline.from_single_file(target, **kwargs)
        else:
            pipe = StableDiffusionPipeline.from_pretrained(target, **kwargs)
    except Exception as exc:
        raise NodeError(
            f"could not load the Stable Diffusion pipeline {source.name!r}: {type(exc).__name__}: {exc}. "
            "Give a diffusers folder (with model_index.json) of a Stable Diffusion 1.x/2.x model, or its hub id"
        ) from None
    pipe = pipe.to(device)
    pipe.set_progress_bar_config(disable=True)
    return DiffusionModel(key=key, name=source.name, pipe=pipe, device=device, schedulers={"default": pipe.scheduler})


def _quiet() -> None:
    """No progress bars of diffusers' or transformers' own: the run's events carry progress."""
    from diffusers.utils import logging as diffusers_logging
    from transformers.utils import logging as transformers_logging

    diffusers_logging.disable_progress_bar()
    transformers_logging.disable_progress_bar()


# -- one call at a time, with the adapter and scheduler asked for ---------------------------


@contextlib.contextmanager
def session(model: DiffusionModel, *, adapter: dict[str, Any] | None = None, scheduler: str = "default") -> Iterator[Any]:
    """The pipeline, ready for one call with ``adapter`` and ``scheduler``; restored after."""
    with model.lock:
        pipe = model.pipe
        original = pipe.scheduler
        try:
            _activate(model, adapter)
            if scheduler != "default":
                pipe.scheduler = _scheduler(model, scheduler)
            yield pipe
        finally:
            if pipe.scheduler is not original:
                pipe.scheduler = original
            if model.adapters:
                pipe.disable_lora()


def _scheduler(model: DiffusionModel, name: str) -> Any:
    if name not in SCHEDULERS:
        raise NodeError(f"unknown scheduler {name!r}: choose one of {', '.join(SCHEDULERS)}")
    sched = model.schedulers.get(name)
    if sched is None:
        import diffusers

        base = model.schedulers["default"]
        sched = getattr(diffusers, str(SCHEDULERS[name])).from_config(base.config)
        model.schedulers[name] = sched
    return sched


def _activate(model: DiffusionModel, adapter: dict[str, Any] | None) -> None:
    pipe = model.pipe
    if adapter is None:
        return  # every session ends with the adapters disabled: the pipeline is the base one
    if not isinstance(adapter, dict) or adapter.get("kind", "lora") != "lora" or not adapter.get("path"):
        raise NodeError("the adapter input must be a LoRA adapter made by the LoRA adapter node")
    given = str(adapter["path"])
    path = resolve_path(given, what="LoRA adapter")  # typed by hand, maybe: fenced again here
    check_tree(path, given, "LoRA adapter")
    scale = float(adapter.get("scale", 1.0))
    weight_name = str(adapter.get("weight_name") or "") if path.is_dir() else ""
    name = model.adapters.use(path, lambda name: _load_adapter(model, path, name, weight_name),
                              pipe.delete_adapters, variant=weight_name)
    pipe.enable_lora()
    pipe.set_adapters([name], adapter_weights=[scale])


def _load_adapter(model: DiffusionModel, path: Path, name: str, weight_name: str) -> None:
    pipe = model.pipe
    where = {"weight_name": weight_name} if weight_name else {}
    if path.is_file():
        path, where = path.parent, {"weight_name": path.name}
    try:
        pipe.load_lora_weights(str(path), adapter_name=name, **where)
    except Exception as exc:
        with contextlib.suppress(Exception):
            pipe.delete_adapters(name)
        raise NodeError(
            f"could not apply the LoRA adapter {path.name!r} to {model.name!r}: {type(exc).__name__}: {exc}. "
            "A diffusion LoRA is a .safetensors file in the diffusers or kohya format, trained for this base model"
        ) from None


# -- what the nodes share ---------------------------------------------------------------


def generator(seed: int) -> Any:
    """A CPU generator: the same seed gives the same image on every device."""
    import torch

    return torch.Generator("cpu").manual_seed(int(seed))


def image_size(model: DiffusionModel, width: int, height: int) -> tuple[int, int]:
    """The size to make: 0 means the model's native size; both must be multiples of 8."""
    native = model.native_size()
    width, height = int(width) or native, int(height) or native
    if width % 8 or height % 8:
        raise NodeError(f"width and height must be multiples of 8 (got {width}x{height})")
    return width, height


def decode(model: DiffusionModel, latents: Any, scaling_factor: float | None = None) -> Any:
    """Latents to a PIL image, exactly as ``StableDiffusionPipeline.__call__`` does it."""
    import torch

    pipe = model.pipe
    vae = pipe.vae
    factor = scaling_factor if scaling_factor is not None else vae.config.scaling_factor
    with torch.no_grad():
        latents = latents.to(device=vae.device)
        image = vae.decode(latents / factor, return_dict=False)[0]
        return pipe.image_processor.postprocess(image, output_type="pil", do_denormalize=[True] * image.shape[0])[0]
