"""A typed input port of a graph used as a subgraph: what the using graph wires in."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from nodes.api import Context, Input, Node, NodeError, Output, Ports
from nodes.io._base import label_input
from nodes.types import ANY, parse_type


class GraphInput(Node):
    """A value the graph that uses this one as a subgraph wires in: a collection, an
    embedding, documents — any type, declared in ``type`` (e.g. ``Collection[384]``), which
    the subgraph node's input port then has. Run on its own, this graph has no value here."""

    type_id = "graph.input"
    title = "Subgraph input"
    boundary: ClassVar[str] = "input"
    """Read by ``app.engine.subgraphs``: one of the ports a subgraph node has."""
    inline = True
    cacheable = False
    inputs = (
        label_input("Value"),
        Input("type", "Text", default="Any", connectable=False,
              help="The type the using graph wires in, as the type catalog writes it: Collection[384], List[Document]"),
    )
    outputs = (Output("value", "Any"),)

    @classmethod
    def ports(cls, params: Mapping[str, Any]) -> Ports:
        try:
            declared = parse_type(str(params.get("type") or "Any"))
        except ValueError:
            declared = ANY
        return Ports.of(cls.inputs, (Output("value", declared),))

    def run(self, ctx: Context, label: str, type: str) -> dict[str, Any]:
        raise NodeError(f"subgraph input {label!r} has no value: this graph is run as a subgraph of another, "
                        "which wires it")
