"""Causal language models for the ``models.llm`` node: loading, the one generation call the
node (and the benchmark) use, and LoRA adapters on the shared model.

The weights come from ``nodes.models._llm_convert`` (a GGUF is converted once into a model
folder; a local folder or a hub id loads directly).

LoRA adapters are applied with peft on the one cached base model, not on a copy: the first
adapter wraps the base in a ``PeftModel`` (peft injects LoRA layers into its linear modules);
later adapters are added with ``load_adapter``, each under the name its content gives it and
kept in the model's ``AdapterSlots`` (``nodes.models._adapters``, shared with diffusion).
Adapter layers are switched on only for the duration of a generation that asked for an
adapter (``set_adapter`` + scale + ``enable_adapter_layers``) and switched off again in a
``finally``, so between calls the shared model computes exactly the base model: a LoRA layer
with adapters disabled calls its original ``nn.Linear`` and nothing else. Removing the adapter
edge therefore gives the base output bit for bit, with no second copy of the weights in memory.
All of this runs under the model's own lock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from nodes.api import NodeError
from nodes.memory import MemoryEstimate, torch_bytes, unknown
from nodes.models._adapters import AdapterSlots, adapter_folder
from nodes.models._llm_convert import (
    PROGRESS_INTERVAL_S,
    Progress,
    gguf_file,
    model_folder,
    prepared_folder,
)
from nodes.runtime.device import dtype_name, planned_device
from nodes.runtime.sources import ModelSource, resolve_model
from nodes.runtime.weights import folder_estimate, gguf_tensors

__all__ = ["LLM", "PROGRESS_INTERVAL_S", "chat_inputs", "estimate_llm", "generate", "generation_kwargs", "load_llm"]


# -- loading ------------------------------------------------------------------------------


@dataclass
class LLM:
    """A loaded causal LM with its tokenizer; what the runtime caches for one model."""

    model: Any
    tokenizer: Any
    device: str
    folder: str
    lock: threading.RLock = field(default_factory=threading.RLock)
    peft: Any = None
    adapters: AdapterSlots = field(default_factory=AdapterSlots)
    """The peft adapters loaded into ``peft``, by name."""

    # the runtime sizes cached models by their parameters
    def parameters(self) -> Iterator[Any]:
        return self.model.parameters()

    def buffers(self) -> Iterator[Any]:
        return self.model.buffers()


def load_llm(source: ModelSource, device: str, dtype: Any, progress: Progress | None = None) -> LLM:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    try:
        folder = model_folder(source, progress)
        tokenizer = AutoTokenizer.from_pretrained(folder)
        model = AutoModelForCausalLM.from_pretrained(folder, dtype=dtype)
    except (OSError, ValueError, KeyError) as exc:
        raise NodeError(f"model {source.name!r} could not be loaded as a causal language model: {exc}") from None
    # transformers wraps PreTrainedModel.to in functools.wraps, which the stubs type as an
    # unbound function (taking the device for self)
    model.to(device).eval()  # type: ignore[arg-type]
    return LLM(model, tokenizer, device, folder)


def estimate_llm(model: str) -> MemoryEstimate:
    """What ``load_llm`` will hold, under the LLM node's runtime key: every weight in the
    device's dtype. A GGUF is dequantised when it loads (float32 on the CPU), so its size on
    disk says little: its tensor infos give the element counts, or the safetensors header of
    its prepared folder (``genaisys models prepare``) where there is one."""
    device = planned_device()
    dtype = dtype_name(device)
    try:
        source = resolve_model(model, "llm")
    except NodeError as exc:
        return unknown(model, f"llm:{model}", device, dtype, str(exc))
    key = f"llm:{source.key}:{device}:torch.{dtype}"
    gguf = gguf_file(source.path) if source.path is not None else None
    if gguf is None:
        return folder_estimate(source, key, device, dtype)
    prepared = prepared_folder(gguf)
    if prepared is not None:
        found = folder_estimate(ModelSource(source.name, prepared), key, device, dtype)
        return replace(found, source=f"{found.source}, the prepared folder of {gguf.name}")
    try:
        tensors = gguf_tensors(gguf)
        size = torch_bytes(tensors.numels, dtype)
    except Exception as exc:  # the gguf reader raises what it meets: a bad file is an unknown size
        return unknown(source.name, key, device, dtype, f"cannot read the tensor infos of {gguf.name}: {exc}")
    return MemoryEstimate(model=source.name, key=key, device=device, dtype=dtype, bytes=size,
                          parameters=tensors.parameters,
                          source=f"GGUF tensor infos of {gguf.name} ({tensors.stored_dtype} stored, dequantised to {dtype})")


# -- prompts and generation ---------------------------------------------------------------


def chat_inputs(tokenizer: Any, prompt: str, system: str = "") -> dict[str, Any]:
    """Token ids (and attention mask) for one user turn, through the chat template."""
    messages = ([{"role": "system", "content": system}] if system.strip() else []) + [{"role": "user", "content": prompt}]
    if getattr(tokenizer, "chat_template", None):
        enc = tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt", return_dict=True)
    else:  # a base model without a template: plain text
        enc = tokenizer((system.strip() + "\n\n" if system.strip() else "") + prompt, return_tensors="pt")
    return {k: enc[k] for k in ("input_ids", "attention_mask") if k in enc}


def generation_kwargs(tokenizer: Any, max_tokens: int, temperature: float, top_p: float) -> dict[str, Any]:
    """``generate`` arguments: greedy when temperature is 0, else nucleus sampling."""
    kwargs: dict[str, Any] = {"max_new_tokens": int(max_tokens)}
    if temperature and temperature > 0:
        kwargs.update(do_sample=True, temperature=float(temperature), top_p=float(top_p))
    else:
        kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    if pad is not None:
        kwargs["pad_token_id"] = pad
    return kwargs


def generate(
    llm: LLM,
    prompt: str,
    *,
    system: str = "",
    max_tokens: int = 128,
    temperature: float = 0.0,
    top_p: float = 0.95,
    seed: int = 0,
    adapter: Mapping[str, Any] | None = None,
    on_text: Callable[[int, str], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> str:
    """Generate the reply to ``prompt``. ``on_text(tokens_so_far, text_so_far)`` is called
    as tokens arrive (at most every PROGRESS_INTERVAL_S, and once at the end) and may raise
    to abort; ``should_stop()`` is polled after every token."""
    import torch
    from transformers import StoppingCriteria, StoppingCriteriaList
    from transformers.generation.streamers import BaseStreamer

    tokenizer = llm.tokenizer
    enc = {k: v.to(llm.device) for k, v in chat_inputs(tokenizer, prompt, system).items()}
    kwargs = generation_kwargs(tokenizer, max_tokens, temperature, top_p)

    class Stream(BaseStreamer):
        def __init__(self) -> None:
            self.ids: list[int] = []
            self.prompt_seen = False
            self.last = 0.0

        def put(self, value: Any) -> None:
            if not self.prompt_seen:  # generate() first pushes the prompt
                self.prompt_seen = True
                return
            self.ids.extend(value.reshape(-1).tolist())
            now = time.perf_counter()
            if on_text is not None and now - self.last >= PROGRESS_INTERVAL_S:
                self.last = now
                on_text(len(self.ids), tokenizer.decode(self.ids, skip_special_tokens=True))

        def end(self) -> None:
            pass

    class Stop(StoppingCriteria):
        def __call__(self, input_ids: Any, scores: Any, **_: Any) -> Any:
            stop = bool(should_stop and should_stop())
            return torch.full((input_ids.shape[0],), stop, dtype=torch.bool, device=input_ids.device)

    if on_text is not None:
        kwargs["streamer"] = Stream()
    if should_stop is not None:
        kwargs["stopping_criteria"] = StoppingCriteriaList([Stop()])
    with llm.lock, _adapter_applied(llm, adapter), torch.inference_mode(), _seeded(seed, llm.device, kwargs["do_sample"]):
        out = llm.model.generate(**enc, **kwargs)
    new = out[0, enc["input_ids"].shape[1]:].tolist()
    text = tokenizer.decode(new, skip_special_tokens=True)
    if on_text is not None:
        on_text(len(new), text)
    return text.strip()


@contextmanager
def _seeded(seed: int, device: str, sampling: bool) -> Iterator[None]:
    """Seed torch's generator for this call only, restoring it afterwards."""
    if not sampling:
        yield
        return
    import torch

    devices = [torch.device(device).index or 0] if device.startswith("cuda") else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(int(seed))
        yield


