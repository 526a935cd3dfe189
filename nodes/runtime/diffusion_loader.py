"""Stable Diffusion pipelines for the diffusion nodes: loaded once, used one call at a time.

``load_diffusion(name, ctx)`` turns a model parameter into a loaded
``StableDiffusionPipeline`` through the shared model runtime (so a second run loads
nothing). ``name`` is ``tiny-sd`` (the offline default, built on first use by
``nodes.runtime.tiny_diffusion``), a local diffusers folder, a single ``.safetensors``/``.ckpt``
file, or a hub id; the tiny pipeline and a real checkpoint go through the same
``from_pretrained`` call. The safety checker is not loaded (as in ComfyUI): the one-node
pipeline and the decomposed graph must produce the same pixels.

``session(model, adapter=..., scheduler=...)`` is how every node uses a pipeline. It holds
the pipeline's lock, puts the requested LoRA adapter and scheduler in place, and puts the
pipeline back as it was afterwards, whatever happens inside:

- LoRA adapters are loaded with diffusers' ``load_lora_weights`` under a name derived from
  the adapter's files, and kept loaded (a few at most) so the next run with the same adapter
  does not read it again. After every call the pipeline is left with its adapters
  *disabled*; peft's disabled layers compute exactly the base layer, so a run without the
  adapter gives the base model's output bit for bit (the tests check this). Nothing is
  fused into the weights, which would not undo exactly.
- A scheduler other than the checkpoint's own is made once per pipeline with
  ``from_config`` and swapped in for the call only.

``watched(ctx, pipe, ...)``, inside the session, puts the cancel and progress hooks of
``nodes.runtime.interruptible`` on the UNet and the VAE for that call only: a cancel stops
the pipeline inside a step or the decoding, and a long step reports how far it is.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nodes.api import Context, Input, NodeError
from nodes.runtime.cache import get_runtime
from nodes.runtime.device import default_dtype, pick_device
from nodes.runtime.interruptible import Watch, interruptible
from nodes.runtime.paths import check_tree, resolve_path
from nodes.runtime.sources import ModelSource, is_hub_id, local_model_path, resolve_model
from nodes.runtime.tiny_diffusion import TINY_SD, is_built, tiny_sd_path

DEFAULT_MODEL = TINY_SD
MAX_ADAPTERS = 4
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

# SD 1.x/2.x latent channels -> approximate RGB (the factors ComfyUI's previews use).
_LATENT_RGB = ((0.3512, 0.2297, 0.3227), (0.3250, 0.4974, 0.2350), (-0.2829, 0.1762, 0.2721), (-0.2120, -0.2616, -0.7177))


@dataclass
class DiffusionModel:
    """A loaded pipeline and what the nodes need around it."""

    key: str
    """The runtime key, also written into Conditioning and Latent values as ``model``."""
    name: str
    pipe: Any
    device: str
    lock: threading.RLock = field(default_factory=threading.RLock)
    adapters: OrderedDict[str, str] = field(default_factory=OrderedDict)
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
    name = adapter_name(path)
    if name in model.adapters:
        model.adapters.move_to_end(name)
    else:
        _load_adapter(model, path, name, adapter.get("weight_name"))
    pipe.enable_lora()
    pipe.set_adapters([name], adapter_weights=[scale])


def _load_adapter(model: DiffusionModel, path: Path, name: str, weight_name: Any) -> None:
    pipe = model.pipe
    where = {"weight_name": str(weight_name)} if weight_name else {}
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
    model.adapters[name] = str(path)
    while len(model.adapters) > MAX_ADAPTERS:
        old, _ = model.adapters.popitem(last=False)
        pipe.delete_adapters(old)


def adapter_name(path: Path) -> str:
    """A name that changes when the adapter's files do (so an edited LoRA is read again)."""
    digest = hashlib.sha256(str(path.resolve()).encode())
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for f in files:
        st = f.stat()
        digest.update(f"{f.name}:{st.st_size}:{st.st_mtime_ns}".encode())
    return "lora_" + digest.hexdigest()[:16]


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


PREVIEW_INTERVAL_S = 0.25
"""Previews are for eyes: at most about four a second (plus the first and last step), so a
fast GPU spends its time denoising, not drawing and syncing; a slow step gets one each."""


