"""The graph service: what may be saved, importing a graph file, and queueing a run.

The one place the validate → submit sequence lives: the run routes, the run-a-graph API and
the live demos all queue runs through `submit_run`; the save routes, import (HTTP and CLI)
and forks all check documents through `checked_for_save`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.engine.executor import GraphInvalid
from app.engine.migrate import migrate_document, missing_parts
from app.engine.validate import CheckedGraph, validate
from app.services.errors import InvalidGraph, InvalidInputs, UnsaveableGraph
from nodes.registry import Registry
from storage import repo

UNSAVEABLE = frozenset({"invalid_document", "unsupported_schema", "invalid_node", "invalid_edge", "duplicate_id",
                        "non_finite_number", "lone_surrogate", "too_deep", "graph_too_large"})
"""Problems a saved graph may not have. A graph may be saved while it still has problems (work
in progress, as in any editor); only a document that is not a graph document at all is
refused, or one that could be stored but not read back (not strict JSON), or one over the
size bounds (it could never run)."""


def checked_for_save(document: dict[str, Any], registry: Registry) -> CheckedGraph:
    """The validator's verdict on a document about to be saved; UnsaveableGraph if it may not be."""
    checked = validate(document, registry)
    broken = [p for p in checked.problems if p.code in UNSAVEABLE]
    if broken:
        raise UnsaveableGraph(f"{broken[0].where()}: {broken[0].message}", checked.report())
    return checked


@dataclass(frozen=True)
class Imported:
    """A graph file saved as a new graph: what was upgraded and what this installation lacks."""

    graph: Any
    version: Any
    checked: CheckedGraph
    migrated: list[dict[str, Any]]
    missing: list[dict[str, Any]]


def import_document(session: Any, registry: Registry, document: dict[str, Any], message: str,
                    owner_id: str | None = None) -> Imported:
    """Save a ``genaisys.graph/1`` document as a new graph, its old node versions upgraded
    (inside the caller's transaction). UnsaveableGraph if it is not a graph document."""
    migrated_doc, migrated = migrate_document(document, registry)
    checked = checked_for_save(migrated_doc, registry)
    graph, version = repo.create_graph(session, name=checked.name or "Imported graph",
                                       description=str(migrated_doc.get("description", "")),
                                       document=migrated_doc, message=message, owner_id=owner_id)
    return Imported(graph, version, checked, migrated, missing_parts(migrated_doc, registry))


def submit_run(runs: Any, registry: Registry, document: dict[str, Any], inputs: dict[str, Any], *,
               graph_id: str | None = None, graph_version_id: Any = None, owner_id: str | None = None,
               invalid: str = "the graph has {n} problem(s); nothing ran") -> str:
    """Validate a document and queue it as a run (``runs`` is the `RunManager`); the run's id.

    Raises InvalidGraph (the graph has problems; ``invalid`` words it), InvalidInputs (its
    input nodes refuse the inputs) or TooManyQueued (its owner has the most runs waiting);
    nothing is recorded then."""
    checked = validate(document, registry)
    if not checked.ok:
        raise InvalidGraph(invalid.format(n=len(checked.problems)), checked)
    try:
        return runs.submit(checked, inputs, document=document, graph_id=graph_id,
                           graph_version_id=graph_version_id, owner_id=owner_id)
    except GraphInvalid as exc:
        raise InvalidInputs(str(exc), exc.problems) from None
