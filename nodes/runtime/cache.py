"""Loaded models, shared across nodes and runs, least recently used out first within a
memory budget.

A node asks ``runtime.load(key, loader, ctx=ctx)``: the first call runs ``loader`` (once,
even when two runs ask at the same time), later calls get the same object. Each use is
written into the run's provenance — which model, its identity, and whether this run loaded
it or found it loaded — so "a second run loads no model" is visible in the run record.
On CUDA out-of-memory, ``on_device`` unloads every other model and tries once more.
"""

from __future__ import annotations

import gc
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from nodes.api import Context, NodeError
from nodes.runtime.config import current
from nodes.runtime.device import is_out_of_memory

T = TypeVar("T")


@dataclass
class Loaded:
    key: str
    value: Any
    nbytes: int
    identity: dict[str, Any]
    load_s: float


class ModelRuntime:
    def __init__(self, budget_bytes: int | None = None) -> None:
        self.budget_bytes = budget_bytes if budget_bytes is not None else _default_budget()
        self._models: OrderedDict[str, Loaded] = OrderedDict()
        self._lock = threading.Lock()
        self._loading: dict[str, threading.Lock] = {}
        self.loads = 0

    def __contains__(self, key: str) -> bool:
        return key in self._models

    @property
    def nbytes(self) -> int:
        return sum(m.nbytes for m in self._models.values())

    def load(self, key: str, loader: Callable[[], Any], *, ctx: Context | None = None,
             identity: dict[str, Any] | None = None, nbytes: int | None = None) -> Any:
        """The model for ``key``, loading it with ``loader`` if no run has yet. ``nbytes``
        is the model's memory where its weights are not torch tensors (CTranslate2)."""
        with self._lock:
            entry = self._models.get(key)
            if entry is not None:
                self._models.move_to_end(key)
            gate = self._loading.setdefault(key, threading.Lock())
        if entry is not None and (fresh := _changed_identity(entry.identity, identity)) is not None:
            self.unload(key)  # its weights changed on disk since it was loaded: load what is there now
            entry, identity = None, fresh
        if entry is None:
            with gate:  # one loader per key; the others wait and then share
                entry = self._models.get(key)
                if entry is None:
                    if ctx is not None:
                        ctx.progress(0.0, f"loading {identity.get('name', key) if identity else key}")
                    t0 = time.perf_counter()
                    value = loader()
                    entry = Loaded(key, value, nbytes or model_nbytes(value),
                                   {**placement(value), **(identity or {"name": key})}, time.perf_counter() - t0)
                    with self._lock:
                        self._models[key] = entry
                        self.loads += 1
                        self._evict(keep=key)
                    _note(ctx, entry, loaded=True)
                    return entry.value
        _note(ctx, entry, loaded=False)
        return entry.value

    def unload(self, key: str) -> bool:
        with self._lock:
            entry = self._models.pop(key, None)
        if entry is None:
            return False
        del entry  # the last reference: the weights can be freed now
        _free_memory()
        return True

    def clear(self) -> None:
        with self._lock:
            self._models.clear()
        _free_memory()

    def on_device(self, fn: Callable[[], T], *, keep: str | None = None) -> T:
        """Run ``fn``; on GPU out-of-memory unload the other models and try once more."""
        try:
            return fn()
        except Exception as exc:
            if not is_out_of_memory(exc):
                raise
        with self._lock:
            for key in [k for k in self._models if k != keep]:
                del self._models[key]
        _free_memory()
        try:
            return fn()
        except Exception as exc:
            if is_out_of_memory(exc):
                raise NodeError(
                    "the GPU ran out of memory even with every other model unloaded: use a smaller model, "
                    "fewer tokens or a smaller image, or run on the CPU with GENAISYS_DEVICE=cpu"
                ) from None
            raise

    def _evict(self, keep: str) -> None:
        """Drop least recently used models until the rest fit the budget (never ``keep``)."""
        total = sum(m.nbytes for m in self._models.values())
        for key in list(self._models):
            if total <= self.budget_bytes:
                break
            if key == keep:
                continue
            total -= self._models.pop(key).nbytes
        _free_memory()


def _note(ctx: Context | None, entry: Loaded, *, loaded: bool) -> None:
    if ctx is None:
        return
    record = {**entry.identity, "loaded": loaded}
    if loaded:
        record["load_s"] = round(entry.load_s, 3)
    ctx.record(f"model:{entry.identity.get('name', entry.key)}", record)


def _changed_identity(loaded: dict[str, Any], given: dict[str, Any] | None) -> dict[str, Any] | None:
    """The identity of a loaded model's weights as they are on disk now, when that is no
    longer what was loaded (a file swapped under the same path); None while it is the same.
    Cheap on the warm path: a file's sha256 is remembered by its path, size and time."""
    old, path = loaded.get("sha256"), loaded.get("path")
    if not old or not path:
        return None
    now = dict(given) if given and given.get("sha256") else None
    if now is None:
        from pathlib import Path

        from nodes.runtime.sources import identity_of

        try:
            current = identity_of(str(loaded.get("name", path)), Path(path))
        except OSError:  # gone: loading again fails with the loader's own clear error
            current = {"sha256": None}
        now = {**loaded, "sha256": current["sha256"]}
        now.pop("loaded", None)
    return now if now["sha256"] != old else None


def placement(value: Any) -> dict[str, str]:
    """Where a model's weights are and in what precision (``device``, ``dtype``), from its
    first torch parameter (a module, a pipeline's, or one inside a tuple); {} for others."""
    parts = list(value.components.values()) if hasattr(value, "components") else (
        list(value) if isinstance(value, tuple | list) else [value])
    for part in parts:
        if hasattr(part, "parameters"):
            for tensor in part.parameters():
                return {"device": str(tensor.device), "dtype": str(tensor.dtype).removeprefix("torch.")}
    return {}


def model_nbytes(value: Any) -> int:
    """Bytes of a model's weights: torch modules and pipelines by their parameters."""
    seen: set[int] = set()

    def module_bytes(module: Any) -> int:
        total = 0
        for tensor in (*module.parameters(), *module.buffers()):
            if id(tensor) not in seen:
                seen.add(id(tensor))
                total += tensor.element_size() * tensor.nelement()
        return total

    if hasattr(value, "parameters") and hasattr(value, "buffers"):
        return module_bytes(value)
    if hasattr(value, "components"):  # a diffusers pipeline
        return sum(module_bytes(c) for c in value.components.values() if hasattr(c, "parameters"))
    parts = value.values() if isinstance(value, dict) else value if isinstance(value, tuple | list) else ()
    return sum(model_nbytes(v) for v in parts) or 1


def _free_memory() -> None:
    gc.collect()
    try:
        import torch

        if torch.cuda.is_available():
            torch.cuda.empty_cache()
    except ImportError:  # pragma: no cover
        pass


def _default_budget() -> int:
    return current().model_budget_bytes


_RUNTIME: ModelRuntime | None = None
_RUNTIME_LOCK = threading.Lock()


def get_runtime() -> ModelRuntime:
    """The process-wide runtime every model node shares."""
    global _RUNTIME
    with _RUNTIME_LOCK:
        if _RUNTIME is None:
            _RUNTIME = ModelRuntime()
        return _RUNTIME
