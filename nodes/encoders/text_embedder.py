"""Sentence embeddings with plain transformers: mean of the token vectors (padding
masked out), then L2-normalised — the same vectors sentence-transformers gives for
MiniLM, without its 7-second import. The dimension is read from the model's config, so
the validator knows ``Embedding[384]`` before anything runs."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nodes.api import Context, Input, Node, NodeError, Output
from nodes.memory import MemoryEstimate, unknown
from nodes.runtime import get_runtime, pick_device, resolve_model
from nodes.runtime.device import planned_device
from nodes.runtime.weights import folder_estimate
from nodes.types import Bindings

BATCH = 32


class TextEmbedder(Node):
    """Turns texts (or documents) into unit-length vectors for similarity search."""

    type_id = "encoders.text_embedder"
    title = "Text embedder"
    uses_gpu = True
    inputs = (
        Input("texts", "List[Text]", default=None, widget=None, help="Texts to embed; a single text works too"),
        Input("documents", "List[Document]", default=None, widget=None, help="…or documents: their text is embedded"),
        Input("model", "Text", default="all-MiniLM-L6-v2", connectable=False,
              help="A catalog name, a local folder, or a hub id"),
        Input("max_length", "Integer", default=256, min=8, max=8192, help="Longer texts are cut to this many tokens"),
    )
    outputs = (Output("embeddings", "Embedding[d]"),)

    @classmethod
    def type_bindings(cls, params: Mapping[str, Any]) -> Bindings:
        dim = embedding_dimension(str(params.get("model") or cls.input("model").default))
        return {"d": dim} if dim else {}

    @classmethod
    def memory_estimate(cls, values: Mapping[str, Any]) -> MemoryEstimate | None:
        return estimate_encoder(str(values.get("model") or cls.input("model").default))

    @classmethod
    def content_identity(cls, values: Mapping[str, Any]) -> str | None:
        from nodes.runtime.sources import model_sha256

        return model_sha256(str(values.get("model") or cls.input("model").default), "text-embedder")

    @classmethod
    def warm_up(cls, values: Mapping[str, Any]) -> bool:
        tokenizer, encoder, device = load_encoder(str(values.get("model") or cls.input("model").default), None)
        embed(["warm up"], tokenizer, encoder, device, 16, None)  # a first forward pass sets up torch's kernels
        return True

    def run(self, ctx: Context, texts: list[str] | None, documents: list[dict[str, Any]] | None,
            model: str, max_length: int) -> dict[str, Any]:
        if (texts is None) == (documents is None):
            raise NodeError("connect either texts or documents (one of them, not both)")
        items = [str(t) for t in texts] if texts is not None else [str(d.get("text", "")) for d in documents or []]
        tokenizer, encoder, device = load_encoder(model, ctx)
        return {"embeddings": embed(items, tokenizer, encoder, device, max_length, ctx)}


def load_encoder(model: str, ctx: Context | None) -> tuple[Any, Any, str]:
    source = resolve_model(model, "text-embedder")
    device = pick_device()

    def loader() -> tuple[Any, Any]:
        from transformers import AutoModel, AutoTokenizer

        where = str(source.path) if source.path else source.hub_id
        tok = AutoTokenizer.from_pretrained(where)
        enc = AutoModel.from_pretrained(where).to(device).eval()
        return tok, enc

    tok, enc = get_runtime().load(f"text-embedder:{source.key}:{device}", loader, ctx=ctx, identity=source.identity)
    return tok, enc, device


def estimate_encoder(model: str) -> MemoryEstimate:
    """What ``load_encoder`` will hold: the weights in the checkpoint's own dtype (it loads
    with transformers' default, ``dtype="auto"``), under the same runtime key."""
    device = planned_device()
    try:
        source = resolve_model(model, "text-embedder")
    except NodeError as exc:
        return unknown(model, f"text-embedder:{model}", device, "", str(exc))
    return folder_estimate(source, f"text-embedder:{source.key}:{device}", device)


def embed(items: list[str], tokenizer: Any, encoder: Any, device: str, max_length: int, ctx: Context | None) -> Any:
    import numpy as np
    import torch

    dim = int(encoder.config.hidden_size)
    out = np.zeros((len(items), dim), dtype=np.float32)
    for start in range(0, len(items), BATCH):
        batch = tokenizer(items[start:start + BATCH], padding=True, truncation=True, max_length=max_length, return_tensors="pt").to(device)
        def forward(b: Any = batch) -> Any:
            return encoder(**b).last_hidden_state

        with torch.inference_mode():
            hidden = get_runtime().on_device(forward)
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        out[start:start + len(pooled)] = torch.nn.functional.normalize(pooled, p=2, dim=1).float().cpu().numpy()
        if ctx is not None:
            ctx.progress(min(1.0, (start + BATCH) / max(1, len(items))), f"embedded {min(len(items), start + BATCH)}/{len(items)}")
    return out


_DIMENSIONS: dict[str, tuple[Path, int, int | None]] = {}


def embedding_dimension(model: str) -> int | None:
    """The vector size from the model's config.json, without loading the model; remembered
    per model while its config file is unchanged (validation asks on every run)."""
    known = _DIMENSIONS.get(model)
    if known is not None:
        with contextlib.suppress(OSError):
            if known[0].stat().st_mtime_ns == known[1]:
                return known[2]
    return _read_dimension(model)


def _read_dimension(model: str) -> int | None:
    try:
        source = resolve_model(model, "text-embedder")
    except NodeError:
        return None
    config = source.path / "config.json" if source.path and source.path.is_dir() else None
    if config is None or not config.is_file():
        return None
    try:
        data = json.loads(config.read_text())
    except (OSError, ValueError):
        return None
    dim = data.get("hidden_size") or data.get("d_model") or data.get("dim")
    found = int(dim) if isinstance(dim, int) else None
    with contextlib.suppress(OSError):
        _DIMENSIONS[model] = (config, config.stat().st_mtime_ns, found)
    return found
