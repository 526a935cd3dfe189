"""Shared Chroma plumbing: one client per store (an embedded folder, or a Chroma server when
one is configured, ``GENAISYS_CHROMA_URL``, or named by a node's path as a URL), telemetry
off, never Chroma's own embedder (it would try to download a model): we always pass the
vectors ourselves.

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
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from nodes.api import NodeError
from nodes.runtime.config import current
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


@dataclass(frozen=True)
class Store:
    """Where collections live: an embedded store's folder, or a Chroma server's URL. On a
    server shared by a studio with users, each user's collection names carry their prefix."""

    folder: Path | None = None
    url: str | None = None
    prefix: str = ""

    def name(self, collection: str) -> str:
        return f"{self.prefix}{collection}"


def is_url(path: str) -> bool:
    return path.strip().lower().startswith(("http://", "https://"))


def store_of(path: str, owner_id: str | None) -> Store:
    """The store a node's ``path`` (or a handle's) means for the run's owner: a Chroma server
    when it is a URL, or when it is empty and the studio has one (``GENAISYS_CHROMA_URL``);
    otherwise the embedded folder ``store_folder`` names. A studio with users or a file fence
    reaches only its own server: a node cannot point it at another address."""
    given = (path or "").strip()
    configured = current().chroma_url.strip()
    prefix = "" if owner_id is None else f"u{user_store(owner_id).name[:24]}_"
    if is_url(given):
        if (owner_id is not None or fenced()) and _origin(given) != _origin(configured):
            raise NodeError(f"Chroma server {given!r} is not available on this studio: leave the path empty to use "
                            "the studio's store")
        return Store(url=given, prefix=prefix)
    if not given and configured:
        return Store(url=configured, prefix=prefix)
    return Store(folder=store_folder(given, owner_id))


def _origin(url: str) -> str:
    parts = urlsplit(url.strip().lower())
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.scheme}://{parts.hostname}:{port}"


def client(store: Store | Path) -> Any:
    """The Chroma client of a store: one per folder or server, telemetry off."""
    store = store if isinstance(store, Store) else Store(folder=store)
    key = store.url or str(store.folder)
    with _LOCK:
        if key not in _CLIENTS:
            import chromadb
            from chromadb.config import Settings

            settings = Settings(anonymized_telemetry=False)
            if store.url is not None:
                parts = urlsplit(store.url)
                https = parts.scheme == "https"
                try:
                    _CLIENTS[key] = chromadb.HttpClient(host=parts.hostname or "localhost", port=parts.port or (443 if https else 80),
                                                        ssl=https, settings=settings)
                except Exception as exc:
                    raise NodeError(f"cannot reach the Chroma server at {store.url}: {exc}; start it "
                                    "(`chroma run --path DIR --port PORT`) or check GENAISYS_CHROMA_URL") from None
            else:
                assert store.folder is not None
                store.folder.mkdir(parents=True, exist_ok=True)
                _CLIENTS[key] = chromadb.PersistentClient(path=str(store.folder), settings=settings)
        return _CLIENTS[key]


def collection(store: Store | Path, name: str, dim: int | None, *, create: bool) -> Any:
    """The collection ``name``; its dimension is kept in its metadata and checked. Without
    ``create`` nothing is made: not the collection, not a store in a folder that has none."""
    store = store if isinstance(store, Store) else Store(folder=store)
    if not create and store.folder is not None and not (store.folder / DB_FILE).is_file():
        raise NodeError(f"there is no Chroma collection {name!r} in this store: add documents to it first")
    c = client(store)
    if create:
        coll = c.get_or_create_collection(name=store.name(name), embedding_function=None,
                                          metadata={"hnsw:space": "cosine", "dimension": dim or 0})
    else:
        try:
            coll = c.get_collection(name=store.name(name), embedding_function=None)
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
