"""The inputs every diffusion node declares alike (one definition, so their defaults agree),
and the provenance of the sampling they take."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nodes.api import Context, Input, Node
from nodes.memory import MemoryEstimate
from nodes.models._diffusion import DEFAULT_MODEL, SCHEDULERS, estimate_diffusion
from nodes.models._tiny_sd import TINY_SD


class PipelineNode(Node):
    """A node that runs a part of a diffusion pipeline: its memory is the pipeline's, which
    every node on the same model shares (one runtime key)."""

    @classmethod
    def memory_estimate(cls, values: Mapping[str, Any]) -> MemoryEstimate | None:
        return estimate_diffusion(str(values.get("model") or DEFAULT_MODEL))

    @classmethod
    def content_identity(cls, values: Mapping[str, Any]) -> str | None:
        from nodes.models._tiny_sd import is_built, tiny_sd_path
        from nodes.runtime.sources import identity_of, model_sha256

        name = str(values.get("model") or DEFAULT_MODEL).strip()
        if name.lower() == TINY_SD:  # built on first use, from a fixed seed
            return identity_of(TINY_SD, tiny_sd_path())["sha256"] if is_built() else f"{TINY_SD} (to be built)"
        return model_sha256(name, "diffusion")

    @classmethod
    def warm_up(cls, values: Mapping[str, Any]) -> bool:
        from nodes.models._diffusion import load_diffusion

        load_diffusion(str(values.get("model") or DEFAULT_MODEL))
        return True


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
