"""The first third of Stable Diffusion: prompt and negative prompt to text-encoder states."""

from __future__ import annotations

from typing import Any

from nodes.api import Context, Output
from nodes.models._diffusion import load_diffusion, session
from nodes.models._diffusion_inputs import PipelineNode, adapter_input, model_input, prompt_inputs


class SdPromptEncoder(PipelineNode):
    """Encodes a prompt (and a negative prompt, for guidance) with the pipeline's CLIP text
    encoder, exactly as the one-node pipeline does (``pipe.encode_prompt``). The result only
    fits a denoiser of the same model. A LoRA adapter with text-encoder weights applies here;
    wire the same adapter to the denoiser for its UNet weights."""

    type_id = "encoders.sd_prompt_encoder"
    title = "SD prompt encoder"
    uses_gpu = True
    inputs = (
        *prompt_inputs(),
        model_input(),
        adapter_input(),
    )
    outputs = (Output("conditioning", "Conditioning"),)

    def run(self, ctx: Context, prompt: str = "", negative_prompt: str = "", model: str = "tiny-sd",
            adapter: dict[str, Any] | None = None) -> dict[str, Any]:
        import torch

        from nodes.runtime.cache import get_runtime

        sd = load_diffusion(model, ctx)

        def encode() -> tuple[Any, Any]:
            with session(sd, adapter=adapter) as pipe, torch.no_grad():
                return pipe.encode_prompt(prompt, pipe._execution_device, 1, True, negative_prompt)

        positive, negative = get_runtime().on_device(encode, keep=sd.key)
        return {"conditioning": {
            "prompt_embeds": positive,
            "negative_prompt_embeds": negative,
            "model": sd.key,
            "prompt": prompt,
            "negative_prompt": negative_prompt,
        }}
