"""What a model node will weigh in memory once loaded, estimated before anything loads.

A model node answers ``Node.memory_estimate(values)`` with a ``MemoryEstimate``: the bytes
its model will hold on the device the runtime picks, at the dtype it will have there, read
from the model files' headers (never the weights). The analysis (``app.engine.analysis``)
adds them up against the model budget; two nodes whose estimates share a ``key`` share one
loaded model, as the model runtime shares it, and count once.

The rule for torch models: every tensor's elements times the bytes of its dtype in memory,
plus ``TENSOR_OVERHEAD_BYTES`` per tensor for the Python objects around it (the tensor, its
storage, its share of the modules), which is what matters for a model of a few MB.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

TENSOR_OVERHEAD_BYTES = 4096
"""A tensor's Python object, storage and share of its modules' objects: measured at about
2 KiB per tensor for bare ``nn.Linear`` modules and about 4 KiB for a diffusers pipeline,
whose modules hold more parameterless parts (torch 2.13, CPU)."""

DTYPE_BYTES: dict[str, int] = {
    "float64": 8, "float32": 4, "float16": 2, "bfloat16": 2, "int64": 8, "int32": 4, "int16": 2, "int8": 1,
    "uint8": 1, "bool": 1, "float8_e4m3fn": 1, "float8_e5m2": 1,
}
"""Bytes per element of the dtypes a model can hold, by torch's names."""

SAFETENSORS_DTYPES: dict[str, str] = {
    "F64": "float64", "F32": "float32", "F16": "float16", "BF16": "bfloat16", "I64": "int64", "I32": "int32",
    "I16": "int16", "I8": "int8", "U8": "uint8", "BOOL": "bool", "F8_E4M3": "float8_e4m3fn", "F8_E5M2": "float8_e5m2",
}
"""A safetensors header's dtype codes, as torch names them."""


@dataclass(frozen=True)
class MemoryEstimate:
    """One model node's model, as it will sit in memory."""

    model: str
    """The model's name as the node resolves it (a catalog name, a path, a hub id)."""
    key: str
    """What the model runtime shares it by: nodes with the same key load it once."""
    device: str
    dtype: str
    """The dtype its weights will have on ``device`` (``int8`` for an int8 CTranslate2 model)."""
    bytes: int | None
    """None: not known before loading (``note`` says why)."""
    parameters: int | None = None
    source: str = ""
    """How it was estimated, in words: which header was read."""
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def unknown(model: str, key: str, device: str, dtype: str, why: str) -> MemoryEstimate:
    """An estimate that has no number, saying why."""
    return MemoryEstimate(model=model, key=key, device=device, dtype=dtype, bytes=None, note=why)


def torch_bytes(numels: Iterable[int], dtype: str) -> int:
    """What tensors of these sizes weigh at ``dtype``, with their per-tensor overhead."""
    sizes = list(numels)
    return sum(sizes) * DTYPE_BYTES[dtype] + len(sizes) * TENSOR_OVERHEAD_BYTES


def human_bytes(n: int | None) -> str:
    """``1.2 GB``, ``85 MB``, ``3.6 MB`` (decimal units, as disks and budgets are written)."""
    if n is None:
        return "unknown"
    for unit, size in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n} B"
