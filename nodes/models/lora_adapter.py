"""A LoRA adapter, picked from a local folder, for a model node to apply.

The output is a small, generic description — ``{"kind": "lora", "path", "scale", "sha256"}``
— that any model node may read: the LLM applies it with peft, a diffusion node with its own
LoRA loading. The sha256 covers the folder's config and weight files, so provenance says
exactly which adapter ran, and a changed adapter is never mistaken for the old one.
The folder, and every file in it, goes through the file fence; the output names it as the
user wrote it, and the model node that applies it resolves it through the fence again (an
adapter value can also be typed by hand, through a JSON node).
"""

from __future__ import annotations

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
        from nodes.runtime.llm_loader import adapter_digest, adapter_folder

        if not (path or "").strip():
            raise NodeError("no adapter folder given: set the path of a folder saved by peft")
        given = path.strip()
        folder = adapter_folder(given)
        adapter = {"kind": "lora", "path": given, "scale": float(scale), "sha256": adapter_digest(folder)}
        ctx.record("adapter", adapter)
        return {"adapter": adapter}

