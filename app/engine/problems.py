"""A validation problem: a stable code, a sentence a person understands, and where it is."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

CODES = {
    "invalid_document": "the document is not a genaisys graph (wrong shape or unknown field)",
    "non_finite_number": "a number is NaN or Infinity, which JSON cannot hold",
    "lone_surrogate": "a text or key holds a lone UTF-16 surrogate, which is not a character",
    "too_deep": "a value is nested deeper than a document may be",
    "graph_too_large": "the graph has more nodes or edges than a graph may have",
    "unsupported_schema": "the document's schema is missing or not one this version reads",
    "invalid_node": "a node entry is malformed",
    "invalid_edge": "an edge entry is malformed",
    "duplicate_id": "two nodes or two edges share an id",
    "unknown_node_type": "no installed node has this type",
    "bad_param": "a parameter value is not accepted",
    "dangling_edge": "an edge names a node that is not in the graph",
    "unknown_port": "an edge names a port the node does not have",
    "not_connectable": "an edge goes into a parameter that cannot be wired",
    "multiple_inputs": "two edges go into one single-valued input",
    "type_mismatch": "an edge joins two ports of incompatible types",
    "dimension_mismatch": "an edge joins two vectors of different dimensions",
    "missing_input": "a required input has no edge and no value",
    "cycle": "the edges go round in a loop",
    "unknown_input": "a run input names a node that is not one of the graph's inputs",
    "bad_input": "a run input value is not accepted by its input node",
    "missing_subgraph": "a subgraph node names a saved graph or version that is not there (or not yours)",
    "subgraph_invalid": "the saved graph a subgraph node runs has problems of its own",
    "subgraph_cycle": "a graph contains itself, directly or through other graphs",
    "subgraph_too_deep": "subgraphs are nested deeper than a graph may nest them",
}


@dataclass(frozen=True, slots=True)
class Problem:
    code: str
    message: str
    node_id: str | None = None
    port: str | None = None
    param: str | None = None
    edge_id: str | None = None
    path: str | None = None
    nodes: tuple[str, ...] | None = None
    inner: tuple[dict[str, Any], ...] | None = None
    """For ``subgraph_invalid``: the inner graph's own problems, their node ids as paths
    (``answer/llm``)."""

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        if self.nodes is not None:
            data["nodes"] = list(self.nodes)
        if self.inner is not None:
            data["inner"] = list(self.inner)
        return {k: v for k, v in data.items() if v is not None}

    def where(self) -> str:
        """Where the problem is, in words: "node 'emb', port 'texts'"."""
        parts = []
        if self.node_id is not None:
            parts.append(f"node {self.node_id!r}")
        if self.port is not None:
            parts.append(f"port {self.port!r}")
        if self.param is not None:
            parts.append(f"param {self.param!r}")
        if self.edge_id is not None:
            parts.append(f"edge {self.edge_id!r}")
        if not parts and self.path:
            parts.append(self.path)
        return ", ".join(parts) or "document"
