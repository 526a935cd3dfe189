"""The middle of Stable Diffusion: conditioning to latents, one scheduler step at a time."""

from __future__ import annotations

from typing import Any

from nodes.api import Context, Input, NodeError, Output
from nodes.models._diffusion import generator, image_size, load_diffusion, session
from nodes.models._diffusion_inputs import (
    PipelineNode,
    adapter_input,
    model_input,
    record_sampling,
    sampling_inputs,
)
from nodes.models._diffusion_steps import step_callback, watched


class SdDenoiser(PipelineNode):
    """Runs the UNet and scheduler from seeded noise to clean latents, guided by the
    conditioning. Reports every step with a small preview (an approximate RGB view of the
    latents) and stops within a step when the run is cancelled. The pipeline call is the
    one-node pipeline's, minus the decoding, so the pixels match it exactly. A LoRA adapter
    applies to this run only (disabled again afterwards, so the base output is restored)."""

    type_id = "models.sd_denoiser"
    title = "SD denoiser"
    uses_gpu = True
    inputs = (
        Input("conditioning", "Conditioning", widget=None, help="From the SD prompt encoder"),
        *sampling_inputs(),
        model_input(),
        adapter_input(),
    )
    outputs = (Output("latent", "Latent"),)

    def run(self, ctx: Context, conditioning: dict[str, Any], steps: int = 20, guidance: float = 7.5,
            seed: int = 0, width: int = 0, height: int = 0, scheduler: str = "default",
            model: str = "tiny-sd", adapter: dict[str, Any] | None = None) -> dict[str, Any]:
        from nodes.runtime.cache import get_runtime

        if not isinstance(conditioning, dict) or "prompt_embeds" not in conditioning:
            raise NodeError("the conditioning input must come from an SD prompt encoder")
        sd = load_diffusion(model, ctx)
        if conditioning.get("model") != sd.key:
            raise NodeError(
                f"the conditioning was made by {conditioning.get('model')!r}, but this denoiser runs {sd.key!r}: "
                "set the same model on the prompt encoder and the denoiser"
            )
        size = image_size(sd, width, height)
        record_sampling(ctx, seed=seed, steps=steps, guidance=guidance, scheduler=scheduler, size=size, adapter=adapter)

        def denoise() -> Any:
            with (session(sd, adapter=adapter, scheduler=scheduler) as pipe,
                  watched(ctx, pipe, decode=False, steps=int(steps), pixels=size[0] * size[1]) as watch):
                return pipe(
                    prompt_embeds=conditioning["prompt_embeds"],
                    negative_prompt_embeds=conditioning.get("negative_prompt_embeds"),
                    num_inference_steps=int(steps), guidance_scale=float(guidance), width=size[0], height=size[1],
                    generator=generator(seed), output_type="latent",
                    callback_on_step_end=step_callback(ctx, int(steps), watch=watch),
                ).images

        latents = get_runtime().on_device(denoise, keep=sd.key)
        return {"latent": {
            "latents": latents,
            "model": sd.key,
            "scaling_factor": float(sd.pipe.vae.config.scaling_factor),
            "width": size[0],
            "height": size[1],
            "seed": int(seed),
        }}
