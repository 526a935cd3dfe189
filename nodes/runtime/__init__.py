"""The model runtime: where models come from, which device runs them, and the shared cache
that loads each model once per process. Nothing here imports torch until a node runs."""

import os

# Model loading prints no progress bars of its own (the run's events carry progress), and
# nothing phones home.
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from nodes.runtime.cache import ModelRuntime, get_runtime  # noqa: E402
from nodes.runtime.device import pick_device  # noqa: E402
from nodes.runtime.sources import ModelSource, resolve_model  # noqa: E402

__all__ = ["ModelRuntime", "ModelSource", "get_runtime", "pick_device", "resolve_model"]
