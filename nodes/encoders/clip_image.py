"""CLIP's image tower: images to unit vectors in the space CLIP shares with texts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nodes.api import Context, Input, Node, Output
from nodes.encoders import _clip
from nodes.types import Bindings


class ClipImageEncoder(Node):
    """Embeds images with CLIP, comparable with CLIP text embeddings."""

    type_id = "encoders.clip_image"
    title = "CLIP image encoder"
    uses_gpu = True
    inputs = (
        Input("images", "List[Image]", help="Images to embed; a single image works too"),
        Input("model", "Text", default=_clip.DEFAULT, connectable=False, help="A local CLIP folder or a hub id"),
    )
    outputs = (Output("embeddings", "Embedding[d]"),)

    @classmethod
    def type_bindings(cls, params: Mapping[str, Any]) -> Bindings:
        dim = _clip.projection_dim(str(params.get("model") or _clip.DEFAULT))
        return {"d": dim} if dim else {}

    def run(self, ctx: Context, images: list[Any], model: str) -> dict[str, Any]:
        import torch

        proc, clip, device = _clip.load(model, ctx)
        batch = proc(images=[img.convert("RGB") for img in images], return_tensors="pt").to(device)
        with torch.inference_mode():
            feats = clip.get_image_features(pixel_values=batch["pixel_values"])
        return {"embeddings": _clip.normalised(feats)}
