"""A LoRA adapter, picked from a local folder, for a model node to apply.

The output is a small, generic description — ``{"kind": "lora", "path", "scale", "sha256"}``
— that any model node may read: the LLM applies it with peft, a diffusion node with its own
LoRA loading. The sha256 covers the folder's config and weight files, so provenance says
exactly which adapter ran, and a changed adapter is never mistaken for the old one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nodes.api import Context, Input, Node, NodeError, Output


class LoraAdapter(Node):
    """A LoRA adapter (a peft adapter folder) to apply to a model, with a strength."""

    type_id = "models.lora_adapter"
    title = "LoRA adapter"
    inputs = (
        Input("path", "Text", default="", connectable=False,
              help="A local folder saved by peft (holds adapter_config.json and the adapter weights)"),
        Input("scale", "Number", default=1.0, min=-10.0, max=10.0, step=0.05,
              help="Strength: 1 as trained, 0 off, in between weaker"),
    )
    outputs = (Output("adapter", "Adapter"),)

    def run(self, ctx: Context, path: str = "", scale: float = 1.0) -> dict[str, Any]:
        from nodes.runtime.llm_loader import adapter_digest

        if not (path or "").strip():
            raise NodeError("no adapter folder given: set the path of a folder saved by peft")
        folder = Path(path.strip()).expanduser()
        if not folder.is_dir():
            raise NodeError(f"LoRA adapter folder {str(folder)!r} does not exist")
        if not (folder / "adapter_config.json").is_file():
            raise NodeError(f"{str(folder)!r} is not a peft adapter folder: it has no adapter_config.json")
        folder = folder.resolve()
        adapter = {"kind": "lora", "path": str(folder), "scale": float(scale), "sha256": adapter_digest(folder)}
        ctx.record("adapter", adapter)
        return {"adapter": adapter}
