"""GGUF models for the LLM node: converted once into a model folder that loads fast.

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
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, overload

from nodes.api import NodeError
from nodes.runtime.paths import data_dir
from nodes.runtime.sources import ModelSource, file_sha256, models_dir

__all__ = ["PROGRESS_INTERVAL_S", "Progress", "convert_gguf", "converted_folder", "gguf_file", "is_converted", "model_folder",
           "prepared_folder"]

PROGRESS_INTERVAL_S = 0.1
"""Progress is reported at most this often (the canvas redraws at about 10 Hz)."""

Progress = Callable[[float, str], None]
"""``progress(fraction, message)`` of a long step (a conversion, a load)."""


def model_folder(source: ModelSource, progress: Progress | None = None) -> str:
    """A folder (or hub id) that ``from_pretrained`` loads directly; a GGUF file is
    converted first (once, kept under ``models_dir()``)."""
    if source.path is None:
        return source.hub_id or source.name
    gguf = gguf_file(source.path)
    if gguf is not None:
        return str(convert_gguf(gguf, converted_folder(source, gguf), progress=progress))
    if source.path.is_dir():
        return str(source.path)
    raise NodeError(f"model {source.name!r} is a file, but not a GGUF file: give a model folder, a .gguf file or a hub id")


def gguf_file(path: Path) -> Path | None:
    """The GGUF file a model path names (the file, or the one GGUF in a folder without a config)."""
    if path.is_dir() and not (path / "config.json").exists():
        ggufs = sorted(path.glob("*.gguf"))
        if len(ggufs) == 1:
            path = ggufs[0]
    return path if path.is_file() and path.suffix.lower() == ".gguf" else None


@overload
def converted_folder(source: ModelSource, gguf: Path) -> Path: ...
@overload
def converted_folder(source: ModelSource, gguf: None = None) -> Path | None: ...


def converted_folder(source: ModelSource, gguf: Path | None = None) -> Path | None:
    """Where a GGUF model's converted folder lives (whether or not it is there yet); None
    for a model that needs no conversion."""
    gguf = gguf or (gguf_file(source.path) if source.path is not None else None)
    if gguf is None:
        return None
    sha = str(source.identity.get("sha256") or file_sha256(gguf))
    return models_dir() / f"{_stem(gguf)}-{sha[:12]}"


def is_converted(folder: Path) -> bool:
    return _complete(folder)


def prepared_folder(gguf: Path) -> Path | None:
    """The complete converted folder of ``gguf`` if there is one: found by what its
    ``genaisys.json`` says it was converted from (no hashing), else by the file's sha256, as
    ``model_folder`` names it (a folder converted from a copy of the same file elsewhere)."""
    candidates = sorted((data_dir() / "models").glob(f"{_stem(gguf)}-*"))
    for folder in candidates:
        try:
            made_from = json.loads((folder / "genaisys.json").read_text()).get("converted_from")
        except (OSError, ValueError, AttributeError):
            continue
        if isinstance(made_from, str) and _same_file(made_from, gguf) and _complete(folder):
            return folder
    if not any(_complete(f) for f in candidates):
        return None  # nothing converted: no need to hash the file to say so
    from nodes.runtime.sources import identity_of

    named = data_dir() / "models" / f"{_stem(gguf)}-{identity_of(gguf.name, gguf)['sha256'][:12]}"
    return named if _complete(named) else None


def _same_file(recorded: str, gguf: Path) -> bool:
    """Is the recorded source ``gguf``, however it was spelled (a linked environment)?"""
    if recorded == str(gguf):
        return True
    try:
        return Path(recorded).resolve() == gguf.resolve()
    except OSError:
        return False


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
    # from_pretrained sets hf_quantizer without declaring it; torch types Module.__setattr__
    # for tensors and modules only
    model.hf_quantizer = None  # type: ignore[assignment]
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
