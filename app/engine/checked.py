"""What the validator learns of a graph, which the executor plans from: each node's class,
coerced params, ports, resolved types and incoming edges, and for a subgraph node the saved
graph it runs, checked."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from app.engine.problems import Problem
from nodes.api import Node, Ports
from nodes.types import Type


@dataclass
class CheckedNode:
    id: str
    cls: type[Node]
    params: dict[str, Any]
    ports: Ports
    input_types: dict[str, Type] = field(default_factory=dict)
    output_types: dict[str, Type] = field(default_factory=dict)
    incoming: dict[str, tuple[str, str]] = field(default_factory=dict)
    """input port -> (source node id, source port)."""
    lifted: set[str] = field(default_factory=set)
    """inputs of a list type fed a single value: the executor wraps it in a list."""
    subgraph: Subgraph | None = None
    """For a ``graph.subgraph`` node: the saved graph it runs, checked."""


@dataclass
class CheckedGraph:
    name: str
    nodes: dict[str, CheckedNode]
    graph: nx.DiGraph
    problems: list[Problem]
    groups: dict[str, list[str]] = field(default_factory=dict)
    """Once flattened (``subgraphs.flatten``): each subgraph node's path id -> its flat nodes."""
    group_outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    """Once flattened: each subgraph node's output port -> the flat io node that shows it."""

    @property
    def ok(self) -> bool:
        return not self.problems

    def report(self) -> dict[str, Any]:
        """The JSON the API and `genaisys validate --json` return."""
        return {
            "valid": self.ok,
            "problems": [p.to_json() for p in self.problems],
            "types": {
                nid: {
                    "inputs": {k: str(t) for k, t in n.input_types.items()},
                    "outputs": {k: str(t) for k, t in n.output_types.items()},
                }
                for nid, n in self.nodes.items()
            },
        }


@dataclass
class Subgraph:
    """What the validator learnt of a subgraph node: the inner graph, checked."""

    graph_id: str
    version: int
    name: str
    inner: CheckedGraph
    inputs: dict[str, str] = field(default_factory=dict)
    """input port -> the inner io input node it feeds (the same id)."""
    outputs: dict[str, str] = field(default_factory=dict)
    """output port -> the inner io output node it shows."""
