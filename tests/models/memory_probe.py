"""Measure what one model really takes in memory when it loads, in a process of its own:
``python tests/models/memory_probe.py FAMILY [MODEL]`` prints one JSON line with the
analysis's estimate and the resident memory (RSS) the load added.

The measurement: import the libraries, then load the model once through the node's own
loading code and keep it (this pays what a process pays once, whatever the model: lazy
imports inside transformers and diffusers, tokenizer and allocator set-up); then RSS, a
second load of the same model through the same code into a fresh object, every weight read
once (as the first inference does: safetensors weights are mapped from the file and become
resident when read), RSS again. The growth is the model's own memory.
"""

from __future__ import annotations

import gc
import json
import sys
from collections.abc import Callable
from typing import Any


def rss() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def touch(value: Any) -> None:
    """Read every weight and buffer of the torch modules in ``value`` once."""
    import torch

    parts = value if isinstance(value, tuple) else (value,)
    modules = []
    for part in parts:
        components = getattr(part, "components", None)
        if isinstance(components, dict):
            modules += [c for c in components.values() if isinstance(c, torch.nn.Module)]
        elif isinstance(part, torch.nn.Module):
            modules.append(part)
    with torch.no_grad():
        for module in modules:
            for tensor in (*module.parameters(), *module.buffers()):
                tensor.sum()


def family(name: str, model: str | None) -> tuple[Any, Callable[[], Any]]:
    """(the node's estimate, a loader through the node's own code) for a model family."""
    import torch  # noqa: F401  (the libraries first)
    import transformers  # noqa: F401

    if name == "minilm":
        from nodes.encoders.text_embedder import TextEmbedder, load_encoder

        model = model or "all-MiniLM-L6-v2"
        return TextEmbedder.memory_estimate({"model": model}), lambda: load_encoder(model, None)[:2]
    if name == "smollm2":
        from nodes.models._llm import load_llm
        from nodes.models.llm import LLM
        from nodes.runtime.device import default_dtype, pick_device
        from nodes.runtime.sources import resolve_model

        model = model or "SmolLM2-135M-Instruct"
        device = pick_device()
        return LLM.memory_estimate({"model": model}), lambda: load_llm(resolve_model(model, "llm"), device,
                                                                      default_dtype(device)).model
    if name == "whisper":
        import ctranslate2  # noqa: F401
        import faster_whisper  # noqa: F401

        from nodes.models.speech_to_text import SpeechToText, load_whisper

        model = model or "whisper-tiny.en"
        return SpeechToText.memory_estimate({"model": model}), lambda: load_whisper(model)[0]
    if name == "tiny-sd":
        import diffusers  # noqa: F401

        from nodes.models._diffusion import load_diffusion
        from nodes.models.text_to_image import TextToImage

        model = model or "tiny-sd"
        return TextToImage.memory_estimate({"model": model}), lambda: load_diffusion(model).pipe
    if name == "clip":
        from nodes.encoders import _clip
        from nodes.encoders.clip_text import ClipTextEncoder

        assert model, "give the CLIP folder"
        return ClipTextEncoder.memory_estimate({"model": model}), lambda: _clip.load(model, None)[:2]
    raise SystemExit(f"unknown family {name!r}")


def measure(name: str, model: str | None = None) -> dict[str, Any]:
    from nodes.runtime import get_runtime

    estimate, load = family(name, model)
    first = load()  # kept: what a process pays once is paid here
    touch(first)
    get_runtime().clear()  # forget it, so the next load makes a new one
    gc.collect()
    before = rss()
    second = load()
    touch(second)
    gc.collect()
    after = rss()
    assert second is not first
    return {"family": name, "model": estimate.model, "estimate": estimate.bytes, "measured": after - before,
            "dtype": estimate.dtype, "source": estimate.source}


if __name__ == "__main__":
    print(json.dumps(measure(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None)))
