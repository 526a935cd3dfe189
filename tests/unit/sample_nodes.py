"""Small retrieval-shaped nodes for validator tests: vectors whose dimension flows through
the graph. They never run; only their ports, params and type bindings matter."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nodes.api import Input, Node, Output
from nodes.registry import Registry, discover
from nodes.types import Bindings

MODEL_DIMS = {"mini": 384, "base": 768, "custom": None}


class SampleEmbedder(Node):
    """Turns a text into a vector; the model decides the dimension (``custom``: unknown)."""

    type_id = "sample.embedder"
    inputs = (
        Input("text", "Text"),
        Input("model", "Text", default="mini", choices=tuple(MODEL_DIMS), connectable=False),
    )
    outputs = (Output("embedding", "Embedding[d]"),)

    @classmethod
    def type_bindings(cls, params: Mapping[str, Any]) -> Bindings:
        dim = MODEL_DIMS.get(params.get("model", "mini"))
        return {"d": dim} if dim is not None else {}


class SampleNormalize(Node):
    """Scales a vector to unit length: same dimension out as in."""

    type_id = "sample.normalize"
    inputs = (Input("embedding", "Embedding[d]"),)
    outputs = (Output("embedding", "Embedding[d]"),)


class SampleStore(Node):
    """Builds a vector collection of the dimension of what is stored in it."""

    type_id = "sample.store"
    inputs = (
        Input("embeddings", "Embedding[d]"),
        Input("name", "Text", default="docs", connectable=False),
    )
    outputs = (Output("collection", "Collection[d]"),)


class SampleQuery(Node):
    """Finds the nearest documents: collection and query must share one dimension."""

    type_id = "sample.query"
    inputs = (
        Input("collection", "Collection[d]"),
        Input("query", "Embedding[d]"),
        Input("top_k", "Integer", default=3, min=1, max=50),
    )
    outputs = (Output("documents", "List[Document]"),)


SAMPLE_NODES = (SampleEmbedder, SampleNormalize, SampleStore, SampleQuery)


def sample_registry() -> Registry:
    """The shipped basic nodes plus the sample retrieval nodes, in a fresh registry."""
    registry = discover(kinds=("io", "utility"))
    assert not registry.load_errors, registry.load_errors
    return registry.extend(SAMPLE_NODES)
