"""CLIP's text tower: texts to unit vectors in the space CLIP shares with images."""

from __future__ import annotations

from typing import Any

from nodes.api import Context, Input
from nodes.encoders import _clip


class ClipTextEncoder(_clip.ClipEncoder):
    """Embeds texts with CLIP, comparable with CLIP image embeddings."""

    type_id = "encoders.clip_text"
    title = "CLIP text encoder"
    inputs = (
        Input("texts", "List[Text]", help="Texts to embed; a single text works too"),
        _clip.ClipEncoder.model_input(),
    )

    def run(self, ctx: Context, texts: list[str], model: str) -> dict[str, Any]:
        import torch

        proc, clip, device = _clip.load(model, ctx)
        batch = proc(text=[str(t) for t in texts], return_tensors="pt", padding=True, truncation=True).to(device)
        with torch.inference_mode():
            feats = clip.get_text_features(input_ids=batch["input_ids"], attention_mask=batch.get("attention_mask"))
        return {"embeddings": _clip.normalised(feats)}
