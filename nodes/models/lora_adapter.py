"""A LoRA adapter, picked from a local folder or file, for a model node to apply.

The output is a small, generic description — ``{"kind": "lora", "path", "scale", "sha256", "format"}``
— that any model node may read: the LLM applies it with peft, a diffusion node with its own
LoRA loading (peft folders and diffusers/kohya ``.safetensors`` files, what
``save_lora_weights`` writes). The sha256 covers the adapter's config and weight files, so provenance says
exactly which adapter ran, and a changed adapter is never mistaken for the old one.
The folder, and every file in it, goes through the file fence; the output names it as the
user wrote it, and the model node that applies it resolves it through the fence again (an
adapter value can also be typed by hand, through a JSON node).
"""

from __future__ import annotations

from typing import Any

from nodes.api import Context, Input, Node, NodeError, Output


class LoraAdapter(Node):
    """A LoRA adapter to apply to a model, with a strength: a peft adapter folder (LLMs and
    diffusion), or a diffusers/kohya ``.safetensors`` file — or a folder holding one, as
    ``save_lora_weights`` writes it — for diffusion."""

    type_id = "models.lora_adapter"
    title = "LoRA adapter"
    inputs = (
        Input("path", "Text", default="", connectable=False,
              help="A peft adapter folder (adapter_config.json and weights), or a diffusion LoRA "
                   ".safetensors file (diffusers or kohya format) or the folder holding it"),
        Input("scale", "Number", default=1.0, min=-10.0, max=10.0, step=0.05,
              help="Strength: 1 as trained, 0 off, in between weaker"),
    )
    outputs = (Output("adapter", "Adapter"),)

    def run(self, ctx: Context, path: str = "", scale: float = 1.0) -> dict[str, Any]:
        if not (path or "").strip():
            raise NodeError("no adapter given: set the path of a peft adapter folder or a LoRA .safetensors file")
        given, digest, form = locate(path.strip())
        adapter = {"kind": "lora", "path": given, "scale": float(scale), "sha256": digest, "format": form}
        ctx.record("adapter", adapter)
        return {"adapter": adapter}


def locate(given: str) -> tuple[str, str, str]:
    """``(path as the user wrote it, sha256, "peft" | "safetensors")`` of the adapter ``given``
    names, through the file fence with every file in it. A folder without adapter_config.json
    that holds exactly one ``.safetensors`` file stands for that file."""
    from nodes.models._adapters import adapter_folder, adapter_sha256
    from nodes.runtime.paths import check_tree, resolve_path

    real = resolve_path(given, what="LoRA adapter")
    check_tree(real, given, "LoRA adapter")
    if real.is_dir() and (real / "adapter_config.json").is_file():
        return given, adapter_sha256(adapter_folder(given)), "peft"
    if real.is_dir():
        weights = sorted(p for p in real.iterdir() if p.is_file() and p.suffix == ".safetensors")
        if len(weights) != 1:
            found = f"{len(weights)} .safetensors files" if weights else "no .safetensors file"
            raise NodeError(f"{given!r} is neither a peft adapter folder (it has no adapter_config.json) nor a "
                            f"diffusion LoRA folder (it holds {found}, not one): name the adapter's file")
        given, real = f"{given.rstrip('/')}/{weights[0].name}", weights[0]
    if real.suffix != ".safetensors":
        raise NodeError(f"{given!r} is not a LoRA adapter: give a peft adapter folder or a .safetensors file")
    return given, adapter_sha256(real), "safetensors"
