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
from app.engine.subgraphs import SUBGRAPH, Resolver, SavedGraph, used_graphs
from app.engine.validate import CheckedGraph, validate
from app.services.errors import InvalidGraph, InvalidInputs, UnsaveableGraph
from nodes.registry import Registry
from storage import repo
from storage.errors import NotFound

UNSAVEABLE = frozenset({"invalid_document", "unsupported_schema", "invalid_node", "invalid_edge", "duplicate_id",
                        "non_finite_number", "lone_surrogate", "too_deep", "graph_too_large"})
"""Problems a saved graph may not have. A graph may be saved while it still has problems (work
in progress, as in any editor); only a document that is not a graph document at all is
refused, or one that could be stored but not read back (not strict JSON), or one over the
size bounds (it could never run)."""


def saved_graphs(sessions: Any, owner_id: str | None) -> Resolver:
    """A resolver of subgraph nodes' graphs from storage: a graph that is not there, deleted,
    or (with ``owner_id``) another user's is None, which the validator reports as
    ``missing_subgraph`` without saying which. Each lookup is a short session of its own,
    so it never joins a caller's transaction."""
    def resolve(graph_id: str, version: int) -> SavedGraph | None:
        with sessions() as session:
            return saved_in(session, owner_id)(graph_id, version)
    return resolve


def share_owner(sessions: Any, token: str) -> str | None:
    """The owner of the graph an active share link shows, or None."""
    with sessions() as session:
        try:
            return repo.resolve_share(session, token=token)[1].owner_id
        except NotFound:
            return None


