"""What a run leaves: each node's record, the run's result, and the refusal of a graph that
did not pass validation."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.engine.checked import CheckedGraph
from app.engine.problems import Problem
from app.engine.vocabulary import NodeStatus


class GraphInvalid(Exception):
    """The graph (or the run's inputs) did not pass validation; nothing ran."""

    def __init__(self, problems: list[Problem], checked: CheckedGraph | None = None) -> None:
        self.problems = problems
        self.checked = checked
        super().__init__("; ".join(f"{p.where()}: {p.message}" for p in problems[:5]))


@dataclass
class NodeRecord:
    node_id: str
    type: str
    status: NodeStatus = NodeStatus.PENDING
    reason: str = ""
    cache_key: str = ""
    started_at: float | None = None
    duration_s: float | None = None
    outputs: dict[str, Any] = field(default_factory=dict)
    error: dict[str, str] | None = None
    provenance: dict[str, Any] = field(default_factory=dict)
    """What the node's run depended on (models and their sha256, seeds, sampling); for a
    cached node, what the run that computed the outputs recorded."""
    output_hashes: dict[str, str | None] = field(default_factory=dict)
    """``sha256:...`` of each output's content (``app.engine.hashing``); None: not hashable."""
    traceback: str | None = None
    """For the server log only; never sent to a client."""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "node_id": self.node_id,
            "type": self.type,
            "status": self.status,
            "reason": self.reason,
            "cache_key": self.cache_key,
            "started_at": self.started_at,
            "duration_s": self.duration_s,
            "error": self.error,
        }
        if self.provenance:
            out["provenance"] = self.provenance
        if self.output_hashes:
            out["output_hashes"] = self.output_hashes
        return out


@dataclass
class RunResult:
    run_id: str
    status: str
    nodes: dict[str, NodeRecord]
    outputs: dict[str, Any]
    started_at: float
    duration_s: float
    generations: list[list[str]]

    @property
    def ran(self) -> list[str]:
        return [n for n, r in self.nodes.items() if r.status == NodeStatus.SUCCEEDED]

    @property
    def cached(self) -> list[str]:
        return [n for n, r in self.nodes.items() if r.status == NodeStatus.CACHED]
