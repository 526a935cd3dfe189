"""CLIP's image tower: images to unit vectors in the space CLIP shares with texts."""

from __future__ import annotations

from typing import Any

from nodes.api import Context, Input
from nodes.encoders import _clip


class ClipImageEncoder(_clip.ClipEncoder):
    """Embeds images with CLIP, comparable with CLIP text embeddings."""

    type_id = "encoders.clip_image"
    title = "CLIP image encoder"
    inputs = (
        Input("images", "List[Image]", help="Images to embed; a single image works too"),
        _clip.ClipEncoder.model_input(),
    )

    def run(self, ctx: Context, images: list[Any], model: str) -> dict[str, Any]:
        import torch

        proc, clip, device = _clip.load(model, ctx)
        batch = proc(images=[img.convert("RGB") for img in images], return_tensors="pt").to(device)
        with torch.inference_mode():
            feats = clip.get_image_features(pixel_values=batch["pixel_values"])
        return {"embeddings": _clip.normalised(feats)}