def checked_for_save(document: dict[str, Any], registry: Registry, *, subgraphs: Resolver | None = None,
                     graph_id: str | None = None) -> CheckedGraph:
    """The validator's verdict on a document about to be saved; UnsaveableGraph if it may not be."""
    checked = validate(document, registry, subgraphs=subgraphs, graph_id=graph_id)
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
    (inside the caller's transaction). UnsaveableGraph if it is not a graph document. The
    graphs its file bundles (``graphs``: what its subgraph nodes run) are saved first, each
    as a new graph with its versions in order, and its subgraph nodes renamed to them; the
    missing-parts report covers them too."""
    migrated_doc, migrated = migrate_document(document, registry)
    missing = missing_parts(migrated_doc, registry)
    bundle = migrated_doc.pop("graphs", None)
    if bundle:
        renamed = _restore_bundle(session, registry, bundle, message, owner_id, migrated, missing)
        migrated_doc = _renamed(migrated_doc, renamed)
    checked = checked_for_save(migrated_doc, registry, subgraphs=saved_in(session, owner_id))
    graph, version = repo.create_graph(session, name=checked.name or "Imported graph",
                                       description=str(migrated_doc.get("description", "")),
                                       document=migrated_doc, message=message, owner_id=owner_id)
    return Imported(graph, version, checked, migrated, missing)


def saved_in(session: Any, owner_id: str | None) -> Resolver:
    """A resolver reading in the caller's own session (and transaction): what an import
    saved a moment ago is found before it commits."""
    def resolve(graph_id: str, version: int) -> SavedGraph | None:
        try:
            graph = repo.get_graph(session, graph_id=graph_id, owner_id=owner_id)
            found = repo.get_version(session, graph_id=graph_id, number=version)
        except NotFound:
            return None
        return SavedGraph(graph.id, found.number, graph.name, found.document)
    return resolve


def _restore_bundle(session: Any, registry: Registry, bundle: Any, message: str, owner_id: str | None,
                    migrated: list[dict[str, Any]], missing: list[dict[str, Any]]) -> dict[tuple[str, int], tuple[str, int]]:
    """Save a file's bundled graphs, those that others use first; (old id, version) ->
    (new id, version)."""
    by_graph: dict[str, list[dict[str, Any]]] = {}
    for entry in bundle if isinstance(bundle, list) else ():
        if isinstance(entry, dict) and isinstance(entry.get("document"), dict) and isinstance(entry.get("version"), int):
            by_graph.setdefault(str(entry.get("id")), []).append(entry)
    renamed: dict[tuple[str, int], tuple[str, int]] = {}
    pending = sorted(by_graph)
    while pending:
        ready = [gid for gid in pending
                 if all(p in renamed or p[0] not in by_graph or p[0] == gid
                        for e in by_graph[gid] for p in used_graphs(e["document"]))]
        if not ready:
            raise UnsaveableGraph(f"the bundled graphs {', '.join(pending)} use each other in a loop; a graph cannot "
                                  "contain itself", {"valid": False, "problems": []})
        for gid in ready:
            pending.remove(gid)
            graph = None
            for entry in sorted(by_graph[gid], key=lambda e: e["version"]):
                doc, more = migrate_document(entry["document"], registry)
                migrated += more
                missing += [m for m in missing_parts(doc, registry) if m not in missing]
                doc.pop("graphs", None)
                doc = _renamed(doc, renamed)
                if graph is None:
                    graph, version = repo.create_graph(session, name=str(entry.get("name") or doc.get("name") or "Subgraph"),
                                                       description=str(doc.get("description", "")), document=doc,
                                                       message=message, owner_id=owner_id)
                else:
                    version = repo.save_version(session, graph_id=graph.id, document=doc, based_on=version.number,
                                                message=message)
                renamed[(gid, entry["version"])] = (graph.id, version.number)
    return renamed


def _renamed(document: dict[str, Any], renamed: dict[tuple[str, int], tuple[str, int]]) -> dict[str, Any]:
    """The document with its subgraph nodes pointing at the graphs an import saved."""
    nodes = []
    for node in document.get("nodes") or []:
        if isinstance(node, dict) and node.get("type") == SUBGRAPH and isinstance(node.get("params"), dict):
            pair = used_graphs({"nodes": [node]})
            if pair and pair[0] in renamed:
                new_id, number = renamed[pair[0]]
                node = {**node, "params": {**node["params"], "graph": new_id, "version": number}}
        nodes.append(node)
    return {**document, "nodes": nodes}


def bundle_of(document: dict[str, Any], resolve: Resolver) -> list[dict[str, Any]]:
    """Every saved graph version ``document`` runs, nested ones included, as a file's bundle."""
    out: dict[tuple[str, int], dict[str, Any]] = {}
    todo = used_graphs(document)
    while todo:
        pair = todo.pop(0)
        if pair in out:
            continue
        saved = resolve(*pair)
        if saved is None:
            continue  # the file then reports it as missing, as the studio did
        inner = {k: v for k, v in saved.document.items() if k != "graphs"}
        out[pair] = {"id": saved.graph_id, "version": saved.version, "name": saved.name, "document": inner}
        todo += used_graphs(inner)
    return list(out.values())


def submit_run(runs: Any, registry: Registry, document: dict[str, Any], inputs: dict[str, Any], *,
               graph_id: str | None = None, graph_version_id: Any = None, owner_id: str | None = None,
               invalid: str = "the graph has {n} problem(s); nothing ran", replay: Any = None) -> str:
    """Validate a document and queue it as a run (``runs`` is the `RunManager`); the run's id.

    Raises InvalidGraph (the graph has problems; ``invalid`` words it), InvalidInputs (its
    input nodes refuse the inputs) or TooManyQueued (its owner has the most runs waiting);
    nothing is recorded then. ``replay`` (a ``ReplayPlan``) makes the run a replay of a stored one."""
    bundled = replay is not None and bool(document.get("graphs"))  # a replayed file run: the subgraphs it carried
    checked = runs.checked_version(graph_version_id) if replay is None else None
    if checked is None:
        checked = validate(document, registry, subgraphs=None if bundled else saved_graphs(runs.sessions, owner_id),
                           graph_id=graph_id)
        if checked.ok and graph_version_id is not None and not used_graphs(document):
            runs.keep_checked(graph_version_id, checked)
    if not checked.ok:
        raise InvalidGraph(invalid.format(n=len(checked.problems)), checked)
    try:
        return runs.submit(checked, inputs, document=document, graph_id=graph_id,
                           graph_version_id=graph_version_id, owner_id=owner_id, replay=replay)
    except GraphInvalid as exc:
        raise InvalidInputs(str(exc), exc.problems) from None
