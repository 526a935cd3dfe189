"""LoRA adapters, for every model family: what one is, and the slots a loaded model keeps.

An adapter is known by its content: the sha256 of its file (a diffusion ``.safetensors``),
or, for a folder (a peft adapter), the sha256 over its config and weight files' names and
sha256s. That is the ``sha256`` the LoRA adapter node records, and the name a model loads
the adapter under, so an edited adapter is read again and a copy of one loaded is not.

``AdapterSlots`` is the per-model cache of loaded adapters: a few at most, the least
recently used one unloaded beyond that. The model family says how to load and unload one
(peft for the LLM, diffusers for a pipeline); the slots hold it under the model's own lock.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from pathlib import Path

from nodes.api import NodeError
from nodes.runtime.sources import file_sha256

MAX_ADAPTERS = 4
"""Adapters kept loaded per model; the least recently used one is unloaded beyond this."""
ADAPTER_FILES = (".json", ".safetensors", ".bin")
"""The files of a folder that make up an adapter (its config and weights)."""
_MEMO_ENTRIES = 256

_memo: OrderedDict[tuple[str, int, int], str] = OrderedDict()
_memo_lock = threading.Lock()


def _file_sha256(path: Path) -> str:
    """``file_sha256``, remembered while the file's size and modification time stay the same,
    so an adapter applied run after run is not read through every time."""
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    with _memo_lock:
        known = _memo.get(key)
        if known is not None:
            _memo.move_to_end(key)
            return known
    digest = file_sha256(path)
    with _memo_lock:
        _memo[key] = digest
        while len(_memo) > _MEMO_ENTRIES:
            _memo.popitem(last=False)
    return digest


def adapter_sha256(path: Path) -> str:
    """The adapter's content identity: its file's sha256, or a folder's digest over the
    names and sha256s of its config and weight files."""
    if path.is_file():
        return _file_sha256(path)
    digest = hashlib.sha256()
    for f in sorted(p for p in path.iterdir() if p.is_file() and p.suffix in ADAPTER_FILES):
        digest.update(f.name.encode() + b"\0" + _file_sha256(f).encode())
    return digest.hexdigest()


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


class AdapterSlots:
    """The adapters one loaded model holds, by name, most recently used last."""

    def __init__(self, limit: int = MAX_ADAPTERS) -> None:
        self.limit = limit
        self._paths: OrderedDict[str, str] = OrderedDict()

    def __len__(self) -> int:
        return len(self._paths)

    def __contains__(self, name: object) -> bool:
        return name in self._paths

    def __iter__(self) -> Iterator[str]:
        return iter(self._paths)

    @staticmethod
    def name(path: Path, variant: str = "") -> str:
        """The name the adapter at ``path`` is loaded under (``variant``: which file of a folder)."""
        identity = adapter_sha256(path)
        if variant:
            identity = hashlib.sha256(f"{identity}\0{variant}".encode()).hexdigest()
        return "lora_" + identity[:16]

    def use(self, path: Path, load: Callable[[str], None], unload: Callable[[str], None], *, variant: str = "") -> str:
        """The name of the adapter at ``path``, loaded with ``load(name)`` unless it is already;
        beyond ``limit`` the least recently used one is unloaded with ``unload(name)``. A
        ``load`` that raises leaves the slots as they were (it cleans up after itself)."""
        name = self.name(path, variant)
        if name in self._paths:
            self._paths.move_to_end(name)
            return name
        load(name)
        self._paths[name] = str(path)
        while len(self._paths) > self.limit:
            old, _ = self._paths.popitem(last=False)
            unload(old)
        return name
