"""What a diffusion call reports while it runs, and how a cancel reaches inside it.

``step_callback`` reports each denoising step (with a small preview of the latents now and
then); ``watched(ctx, pipe, ...)``, inside the pipeline's session, puts the cancel and
progress hooks of ``nodes.runtime.interruptible`` on the UNet and the VAE for that call
only: a cancel stops the pipeline inside a step or the decoding, and a long step reports
how far it is.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Any

from nodes.api import Context
from nodes.runtime.interruptible import Watch, interruptible

# SD 1.x/2.x latent channels -> approximate RGB (the factors ComfyUI's previews use).
_LATENT_RGB = ((0.3512, 0.2297, 0.3227), (0.3250, 0.4974, 0.2350), (-0.2829, 0.1762, 0.2721), (-0.2120, -0.2616, -0.7177))

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
