"""The model runtime: where models come from, which device runs them, and the shared cache
that loads each model once per process. Nothing here imports torch until a node runs."""

from nodes.runtime.cache import ModelRuntime, get_runtime
from nodes.runtime.device import pick_device
from nodes.runtime.sources import ModelSource, resolve_model

__all__ = ["ModelRuntime", "ModelSource", "get_runtime", "pick_device", "resolve_model"]
