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
    _hashes: dict[str, str | None] | None = field(default=None, repr=False)
    traceback: str | None = None
    """For the server log only; never sent to a client."""

    @property
    def output_hashes(self) -> dict[str, str | None]:
        """``sha256:...`` of each output's content (``app.engine.hashing``; None: not hashable),
        computed when first asked: a run nobody stores or compares pays nothing for it."""
        if self._hashes is None:
            if not self.outputs or self.status not in (NodeStatus.SUCCEEDED, NodeStatus.CACHED):
                return {}
            from app.engine.hashing import output_hashes

            self._hashes = output_hashes(self.outputs)
        return self._hashes

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
