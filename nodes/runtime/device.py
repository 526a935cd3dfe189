"""Which device runs the models: ``cuda`` > ``mps`` > ``cpu``; the configured device
(``GENAISYS_DEVICE``, ``nodes.runtime.config``) overrides."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from nodes.api import NodeError
from nodes.runtime.config import current

DEVICES = ("cuda", "mps", "cpu")


@lru_cache(maxsize=1)
def pick_device() -> str:
    import torch

    wanted = current().device.strip().lower()
    if wanted:
        base = wanted.split(":", 1)[0]
        if base not in DEVICES:
            raise NodeError(f"GENAISYS_DEVICE={wanted!r} is not a device; use one of {', '.join(DEVICES)}")
        if base == "cuda" and not torch.cuda.is_available():
            raise NodeError("GENAISYS_DEVICE asks for cuda, but torch sees no CUDA GPU here")
        if base == "mps" and not torch.backends.mps.is_available():
            raise NodeError("GENAISYS_DEVICE asks for mps, but this machine has no Apple GPU")
        return wanted
    if torch.cuda.is_available():
        return "cuda"
    if torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def default_dtype(device: str) -> Any:
    """float16 on GPUs (bfloat16 where CUDA supports it), float32 on the CPU."""
    import torch

    if device.startswith("cuda"):
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if device == "mps":
        return torch.float16
    return torch.float32


def is_gpu(device: str) -> bool:
    return not device.startswith("cpu")


def is_out_of_memory(exc: BaseException) -> bool:
    try:
        import torch

        if isinstance(exc, torch.cuda.OutOfMemoryError):
            return True
    except ImportError:  # pragma: no cover
        pass
    return isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()
