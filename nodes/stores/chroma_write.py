"""Adds documents and their vectors to an embedded Chroma collection (upsert: adding the
same chunk twice keeps one copy, since its id is a hash of its source, position and text).

The store is the run's owner's (see ``_chroma``); the collection handle it outputs names
the store as the user wrote it (empty: the default one), never the server's folder, and
the query node resolves it again for its own run's owner."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from nodes.api import Context, Input, Node, NodeError, Output
from nodes.stores._chroma import Store, collection, flat_metadata, store_of

BATCH = 256


class ChromaWrite(Node):
    """Stores documents with their embeddings in a Chroma collection."""

    type_id = "stores.chroma_write"
    title = "Chroma: add documents"
    inputs = (
        Input("documents", "List[Document]"),
        Input("embeddings", "Embedding[d]"),
        Input("collection", "Text", default="documents", connectable=False, help="Collection name"),
        Input("path", "Text", default="", connectable=False,
              help="Chroma folder or server URL (http://host:port); empty: the studio's store "
                   "(on a studio with users, your own)"),
        Input("reset", "Boolean", default=False, help="Empty the collection before adding"),
    )
    outputs = (Output("collection", "Collection[d]"), Output("count", "Integer"))

    @classmethod
    def warm_up(cls, values: Mapping[str, Any]) -> bool:
        """Open the studio's store (importing chromadb and reading its index takes a while)."""
        from nodes.stores._chroma import client

        client(store_of(str(values.get("path") or "") if "path" in cls._ports.by_name else "", None))
        return True

    @classmethod
    def still_valid(cls, outputs: Mapping[str, Any], owner_id: str | None) -> bool:
        """A cached handle holds while its collection is there with at least what was written
        (an upsert of the same chunks keeps their count); a deleted or emptied store runs
        the node again."""
        handle = outputs.get("collection")
        if not isinstance(handle, dict) or not isinstance(handle.get("name"), str):
            return False
        try:
            coll = collection(store_of(str(handle.get("path") or ""), owner_id), handle["name"], handle.get("dim"),
                              create=False)
            return int(coll.count()) >= int(handle.get("count") or 0)
        except Exception:
            return False

    def run(self, ctx: Context, documents: list[dict[str, Any]], embeddings: Any, collection: str,
            path: str, reset: bool) -> dict[str, Any]:
        vectors = [list(map(float, row)) for row in embeddings]
        if len(vectors) != len(documents):
            raise NodeError(f"{len(documents)} documents but {len(vectors)} embeddings: embed the same documents you add")
        dim = len(vectors[0]) if vectors else None
        store = store_of(path, ctx.owner_id)
        name = collection.strip() or "documents"
        if reset:
            from nodes.stores._chroma import client

            if store.name(name) in [c.name for c in client(store).list_collections()]:
                client(store).delete_collection(store.name(name))
        coll = _collection(store, name, dim)
        for start in range(0, len(documents), BATCH):
            docs = documents[start:start + BATCH]
            coll.upsert(
                ids=[doc_id(d) for d in docs],
                embeddings=vectors[start:start + BATCH],
                documents=[str(d.get("text", "")) for d in docs],
                metadatas=[flat_metadata(d.get("metadata") or {}) for d in docs],
            )
            ctx.progress(min(1.0, (start + BATCH) / max(1, len(documents))), f"stored {min(len(documents), start + BATCH)}/{len(documents)}")
        count = coll.count()
        return {"collection": {"path": (path or "").strip(), "name": name, "dim": dim, "count": count}, "count": count}


def _collection(store: Store, name: str, dim: int | None) -> Any:
    return collection(store, name, dim, create=True)


def doc_id(doc: dict[str, Any]) -> str:
    meta = doc.get("metadata") or {}
    key = f"{meta.get('source', '')}|{meta.get('page', '')}|{meta.get('chunk', '')}|{doc.get('text', '')}"
    return hashlib.sha256(key.encode()).hexdigest()[:32]
