"""The tensors a model file holds, read from its header: never the weights.

A safetensors file starts with an 8-byte length and a JSON header naming every tensor's
dtype and shape; a GGUF file lists its tensor infos (read with the ``gguf`` package, which
maps the file but touches only the header); a folder holds one or more safetensors files.
What was read is remembered per file (path, size, modification time), so analysing a graph
again costs nothing. Nothing here imports torch.
"""

from __future__ import annotations

import json
import math
import struct
import threading
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from nodes.memory import SAFETENSORS_DTYPES, MemoryEstimate, torch_bytes, unknown
from nodes.runtime.sources import ModelSource

MAX_HEADER_BYTES = 100 * 1024 * 1024
"""A safetensors header larger than this is not one (the format caps it at 100 MB)."""


@dataclass(frozen=True)
class Tensors:
    """The tensors of a model file or folder: each one's element count and stored dtype."""

    numels: tuple[int, ...]
    dtypes: tuple[str, ...]
    files: tuple[Path, ...]

    @property
    def parameters(self) -> int:
        return sum(self.numels)

    @property
    def stored_dtype(self) -> str:
        """The dtype most elements are stored in (``float32``; ``q4_1`` in a GGUF)."""
        counts: Counter[str] = Counter()
        for numel, dtype in zip(self.numels, self.dtypes, strict=True):
            counts[dtype] += numel
        return counts.most_common(1)[0][0] if counts else "float32"

    def __add__(self, other: Tensors) -> Tensors:
        return Tensors(self.numels + other.numels, self.dtypes + other.dtypes, self.files + other.files)


NO_TENSORS = Tensors((), (), ())

_CACHE: dict[tuple[str, int, int], Tensors] = {}
_LOCK = threading.Lock()


def _remembered(path: Path) -> Tensors | None:
    st = path.stat()
    with _LOCK:
        return _CACHE.get((str(path), st.st_size, st.st_mtime_ns))


def _remember(path: Path, tensors: Tensors) -> Tensors:
    st = path.stat()
    with _LOCK:
        _CACHE[(str(path), st.st_size, st.st_mtime_ns)] = tensors
    return tensors


def safetensors_tensors(path: Path) -> Tensors:
    """The tensors of one ``.safetensors`` file, from its JSON header (ValueError if the
    file is not one)."""
    known = _remembered(path)
    if known is not None:
        return known
    with path.open("rb") as handle:
        head = handle.read(8)
        if len(head) != 8:
            raise ValueError(f"{path.name} is too short to be a safetensors file")
        (size,) = struct.unpack("<Q", head)
        if size > MAX_HEADER_BYTES:
            raise ValueError(f"{path.name} is not a safetensors file (its header length is {size})")
        try:
            header = json.loads(handle.read(size))
            if not isinstance(header, dict):
                raise ValueError("its header is not a JSON object")
            header.pop("__metadata__", None)
            numels = [math.prod(int(d) for d in info["shape"]) for info in header.values()]
            dtypes = [SAFETENSORS_DTYPES.get(str(info["dtype"]), str(info["dtype"]).lower()) for info in header.values()]
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path.name} is not a safetensors file ({type(exc).__name__}: {exc})") from None
    return _remember(path, Tensors(tuple(numels), tuple(dtypes), (path,)))


def folder_tensors(folder: Path) -> Tensors:
    """The tensors of every ``.safetensors`` file directly in ``folder`` (sharded files
    included); NO_TENSORS when it has none (weights in a pickle, or no weights)."""
    total = NO_TENSORS
    for path in sorted(folder.glob("*.safetensors")):
        total = total + safetensors_tensors(path)
    return total


def gguf_tensors(path: Path) -> Tensors:
    """The tensors of a GGUF file from its tensor infos; dtypes are GGUF's own (``q4_1``)."""
    known = _remembered(path)
    if known is not None:
        return known
    from gguf import GGUFReader

    reader = GGUFReader(str(path))
    numels = tuple(int(t.n_elements) for t in reader.tensors)
    dtypes = tuple(t.tensor_type.name.lower() for t in reader.tensors)
    return _remember(path, Tensors(numels, dtypes, (path,)))


def config_dtype(folder: Path) -> str | None:
    """The dtype a model folder's ``config.json`` declares (``dtype`` or ``torch_dtype``),
    which is what transformers loads it in by default (``dtype="auto"``)."""
    try:
        config = json.loads((folder / "config.json").read_text())
    except (OSError, ValueError):
        return None
    value = config.get("dtype") or config.get("torch_dtype") if isinstance(config, dict) else None
    return value if isinstance(value, str) else None


def folder_estimate(source: ModelSource, key: str, device: str, dtype: str | None = None) -> MemoryEstimate:
    """The estimate for a transformers model at ``source`` (a folder of safetensors, or one
    such file) loaded in ``dtype``; None: the checkpoint's own (transformers' ``dtype="auto"``)."""
    if source.path is None:
        return unknown(source.name, key, device, dtype or "",
                       f"{source.name!r} is a hub id not in the local cache: its size is known once it is downloaded")
    path = source.path
    try:
        tensors = folder_tensors(path) if path.is_dir() else safetensors_tensors(path)
        if not tensors.numels:
            return unknown(source.name, key, device, dtype or "",
                           f"{path} holds no .safetensors weights to read sizes from (a pickled checkpoint is not opened before it loads)")
        dtype = dtype or config_dtype(path if path.is_dir() else path.parent) or tensors.stored_dtype
        size = torch_bytes(tensors.numels, dtype)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return unknown(source.name, key, device, dtype or "", f"cannot read the weights' header of {path.name}: {exc}")
    return MemoryEstimate(model=source.name, key=key, device=device, dtype=dtype, bytes=size,
                          parameters=tensors.parameters, source=f"safetensors header of {', '.join(f.name for f in tensors.files)} "
                          f"({tensors.stored_dtype} stored, {dtype} in memory)")
