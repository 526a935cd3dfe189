"""The node runtime's configuration: one object, and the one place nodes read ``GENAISYS_*``.

``RuntimeConfig`` holds what the nodes need to know about their process: the data directory
(models, stores, uploads), the folders graphs may read (the file fence), the device, the
model cache's budget and the custom node folders. ``RuntimeConfig.from_env()`` reads them
from the environment, with the defaults below; the server builds one from its settings
(``app.settings.Settings.runtime()``) and hands it over with ``configure()``.

``current()`` is what every node module asks. It is the configured object until one of
those five variables is next set or unset in this process (an audit hook counts the
writes), and otherwise the environment read afresh, which is cheap: a process that never
configures (``genaisys run``, the tests) behaves as it always did, and in one that does, a
later write (a test's ``monkeypatch.setenv``, or the undoing of one around an in-process
server that configured) is the newer word. ``configured(config)`` applies a config for the
duration of a ``with`` block."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

VARIABLES = ("GENAISYS_DATA_DIR", "GENAISYS_FILE_ROOTS", "GENAISYS_DEVICE", "GENAISYS_MODEL_BUDGET_BYTES",
             "GENAISYS_CUSTOM_NODES")
"""The environment variables of the fields, in field order."""
DEFAULT_DATA_DIR = Path.home() / ".genaisys"
"""The data directory when GENAISYS_DATA_DIR is unset: the one place the default is written."""
DEFAULT_MODEL_BUDGET_BYTES = 8 * 1024**3
"""The model cache's budget when GENAISYS_MODEL_BUDGET_BYTES is unset (or not a number)."""


@dataclass(frozen=True)
class RuntimeConfig:
    data_dir: Path = DEFAULT_DATA_DIR
    """Where nodes keep models, stores and uploads (GENAISYS_DATA_DIR)."""
    file_roots: tuple[Path, ...] = ()
    """The folders graphs may read, as given (resolved when checked); empty: unfenced (GENAISYS_FILE_ROOTS)."""
    device: str = ""
    """``cuda``, ``cuda:1``, ``mps`` or ``cpu`` (any case, spaces ignored); empty picks the best
    there is (GENAISYS_DEVICE)."""
    model_budget_bytes: int = DEFAULT_MODEL_BUDGET_BYTES
    """How much the loaded models may weigh together (GENAISYS_MODEL_BUDGET_BYTES)."""
    custom_nodes: tuple[Path, ...] = ()
    """Folders of custom node files loaded into the default registry (GENAISYS_CUSTOM_NODES)."""
    chroma_url: str = ""
    """A Chroma server (``http://host:port``) the store nodes use by default; empty: the
    embedded store in the data directory (GENAISYS_CHROMA_URL)."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> RuntimeConfig:
        """The configuration the ``GENAISYS_*`` variables of ``environ`` (the process's) describe."""
        env = os.environ if environ is None else environ
        return cls(
            data_dir=Path(env.get("GENAISYS_DATA_DIR", DEFAULT_DATA_DIR)),
            file_roots=split_paths(env.get("GENAISYS_FILE_ROOTS", "")),
            device=env.get("GENAISYS_DEVICE", ""),
            model_budget_bytes=parse_budget(env.get("GENAISYS_MODEL_BUDGET_BYTES")),
            custom_nodes=split_paths(env.get("GENAISYS_CUSTOM_NODES", "")),
            chroma_url=env.get("GENAISYS_CHROMA_URL", "").strip(),
        )


def split_paths(raw: str | None) -> tuple[Path, ...]:
    """Folders separated by ``os.pathsep``; blank entries are skipped."""
    return tuple(Path(p) for p in (raw or "").split(os.pathsep) if p.strip())


def parse_budget(raw: str | None) -> int:
    """A byte count written in digits; anything else (unset, empty, ``8G``) is the default."""
    return int(raw) if raw and raw.isdigit() else DEFAULT_MODEL_BUDGET_BYTES


_LOCK = threading.Lock()
_CONFIGURED: tuple[RuntimeConfig, int] | None = None
"""The configured object, and the environment's generation when it was configured."""
_generation = 0
"""How many times one of ``VARIABLES`` was set or unset since the first ``configure()``."""
_hooked = False
_EVENTS = frozenset({"os.putenv", "os.unsetenv"})
_NAMES = frozenset(VARIABLES) | frozenset(name.encode() for name in VARIABLES)


def _on_audit(event: str, args: tuple[object, ...]) -> None:
    """Count writes of our variables (``os.environ[...] = ``, ``del``, ``monkeypatch``)."""
    global _generation
    if event in _EVENTS and args and args[0] in _NAMES:
        _generation += 1


def _in_force() -> RuntimeConfig | None:
    configured = _CONFIGURED
    return configured[0] if configured is not None and configured[1] == _generation else None


def current() -> RuntimeConfig:
    """The configuration in force: the configured one, unless one of its variables was set
    or unset since; otherwise the environment, read afresh."""
    return _in_force() or RuntimeConfig.from_env()


def _watch() -> None:
    """Start counting environment writes (under ``_LOCK``); once per process, and only in
    one that configures: an audit hook cannot be removed."""
    global _hooked
    if not _hooked:
        sys.addaudithook(_on_audit)
        _hooked = True


def configure(config: RuntimeConfig | None) -> RuntimeConfig | None:
    """Make ``config`` the process's configuration (None: back to the environment); the
    configuration it replaces is returned, None if none was in force."""
    global _CONFIGURED
    with _LOCK:
        _watch()
        previous = _in_force()
        _CONFIGURED = None if config is None else (config, _generation)
    return previous


@contextmanager
def configured(config: RuntimeConfig) -> Iterator[RuntimeConfig]:
    """``config`` in force within the block; afterwards what was before (if the environment
    was not written to meanwhile)."""
    global _CONFIGURED
    with _LOCK:
        _watch()
        saved = _CONFIGURED
        _CONFIGURED = (config, _generation)
    try:
        yield config
    finally:
        with _LOCK:
            _CONFIGURED = saved
