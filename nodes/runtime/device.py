"""Which device runs the models: ``cuda`` > ``mps`` > ``cpu``; the configured device
(``GENAISYS_DEVICE``, ``nodes.runtime.config``) overrides."""

from __future__ import annotations

import importlib.util
import os
import platform
import sys
from functools import lru_cache
from pathlib import Path
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


def planned_device() -> str:
    """The device ``pick_device`` will pick, for an analysis before any run: without
    importing torch where that is decided already (a device configured, torch imported, a
    torch built without CUDA on a machine without an Apple GPU); otherwise ``pick_device``."""
    wanted = current().device.strip().lower()
    if wanted or "torch" in sys.modules:
        return pick_device()
    if _torch_cuda_version() is None and not (sys.platform == "darwin" and platform.machine() == "arm64"):
        return "cpu"
    return pick_device()


def _torch_cuda_version() -> str | None:
    """``torch.version.cuda`` read from torch's ``version.py`` without importing torch
    ("" when torch is not there, so the caller asks ``pick_device``, which says so)."""
    spec = importlib.util.find_spec("torch")
    if spec is None or not spec.submodule_search_locations:
        return ""
    try:
        text = (Path(next(iter(spec.submodule_search_locations))) / "version.py").read_text()
    except OSError:
        return ""
    for line in text.splitlines():
        if line.startswith("cuda"):
            value = line.split("=", 1)[1].split("#", 1)[0].strip().strip("'\"")
            return None if value in ("None", "") else value
    return None


def dtype_name(device: str) -> str:
    """``default_dtype(device)`` by name: torch is imported only to ask a CUDA GPU."""
    if device.startswith("cuda"):
        return str(default_dtype(device)).removeprefix("torch.")
    return "float16" if device == "mps" else "float32"


def device_memory(device: str) -> tuple[int | None, int | None, str]:
    """(total bytes, available bytes, what memory it is) of the memory ``device`` holds models in:
    the GPU's on CUDA, the machine's RAM on the CPU and on Apple GPUs (unified memory)."""
    if device.startswith("cuda"):
        import torch

        free, whole = torch.cuda.mem_get_info(torch.device(device))
        return int(whole), int(free), f"GPU memory of {torch.cuda.get_device_name(torch.device(device))}"
    total, available = _ram()
    return total, available, "RAM (the CPU runs the models)" if device == "cpu" else "RAM (shared with the Apple GPU)"


def _ram() -> tuple[int | None, int | None]:
    """The machine's RAM and how much of it is available now (Linux: /proc/meminfo)."""
    try:
        info = dict(line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines() if ":" in line)
        total = int(info["MemTotal"].split()[0]) * 1024
        available = int(info.get("MemAvailable", info["MemFree"]).split()[0]) * 1024
        return total, available
    except (OSError, KeyError, ValueError):
        pass
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"), None
    except (OSError, ValueError, AttributeError):
        return None, None


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
