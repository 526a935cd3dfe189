"""The last third of Stable Diffusion: latents to pixels with the pipeline's VAE."""

from __future__ import annotations

from typing import Any

from nodes.api import Context, Input, NodeError, Output
from nodes.models._diffusion import decode, load_diffusion
from nodes.models._diffusion_inputs import PipelineNode, model_input
from nodes.models._diffusion_steps import watched


class VaeDecoder(PipelineNode):
    """Decodes latents into an RGB image, exactly as the one-node pipeline does. Any model
    with the same latent space may decode (as in ComfyUI, where a VAE can be swapped). A
    cancel stops it inside the decoding, and a long decode reports how far it is."""

    type_id = "models.vae_decoder"
    title = "VAE decoder"
    uses_gpu = True
    inputs = (
        Input("latent", "Latent", widget=None, help="From the SD denoiser"),
        model_input(),
    )
    outputs = (Output("image", "Image"),)

    def run(self, ctx: Context, latent: dict[str, Any], model: str = "tiny-sd") -> dict[str, Any]:
        from nodes.runtime.cache import get_runtime

        if not isinstance(latent, dict) or "latents" not in latent:
            raise NodeError("the latent input must come from an SD denoiser")
        sd = load_diffusion(model, ctx)
        channels = int(latent["latents"].shape[1])
        wanted = int(sd.pipe.vae.config.latent_channels)
        if channels != wanted:
            raise NodeError(
                f"these latents have {channels} channels but the VAE of {sd.name!r} expects {wanted}: "
                "decode with the model that made them"
            )
        if latent.get("model") != sd.key:
            ctx.record("decoded_with_other_model", {"latent_model": latent.get("model"), "vae_model": sd.key})

        def run_vae() -> Any:
            with sd.lock, watched(ctx, sd.pipe, denoise=False, pixels=_pixels(latent["latents"])):
                return decode(sd, latent["latents"], latent.get("scaling_factor"))

        return {"image": get_runtime().on_device(run_vae, keep=sd.key)}


def _pixels(latents: Any) -> int:
    """The decoded image's size: the VAE scales each side of the latents by 8."""
    return int(latents.shape[-1]) * int(latents.shape[-2]) * 64
