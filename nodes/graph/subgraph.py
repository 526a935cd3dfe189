"""A saved graph, one pinned version of it, used as one node (GenAISys built from GenAISys).

Its ports are the inner graph's io nodes, typed as the inner graph infers them; they are
worked out by the validator (``app.engine.subgraphs``), which looks the graph up. It never
runs as itself: the executor runs its inner nodes in its place, under path ids such as
``answer/llm``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nodes.api import Context, Input, Node, NodeError, Ports


class Subgraph(Node):
    """A saved graph used as one node: its io inputs are this node's inputs, its io outputs
    its outputs. Double-click it to open the graph."""

    type_id = "graph.subgraph"
    title = "Subgraph"
    cacheable = False
    inputs = (
        Input("graph", "Text", default="", connectable=False, help="The id of the saved graph this node runs"),
        Input("version", "Integer", default=1, min=1, connectable=False, help="The version of that graph it runs"),
    )

    @classmethod
    def ports(cls, params: Mapping[str, Any]) -> Ports:
        """Only the two settings here: the inner graph's io nodes, which are the real ports,
        are added by the validator once it has looked the graph up."""
        return cls._ports

    def run(self, ctx: Context, graph: str, version: int) -> dict[str, Any]:
        raise NodeError("a subgraph node runs as its inner nodes; this one was not expanded")