# -- LoRA adapters --------------------------------------------------------------------------


@contextmanager
def _adapter_applied(llm: LLM, adapter: Mapping[str, Any] | None) -> Iterator[None]:
    """Within the block the model runs with ``adapter`` (or exactly the base when None)."""
    if adapter is None:
        yield
        return
    name = _ensure_adapter(llm, adapter)
    from peft.tuners.lora import LoraLayer
    from peft.tuners.tuners_utils import BaseTunerLayer

    peft = llm.peft
    peft.set_adapter(name, inference_mode=True)
    scale = float(adapter.get("scale", 1.0))
    for module in peft.modules():
        if isinstance(module, LoraLayer):
            module.set_scale(name, scale)
    for module in llm.model.modules():
        if isinstance(module, BaseTunerLayer):
            module.enable_adapters(True)
    try:
        yield
    finally:
        _disable_all(llm.model)


def _disable_all(model: Any) -> None:
    from peft.tuners.tuners_utils import BaseTunerLayer

    for module in model.modules():
        if isinstance(module, BaseTunerLayer):
            module.enable_adapters(False)


def _ensure_adapter(llm: LLM, adapter: Mapping[str, Any]) -> str:
    kind = adapter.get("kind")
    if kind != "lora":
        raise NodeError(f"the LLM takes LoRA adapters only, got an adapter of kind {kind!r}")
    given = str(adapter.get("path", ""))
    if adapter.get("format") == "safetensors" or given.endswith(".safetensors"):
        raise NodeError(f"{given!r} is a diffusion LoRA (.safetensors); a language model takes a peft adapter "
                        "folder (adapter_config.json and its weights)")
    path = adapter_folder(given)

    def load(name: str) -> None:
        try:
            from peft import PeftModel

            if llm.peft is None:
                llm.peft = PeftModel.from_pretrained(llm.model, str(path), adapter_name=name, is_trainable=False)
            else:
                llm.peft.load_adapter(str(path), adapter_name=name, is_trainable=False)
        except Exception as exc:  # a wrong base model, missing modules, a corrupt file
            raise NodeError(f"LoRA adapter {given!r} does not fit this model: {type(exc).__name__}: {exc}") from None
        finally:
            _disable_all(llm.model)  # also when peft failed half-way: the base must stay the base

    return llm.adapters.use(path, load, lambda old: llm.peft.delete_adapter(old))
