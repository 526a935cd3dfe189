"""CLIP's text tower: texts to unit vectors in the space CLIP shares with images."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nodes.api import Context, Input, Node, Output
from nodes.encoders import _clip
from nodes.types import Bindings


class ClipTextEncoder(Node):
    """Embeds texts with CLIP, comparable with CLIP image embeddings."""

    type_id = "encoders.clip_text"
    title = "CLIP text encoder"
    uses_gpu = True
    inputs = (
        Input("texts", "List[Text]", help="Texts to embed; a single text works too"),
        Input("model", "Text", default=_clip.DEFAULT, connectable=False, help="A local CLIP folder or a hub id"),
    )
    outputs = (Output("embeddings", "Embedding[d]"),)

    @classmethod
    def type_bindings(cls, params: Mapping[str, Any]) -> Bindings:
        dim = _clip.projection_dim(str(params.get("model") or _clip.DEFAULT))
        return {"d": dim} if dim else {}

    def run(self, ctx: Context, texts: list[str], model: str) -> dict[str, Any]:
        import torch

        proc, clip, device = _clip.load(model, ctx)
        batch = proc(text=[str(t) for t in texts], return_tensors="pt", padding=True, truncation=True).to(device)
        with torch.inference_mode():
            feats = clip.get_text_features(input_ids=batch["input_ids"], attention_mask=batch.get("attention_mask"))
        return {"embeddings": _clip.normalised(feats)}
