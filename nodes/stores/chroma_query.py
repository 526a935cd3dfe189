"""Finds the documents nearest to a query vector in a Chroma collection (cosine distance),
optionally only those whose metadata match a filter such as ``{"source": "notes.md"}``.

A collection handle is a plain JSON value (``{path, name, dim, count}``) that a JSON node can
forge, so its ``path`` is checked again here, for this run's owner, exactly as the write
node checks its own; a query never creates a store or a collection."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nodes.api import Context, Input, Node, NodeError, Output
from nodes.stores._chroma import collection, store_of


class ChromaQuery(Node):
    """Retrieves the top-k most similar documents."""

    type_id = "stores.chroma_query"
    title = "Chroma: query"
    inputs = (
        Input("collection", "Collection[d]"),
        Input("query", "Embedding[d]", help="The first vector is the query"),
        Input("top_k", "Integer", default=4, min=1, max=1000),
        Input("where", "Json", default=None, help='Metadata filter, e.g. {"source": "notes.md"}'),
    )
    outputs = (Output("documents", "List[Document]"),)

    @classmethod
    def warm_up(cls, values: Mapping[str, Any]) -> bool:
        """Open the studio's store (importing chromadb and reading its index takes a while)."""
        from nodes.stores._chroma import client

        client(store_of(str(values.get("path") or "") if "path" in cls._ports.by_name else "", None))
        return True

    def run(self, ctx: Context, collection: dict[str, Any], query: Any, top_k: int, where: Any) -> dict[str, Any]:
        if not isinstance(collection, dict) or not isinstance(collection.get("name"), str) \
                or not isinstance(collection.get("path", ""), str):
            raise NodeError("the collection input is not a Chroma collection: connect a 'Chroma: add documents' node")
        if len(query) == 0:
            raise NodeError("the query has no vector: embed a question first")
        vector = [float(x) for x in query[0]]
        store = store_of(collection.get("path", ""), ctx.owner_id)
        coll = _open(store, collection["name"], len(vector))
        try:
            found = coll.query(query_embeddings=[vector], n_results=top_k, where=where or None,
                               include=["documents", "metadatas", "distances"])
        except Exception as exc:  # chroma says "Invalid where clause" for a malformed filter
            if where is None or "where" not in str(exc).lower():
                raise
            raise NodeError(f"the metadata filter {where!r} is not valid: {exc}") from None
        docs = []
        for text, meta, dist in zip(found["documents"][0], found["metadatas"][0], found["distances"][0], strict=True):
            docs.append({"text": text or "", "metadata": {**(meta or {}), "distance": float(dist)}})
        return {"documents": docs}


def _open(folder: Any, name: str, dim: int) -> Any:
    return collection(folder, name, dim, create=False)
