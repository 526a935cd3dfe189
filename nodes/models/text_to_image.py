"""Stable Diffusion as one node: prompt in, image out, through diffusers' own pipeline call.

The decomposed graph (prompt encoder -> denoiser -> VAE decoder) runs the very same steps
and gives the same pixels for the same settings; this node is the short way round.
"""

from __future__ import annotations

from typing import Any

from nodes.api import Context, Output
from nodes.models._diffusion import generator, image_size, load_diffusion, session
from nodes.models._diffusion_inputs import (
    PipelineNode,
    adapter_input,
    model_input,
    prompt_inputs,
    record_sampling,
    sampling_inputs,
)
from nodes.models._diffusion_steps import step_callback, watched


class TextToImage(PipelineNode):
    """Makes an image from a prompt with a Stable Diffusion pipeline (diffusers), step by step
    with previews; a cancel stops it inside a step or the decoding. An optional LoRA adapter
    applies to this run only: without it the pipeline gives exactly the base model's image
    (adapters are disabled after every call)."""

    type_id = "models.text_to_image"
    title = "Text to image"
    uses_gpu = True
    inputs = (
        *prompt_inputs(),
        *sampling_inputs(),
        model_input(),
        adapter_input(),
    )
    outputs = (Output("image", "Image"),)

    def run(self, ctx: Context, prompt: str = "", negative_prompt: str = "", steps: int = 20,
            guidance: float = 7.5, seed: int = 0, width: int = 0, height: int = 0,
            scheduler: str = "default", model: str = "tiny-sd", adapter: dict[str, Any] | None = None) -> dict[str, Any]:
        from nodes.runtime.cache import get_runtime

        sd = load_diffusion(model, ctx)
        size = image_size(sd, width, height)
        record_sampling(ctx, seed=seed, steps=steps, guidance=guidance, scheduler=scheduler, size=size, adapter=adapter)

        def paint() -> Any:
            with session(sd, adapter=adapter, scheduler=scheduler) as pipe, watched(ctx, pipe, steps=int(steps), pixels=size[0] * size[1]) as watch:
                return pipe(
                    prompt=prompt, negative_prompt=negative_prompt, num_inference_steps=int(steps),
                    guidance_scale=float(guidance), width=size[0], height=size[1], generator=generator(seed),
                    callback_on_step_end=step_callback(ctx, int(steps), watch=watch),
                ).images[0]

        return {"image": get_runtime().on_device(paint, keep=sd.key)}
