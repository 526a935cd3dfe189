"""Causal language models for the ``models.llm`` node: where the weights come from, how they
are loaded, and the one generation call the node (and the benchmark) use.

GGUF files (the shipped SmolLM2-135M-Instruct is a Q4_1 GGUF) load through transformers'
``gguf_file=``, which dequantises every tensor and takes about 20 s here. So a GGUF is
converted once into a normal model folder, ``models_dir()/<stem>-<first 12 of sha256>``, and
that folder (about 3 s to load) is what runs. The conversion strips the GGUF quantizer marker
from the model and its config (the weights are plain float32 after dequantisation), saves
model and tokenizer into a temporary folder and renames it into place, under a file lock, so
two processes converting at once leave one complete folder and never a half-written one.
The conversion reports its phases as progress (tokenizer, reading the file, each tensor,
saving), so a node or ``genaisys models prepare`` shows a moving bar with what it is doing.
A local model folder or a hub id loads directly.

LoRA adapters are applied with peft on the one cached base model, not on a copy: the first
adapter wraps the base in a ``PeftModel`` (peft injects LoRA layers into its linear modules);
later adapters are added with ``load_adapter`` under a name taken from their content hash.
Adapter layers are switched on only for the duration of a generation that asked for an
adapter (``set_adapter`` + scale + ``enable_adapter_layers``) and switched off again in a
``finally``, so between calls the shared model computes exactly the base model: a LoRA layer
with adapters disabled calls its original ``nn.Linear`` and nothing else. Removing the adapter
edge therefore gives the base output bit for bit, with no second copy of the weights in memory.
All of this runs under the model's own lock.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nodes.api import NodeError
from nodes.runtime.sources import ModelSource, file_sha256, models_dir

__all__ = [
    "LLM",
    "adapter_digest",
    "adapter_folder",
    "chat_inputs",
    "convert_gguf",
    "converted_folder",
    "generate",
    "generation_kwargs",
    "is_converted",
    "load_llm",
    "model_folder",
]

MAX_ADAPTERS = 4
"""Adapters kept loaded per model; the least recently used one is deleted beyond this."""

PROGRESS_INTERVAL_S = 0.1

Progress = Callable[[float, str], None]
"""``progress(fraction, message)`` of a long step (a conversion, a load)."""
"""The text so far is reported at most this often (the canvas redraws at about 10 Hz)."""


# -- where the weights come from ------------------------------------------------------------


def model_folder(source: ModelSource, progress: Progress | None = None) -> str:
    """A folder (or hub id) that ``from_pretrained`` loads directly; a GGUF file is
    converted first (once, kept under ``models_dir()``)."""
    if source.path is None:
        return source.hub_id or source.name
    gguf = _gguf_file(source.path)
    if gguf is not None:
        return str(convert_gguf(gguf, converted_folder(source, gguf), progress=progress))
    if source.path.is_dir():
        return str(source.path)
    raise NodeError(f"model {source.name!r} is a file, but not a GGUF file: give a model folder, a .gguf file or a hub id")


def _gguf_file(path: Path) -> Path | None:
    """The GGUF file a model path names (the file, or the one GGUF in a folder without a config)."""
    if path.is_dir() and not (path / "config.json").exists():
        ggufs = sorted(path.glob("*.gguf"))
        if len(ggufs) == 1:
            path = ggufs[0]
    return path if path.is_file() and path.suffix.lower() == ".gguf" else None


def converted_folder(source: ModelSource, gguf: Path | None = None) -> Path | None:
    """Where a GGUF model's converted folder lives (whether or not it is there yet); None
    for a model that needs no conversion."""
    gguf = gguf or (_gguf_file(source.path) if source.path is not None else None)
    if gguf is None:
        return None
    sha = str(source.identity.get("sha256") or file_sha256(gguf))
    return models_dir() / f"{_stem(gguf)}-{sha[:12]}"


def is_converted(folder: Path) -> bool:
    return _complete(folder)


def _stem(gguf: Path) -> str:
    """``SmolLM2-135M-Instruct.Q4_1.gguf`` -> ``SmolLM2-135M-Instruct``."""
    return gguf.name.split(".", 1)[0] or gguf.stem


def convert_gguf(gguf: Path, target: Path, progress: Progress | None = None) -> Path:
    """Convert ``gguf`` into the model folder ``target`` unless it is there already.

    Safe against concurrent converters: a file lock serialises them, and the folder appears
    only complete (written to a temporary sibling, then renamed)."""
    if _complete(target):
        return target
    from filelock import FileLock

    target.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(target) + ".lock", timeout=600):
        if _complete(target):
            return target  # another process converted it while we waited
        report = progress or (lambda fraction, message: None)
        report(0.0, f"converting {gguf.name} to a model folder (once, about 20 s)")
        for stale in target.parent.glob(f".{target.name}.*"):  # left by a converter that was killed
            shutil.rmtree(stale, ignore_errors=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
        tmp.chmod(0o755)  # mkdtemp makes it private; the model folder is not a secret
        try:
            t0 = time.perf_counter()
            _convert_into(gguf, tmp, report)
            (tmp / "genaisys.json").write_text(json.dumps({
                "converted_from": str(gguf), "convert_s": round(time.perf_counter() - t0, 2),
            }, indent=2))
            if target.exists():  # an incomplete leftover (we hold the lock): replace it
                shutil.rmtree(target)
            try:
                os.replace(tmp, target)
            except OSError:
                if not _complete(target):  # lost a race without the lock (another host): fine if theirs is whole
                    raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def _complete(folder: Path) -> bool:
    return (folder / "config.json").is_file() and (folder / "genaisys.json").is_file()


def _convert_into(gguf: Path, folder: Path, report: Progress) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    name = gguf.name
    report(0.02, f"converting {name}: reading its tokenizer")
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=name)
    report(0.2, f"converting {name}: reading the file")
    with _tensor_progress(lambda done, total: report(0.2 + 0.6 * done / total,
                                                     f"converting {name}: tensor {done} of {total}")):
        model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=name, dtype=torch.float32)
    report(0.85, f"converting {name}: saving the model folder")
    # The weights are dequantised floats now; the GGUF marker would make transformers treat
    # the saved folder as a quantized checkpoint (and refuse to save or reload it).
    model.hf_quantizer = None
    for holder in (model, model.config):
        for attr in ("quantization_config", "quantization_method"):
            if attr in vars(holder):
                delattr(holder, attr)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    report(1.0, f"converted {name}")


_TQDM_LOCK = threading.Lock()


@contextmanager
def _tensor_progress(on_tensor: Callable[[int, int], None]) -> Iterator[None]:
    """Report transformers' GGUF tensor loop (its one progress hook is a tqdm bar) as
    ``on_tensor(done, total)``, at most every ``PROGRESS_INTERVAL_S``. The module's ``tqdm``
    is swapped for the duration, under a lock, so two conversions never share one."""
    from transformers import modeling_gguf_pytorch_utils as gguf_utils

    def counted(items: Any, *args: Any, **kwargs: Any) -> Iterator[Any]:
        items = list(items)
        last = 0.0
        for done, item in enumerate(items, 1):
            yield item
            now = time.monotonic()
            if now - last >= PROGRESS_INTERVAL_S or done == len(items):
                last = now
                on_tensor(done, len(items))

    with _TQDM_LOCK:
        original = gguf_utils.tqdm
        gguf_utils.tqdm = counted
        try:
            yield
        finally:
            gguf_utils.tqdm = original


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
    adapters: OrderedDict[str, str] = field(default_factory=OrderedDict)
    """peft adapter name -> adapter folder, most recently used last."""

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
    model.to(device).eval()
    return LLM(model, tokenizer, device, folder)


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


def adapter_folder(given: str) -> Path:
    """The peft adapter folder ``given`` names, through the file fence with every file in it
    (peft opens them all, following links): for the adapter node, and again for an adapter
    value that reaches the LLM, which may have been typed by hand."""
    from nodes.runtime.paths import check_tree, resolve_path

    folder = resolve_path(given, what="LoRA adapter folder", must_be="dir")
    check_tree(folder, given, "LoRA adapter folder")
    if not (folder / "adapter_config.json").is_file():
        raise NodeError(f"{given!r} is not a peft adapter folder: it has no adapter_config.json")
    return folder


def adapter_digest(folder: Path) -> str:
    """sha256 over a peft adapter folder's config and weight files (names and contents)."""
    digest = hashlib.sha256()
    for f in sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in (".json", ".safetensors", ".bin")):
        digest.update(f.name.encode() + b"\0" + file_sha256(f).encode())
    return digest.hexdigest()


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
    name = "lora_" + str(adapter.get("sha256") or adapter_digest(path))[:16]
    if name in llm.adapters:
        llm.adapters.move_to_end(name)
        return name
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
    llm.adapters[name] = str(path)
    while len(llm.adapters) > MAX_ADAPTERS:
        old, _ = llm.adapters.popitem(last=False)
        llm.peft.delete_adapter(old)
    return name
