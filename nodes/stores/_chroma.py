"""Shared Chroma plumbing: one embedded client per folder, telemetry off, never Chroma's
own embedder (it would try to download a model): we always pass the vectors ourselves."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from nodes.api import NodeError
from nodes.runtime.paths import data_dir

_CLIENTS: dict[str, Any] = {}
_LOCK = threading.Lock()


def store_path(path: str) -> Path:
    return Path(path).expanduser().resolve() if path and path.strip() else data_dir() / "chroma"


def client(folder: Path) -> Any:
    with _LOCK:
        if str(folder) not in _CLIENTS:
            import chromadb
            from chromadb.config import Settings

            folder.mkdir(parents=True, exist_ok=True)
            _CLIENTS[str(folder)] = chromadb.PersistentClient(path=str(folder), settings=Settings(anonymized_telemetry=False))
        return _CLIENTS[str(folder)]


def collection(folder: Path, name: str, dim: int | None, *, create: bool) -> Any:
    """The collection ``name``; its dimension is kept in its metadata and checked."""
    c = client(folder)
    if create:
        coll = c.get_or_create_collection(name=name, embedding_function=None,
                                          metadata={"hnsw:space": "cosine", "dimension": dim or 0})
    else:
        try:
            coll = c.get_collection(name=name, embedding_function=None)
        except Exception:
            raise NodeError(f"there is no Chroma collection {name!r} in {folder}: add documents to it first") from None
    stored = (coll.metadata or {}).get("dimension")
    if dim and stored and int(stored) != int(dim):
        raise NodeError(f"collection {name!r} holds {stored}-dimensional vectors but these are {dim}-dimensional: "
                        "use the same embedding model for adding and querying, or another collection name")
    return coll


def flat_metadata(meta: dict[str, Any]) -> dict[str, Any] | None:
    """Chroma keeps only str/int/float/bool values: anything else is stored as JSON text."""
    out = {}
    for key, value in meta.items():
        if isinstance(value, str | int | float | bool):
            out[str(key)] = value
        elif value is not None:
            out[str(key)] = json.dumps(value, default=str)
    return out or None