def step_callback(ctx: Context, steps: int, *, interval_s: float = PREVIEW_INTERVAL_S,
                  watch: Watch | None = None) -> Callable[..., dict[str, Any]]:
    """A ``callback_on_step_end`` that reports each step, with a small preview on the first
    and last step and in between at most one per ``interval_s``; ``ctx.progress`` raises
    NodeCancelled to stop the pipeline. ``watch`` (of ``watched``) is told each step's end."""
    last = -float("inf")

    def callback(pipe: Any, i: int, t: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
        nonlocal last
        done = i + 1
        if watch is not None:
            watch.step_ended(done)
        now = time.monotonic()
        preview = None
        if done == 1 or done == steps or now - last >= interval_s:
            preview, last = latent_preview(kwargs["latents"]), now
        ctx.progress(done / steps, f"step {done}/{steps}", preview=preview)
        return kwargs

    return callback


WATCH_MIN_PIXELS = 256 * 256
"""Images smaller than this are not watched from inside a step: a step of one takes
milliseconds, the step callback stops it as soon, and the hooks would cost a few percent."""


def watched(ctx: Context, pipe: Any, *, denoise: bool = True, decode: bool = True,
            steps: int | None = None, pixels: int | None = None) -> contextlib.AbstractContextManager[Watch | None]:
    """Cancel and progress from inside the UNet's steps and the VAE's decoding (see
    ``nodes.runtime.interruptible``), for one call; hold the pipeline's lock around it.
    ``pixels`` is the image's size: under ``WATCH_MIN_PIXELS`` nothing is hooked."""
    if pixels is not None and pixels < WATCH_MIN_PIXELS:
        return contextlib.nullcontext(None)
    parts: dict[str, Any] = {}
    if denoise:
        parts["step"] = pipe.unet
    if decode:
        parts["decoding"] = tuple(m for m in (pipe.vae.post_quant_conv, pipe.vae.decoder) if m is not None)
    return interruptible(ctx, parts, steps=steps)


def latent_preview(latents: Any, size: int = 128) -> Any:
    """An approximate RGB picture of the latents, cheap enough to make at every step."""
    import torch
    from PIL import Image

    x = latents[0].detach().float().cpu()
    if x.shape[0] == len(_LATENT_RGB):
        rgb = torch.einsum("chw,cr->hwr", x, torch.tensor(_LATENT_RGB))
    else:
        rgb = x[:3].permute(1, 2, 0)
        rgb = (rgb - rgb.mean()) / (rgb.std() + 1e-6) * 0.5
    pixels = ((rgb.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).numpy()
    image = Image.fromarray(pixels, "RGB")
    scale = max(1, size // max(image.size))
    return image.resize((image.width * scale, image.height * scale), Image.Resampling.NEAREST)


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


# -- the inputs every diffusion node shares (one definition, so defaults agree) ----------


def model_input() -> Input:
    return Input("model", "Text", default=DEFAULT_MODEL, connectable=False,
                 help=f"{TINY_SD!r} (built-in, offline), a diffusers folder, a .safetensors file or a hub id")


def adapter_input() -> Input:
    return Input("adapter", "Adapter", default=None, widget=None,
                 help="A LoRA from the LoRA adapter node; leave unconnected for the base model")


def prompt_inputs() -> tuple[Input, ...]:
    """The prompt and negative prompt, as the one-node pipeline and the prompt encoder take them."""
    return (
        Input("prompt", "Text", default="", widget="multiline", help="What to paint"),
        Input("negative_prompt", "Text", default="", widget="multiline", help="What to steer away from"),
    )


def sampling_inputs() -> tuple[Input, ...]:
    return (
        Input("steps", "Integer", default=20, min=1, max=150, help="Denoising steps"),
        Input("guidance", "Number", default=7.5, min=0, max=30, step=0.5,
              help="Classifier-free guidance scale; 1 or less turns it off"),
        Input("seed", "Integer", default=0, min=0, max=2**32 - 1, help="Same seed, same image"),
        Input("width", "Integer", default=0, min=0, max=2048, step=8, help="Pixels, a multiple of 8; 0 = the model's own size"),
        Input("height", "Integer", default=0, min=0, max=2048, step=8, help="Pixels, a multiple of 8; 0 = the model's own size"),
        Input("scheduler", "Text", default="default", choices=tuple(SCHEDULERS),
              help="The sampler; 'default' is the checkpoint's own"),
    )


def record_sampling(ctx: Context, *, seed: int, steps: int, guidance: float, scheduler: str,
                    size: tuple[int, int], adapter: dict[str, Any] | None) -> None:
    ctx.record("seed", int(seed))
    ctx.record("sampling", {"steps": int(steps), "guidance": float(guidance), "scheduler": scheduler,
                            "width": size[0], "height": size[1]})
    if adapter is not None:
        ctx.record("adapter", {"path": str(adapter.get("path")), "scale": float(adapter.get("scale", 1.0))})
