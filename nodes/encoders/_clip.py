"""CLIP loading shared by the text and image encoders: one model in the cache serves both,
so a text and an image land in the same space and can be compared."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from nodes.api import Context, Input, Node, NodeError, Output
from nodes.memory import MemoryEstimate, unknown
from nodes.runtime import get_runtime, pick_device
from nodes.runtime.device import planned_device
from nodes.runtime.sources import ModelSource, resolve_model
from nodes.runtime.weights import folder_estimate
from nodes.types import Bindings

DEFAULT = "openai/clip-vit-base-patch32"


class ClipEncoder(Node):
    """What both CLIP towers share: the model setting, the output, and the dimension read
    from the model's config so the validator knows it before anything runs."""

    uses_gpu = True
    outputs = (Output("embeddings", "Embedding[d]"),)

    @classmethod
    def content_identity(cls, values: Mapping[str, Any]) -> str | None:
        from nodes.runtime.sources import model_sha256

        return model_sha256(str(values.get("model") or DEFAULT), "clip")

    @classmethod
    def warm_up(cls, values: Mapping[str, Any]) -> bool:
        load(str(values.get("model") or DEFAULT), None)
        return True

    @staticmethod
    def model_input() -> Input:
        return Input("model", "Text", default=DEFAULT, connectable=False, help="A local CLIP folder or a hub id")

    @classmethod
    def type_bindings(cls, params: Mapping[str, Any]) -> Bindings:
        dim = projection_dim(str(params.get("model") or DEFAULT))
        return {"d": dim} if dim else {}

    @classmethod
    def memory_estimate(cls, values: Mapping[str, Any]) -> MemoryEstimate | None:
        return estimate(str(values.get("model") or DEFAULT))


def source(model: str) -> ModelSource:
    return resolve_model(model, "clip")


def load(model: str, ctx: Context | None) -> tuple[Any, Any, str]:
    """(processor, model, device) for a CLIP folder or hub id."""
    src = source(model)
    device = pick_device()

    def loader() -> tuple[Any, Any]:
        from transformers import CLIPModel, CLIPProcessor

        where = str(src.path) if src.path else src.hub_id
        assert where is not None  # resolve_model gives a hub id whenever it gives no path
        try:
            proc = CLIPProcessor.from_pretrained(where)
            # transformers wraps PreTrainedModel.to in functools.wraps, which the stubs type
            # as an unbound function (taking the device for self)
            clip = CLIPModel.from_pretrained(where).to(device).eval()  # type: ignore[arg-type]
        except OSError as exc:
            raise NodeError(f"cannot load CLIP model {model!r}: {exc}") from None
        return proc, clip

    proc, clip = get_runtime().load(f"clip:{src.key}:{device}", loader, ctx=ctx, identity=src.identity)
    return proc, clip, device


def estimate(model: str) -> MemoryEstimate:
    """What ``load`` will hold: both towers, in the checkpoint's own dtype, one per model."""
    device = planned_device()
    try:
        src = source(model)
    except NodeError as exc:
        return unknown(model, f"clip:{model}", device, "", str(exc))
    return folder_estimate(src, f"clip:{src.key}:{device}", device)


def projection_dim(model: str) -> int | None:
    try:
        src = source(model)
    except NodeError:
        return None
    config = src.path / "config.json" if src.path and src.path.is_dir() else None
    if config is None or not config.is_file():
        return None
    try:
        dim = json.loads(config.read_text()).get("projection_dim")
    except (OSError, ValueError):
        return None
    return int(dim) if isinstance(dim, int) else None


def normalised(features: Any) -> Any:
    import torch

    if not isinstance(features, torch.Tensor):  # transformers 5 may return an output object
        features = getattr(features, "pooler_output", None) if getattr(features, "pooler_output", None) is not None else features[0]
    return torch.nn.functional.normalize(features.float(), p=2, dim=-1).cpu().numpy()
