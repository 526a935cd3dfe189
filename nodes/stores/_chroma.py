"""Shared Chroma plumbing: one embedded client per folder, telemetry off, never Chroma's
own embedder (it would try to download a model): we always pass the vectors ourselves.

Where a store lives: on a studio with users (the run has an owner) each user's collections
are in their own folder, ``DATA_DIR/chroma/users/<owner id>``, so a collection name means
that user's collection and nobody else's; a ``path`` naming any other folder is refused.
Without users the default is ``DATA_DIR/chroma`` and another folder may be named, through
the file fence when there is one. The same rule is applied to the ``path`` of a collection
handle a query receives: a handle is a plain JSON value, which anyone can type."""

from __future__ import annotations

import hashlib
import json
import re
import threading
from pathlib import Path
from typing import Any

from nodes.api import NodeError
from nodes.runtime.paths import check_allowed, data_dir, fenced

_CLIENTS: dict[str, Any] = {}
_LOCK = threading.Lock()
_SAFE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
DB_FILE = "chroma.sqlite3"


def user_store(owner_id: str) -> Path:
    """The folder of ``owner_id``'s collections (an id that is no plain name is hashed)."""
    folder = owner_id if _SAFE_ID.match(owner_id) else hashlib.sha256(owner_id.encode()).hexdigest()[:32]
    return data_dir() / "chroma" / "users" / folder


def store_folder(path: str, owner_id: str | None) -> Path:
    """The Chroma folder a node's ``path`` (or a handle's) means for the run's owner."""
    given = (path or "").strip()
    if owner_id is not None:
        own = user_store(owner_id)
        if not given or _same(Path(given), own):
            return own
        raise NodeError(f"Chroma folder {given!r} is not available: on this studio each user's collections live "
                        "in a store of their own; leave the path empty to use yours")
    if not given:
        return data_dir() / "chroma"
    if fenced():
        return check_allowed(Path(given), "Chroma folder", given)
    return Path(given).expanduser().resolve()


def _same(path: Path, folder: Path) -> bool:
    """Does the absolute ``path`` name ``folder`` (a handle that spells out one's own store)?"""
    if not path.is_absolute():
        return False
    try:
        return path.resolve() == folder.resolve()
    except (OSError, RuntimeError):
        return False


def client(folder: Path) -> Any:
    with _LOCK:
        if str(folder) not in _CLIENTS:
            import chromadb
            from chromadb.config import Settings

            folder.mkdir(parents=True, exist_ok=True)
            _CLIENTS[str(folder)] = chromadb.PersistentClient(path=str(folder), settings=Settings(anonymized_telemetry=False))
        return _CLIENTS[str(folder)]


def collection(folder: Path, name: str, dim: int | None, *, create: bool) -> Any:
    """The collection ``name``; its dimension is kept in its metadata and checked. Without
    ``create`` nothing is made: not the collection, not a store in a folder that has none."""
    if not create and not (folder / DB_FILE).is_file():
        raise NodeError(f"there is no Chroma collection {name!r} in this store: add documents to it first")
    c = client(folder)
    if create:
        coll = c.get_or_create_collection(name=name, embedding_function=None,
                                          metadata={"hnsw:space": "cosine", "dimension": dim or 0})
    else:
        try:
            coll = c.get_collection(name=name, embedding_function=None)
        except Exception:
            raise NodeError(f"there is no Chroma collection {name!r} in this store: add documents to it first") from None
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
