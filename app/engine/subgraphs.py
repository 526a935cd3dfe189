"""Subgraphs: a saved graph, one pinned version, used as one node — and run as its parts.

Checking. A ``graph.subgraph`` node names a graph and a version; the validator asks a
``Resolver`` for that document (storage on the server, the bundle for a graph file) and
checks it as a graph of its own, with the same rules, nested subgraphs included. The node's
ports are then the inner graph's io nodes: each input node becomes an input port named by
its id (optional when it holds a value, which is the default), each output node an output
port, typed as the inner graph infers them, dimensions included (an inner embedder that
makes ``Embedding[384]`` into a Chroma writer exposes ``Collection[384]``). Io inputs carry
scalar types, so nothing the outer graph wires in changes what the inner graph infers; the
boundary is typed like any node's ports, and a mismatch across it is pinned to the outer
node and port.

Running. ``flatten`` replaces each subgraph node by its inner nodes under path ids
(``answer/llm``, ``answer/inner/llm``), the outer edges wired straight to the inner nodes
that use each io input, so the scheduler, the events, the stored records and the result
cache see ordinary nodes. The result cache is content-addressed: an inner node's key is its
type, version, params and inputs, so an inner node that a new version did not change does
not run again, and one it changed says why under its path id.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import networkx as nx

from app.engine.checked import CheckedGraph, CheckedNode, Subgraph
from app.engine.problems import Problem
from app.engine.records import NodeRecord
from app.engine.vocabulary import EventType, FailureCode, NodeStatus
from nodes.api import Input, Output, Ports
from nodes.types import ANY, Type

SUBGRAPH = "graph.subgraph"
MAX_NESTING = 16
"""How deep subgraphs may nest (a graph in a graph in a graph ... counts each level)."""
SEP = "/"


@dataclass(frozen=True)
class SavedGraph:
    """One version of a saved graph, as a resolver finds it."""

    graph_id: str
    version: int
    name: str
    document: Mapping[str, Any]


Resolver = Callable[[str, int], SavedGraph | None]
"""(graph id, version) -> that version, or None when it is not there or not the caller's."""


def bundled(document: Any) -> Resolver | None:
    """A resolver over a file's bundle (its ``graphs``), or None when it has none."""
    entries = document.get("graphs") if isinstance(document, Mapping) else getattr(document, "graphs", None)
    if not isinstance(entries, list) or not entries:
        return None
    found: dict[tuple[str, int], SavedGraph] = {}
    for entry in entries:
        if isinstance(entry, Mapping) and isinstance(entry.get("document"), Mapping) and isinstance(entry.get("version"), int):
            key = (str(entry.get("id")), entry["version"])
            found[key] = SavedGraph(key[0], key[1], str(entry.get("name") or entry["document"].get("name") or key[0]),
                                    entry["document"])
    return lambda graph_id, version: found.get((graph_id, version))


def used_graphs(document: Mapping[str, Any]) -> list[tuple[str, int]]:
    """The (graph id, version) pairs a document's own subgraph nodes run, in node order."""
    out: list[tuple[str, int]] = []
    for node in document.get("nodes") or ():
        if isinstance(node, Mapping) and node.get("type") == SUBGRAPH and isinstance(node.get("params"), Mapping):
            params = node["params"]
            version = params.get("version")
            pair = (str(params.get("graph") or ""), version if isinstance(version, int) and version >= 1 else 1)
            if pair[0] and pair not in out:
                out.append(pair)
    return out


@dataclass
class Expansion:
    """The state one validation shares with the subgraphs it checks."""

    resolve: Resolver | None
    chain: tuple[tuple[str, str], ...] = ()
    """(graph id, name) of each graph being checked, outermost first."""
    memo: dict[tuple[str, int, int], Any] = field(default_factory=dict)

    def inside(self, graph_id: str, name: str) -> Expansion:
        return Expansion(self.resolve, (*self.chain, (graph_id, name)), self.memo)


class _BoundaryInput(Input):
    """An input port named by an io node's id, which need not be an identifier."""

    def __post_init__(self) -> None:  # every field is given, already in its final form
        pass


class _BoundaryOutput(Output):
    def __post_init__(self) -> None:
        pass


def check_subgraph(node_id: str, params: Mapping[str, Any], expansion: Expansion, problems: list[Problem],
                   check: Callable[[Mapping[str, Any], Expansion], CheckedGraph]) -> tuple[Ports, Subgraph] | None:
    """Look up and check (with ``check``, the validator) the graph a subgraph node runs; its
    ports and what was learnt, or None with the problem (pinned to the node) added."""
    graph_id, version = str(params.get("graph") or ""), params.get("version") or 1
    if not graph_id:
        problems.append(Problem("missing_subgraph", f"subgraph node {node_id!r} names no graph: choose one",
                                node_id=node_id, param="graph"))
        return None
    names = [name for _, name in expansion.chain]
    if graph_id in [gid for gid, _ in expansion.chain]:
        start = [gid for gid, _ in expansion.chain].index(graph_id)
        loop = " → ".join([*names[start:], names[start]])
        problems.append(Problem("subgraph_cycle", f"subgraph node {node_id!r} makes a graph contain itself: {loop}; "
                                "a graph cannot be a part of itself", node_id=node_id, param="graph"))
        return None
    if len(expansion.chain) >= MAX_NESTING:
        problems.append(Problem("subgraph_too_deep", f"subgraph node {node_id!r} nests graphs {len(expansion.chain) + 1} "
                                f"levels deep ({' → '.join(names)} → …); at most {MAX_NESTING} are allowed: "
                                "flatten a level", node_id=node_id))
        return None
    saved = expansion.resolve(graph_id, int(version)) if expansion.resolve is not None else None
    if saved is None:
        why = ("it was deleted, never saved, or is not yours" if expansion.resolve is not None else
               "saved graphs cannot be looked up here: export the graph, which bundles the graphs it uses")
        problems.append(Problem("missing_subgraph", f"subgraph node {node_id!r} runs version {version} of graph "
                                f"{graph_id!r}, which is not there: {why}", node_id=node_id, param="graph"))
        return None
    key = (graph_id, int(version), len(expansion.chain))  # how deep it sits decides what "too deep" finds
    inner = expansion.memo.get(key)
    if inner is None:
        inner = expansion.memo[key] = check(saved.document, expansion.inside(graph_id, saved.name))
    label = f"{saved.name!r} v{saved.version}"
    if not inner.ok:
        inner_problems = tuple(_prefixed(p, node_id) for p in inner.problems)
        first = inner_problems[0]
        where = first.get("node_id") or first.get("path") or "document"
        more = f" (and {len(inner_problems) - 1} more)" if len(inner_problems) > 1 else ""
        problems.append(Problem("subgraph_invalid", f"subgraph node {node_id!r} runs {label}, which has problems: "
                                f"{where}: {first['message']}{more}", node_id=node_id, inner=inner_problems))
        return None
    sub = Subgraph(graph_id, saved.version, saved.name, inner)
    ins, outs = [], []
    for nid, inner_node in inner.nodes.items():
        if getattr(inner_node.cls, "boundary", None) == "input":  # a typed port the outer graph must wire
            kind = inner_node.output_types.get("value", ANY)
            ins.append(_BoundaryInput(nid, kind, required=True, connectable=True, widget=None,
                                      label=str(inner_node.params.get("label") or nid)))
            sub.inputs[nid] = nid
        elif inner_node.cls.role == "input":
            value = inner_node.params.get("value")
            kind = inner_node.output_types.get(getattr(inner_node.cls, "output_name", "value"), ANY)
            label_text = str(inner_node.params.get("label") or nid)
            given = {"default": value} if value is not None else {}
            port = _BoundaryInput(nid, kind, required=value is None, connectable=True, widget=None, label=label_text,
                                  **given)
            ins.append(port)
            sub.inputs[nid] = nid
        elif inner_node.cls.role == "output":
            outs.append(_BoundaryOutput(nid, _shown_type(inner, inner_node), label=str(inner_node.params.get("label") or nid)))
            sub.outputs[nid] = nid
    return Ports.of(ins, outs), sub


def _shown_type(inner: CheckedGraph, node: CheckedNode) -> Type:
    """What an io output node shows: the type of what is wired into it (an ``Any`` JSON
    output of a collection exposes the collection, dimension and all)."""
    source = node.incoming.get("value")
    if source is not None:
        sent = inner.nodes[source[0]].output_types.get(source[1])
        if sent is not None:
            return sent
    return node.input_types.get("value", ANY)


def _prefixed(problem: Problem, prefix: str) -> dict[str, Any]:
    out = problem.to_json()
    if "node_id" in out:
        out["node_id"] = f"{prefix}{SEP}{out['node_id']}"
    if "nodes" in out:
        out["nodes"] = [f"{prefix}{SEP}{n}" for n in out["nodes"]]
    if "inner" in out:  # already prefixed by the level below; add this level
        out["inner"] = [{**p, "node_id": f"{prefix}{SEP}{p['node_id']}"} if "node_id" in p else p for p in out["inner"]]
    return out


def path_clashes(nodes: Mapping[str, CheckedNode]) -> list[Problem]:
    """A node id of the graph that a subgraph's inner node would take once expanded: node
    ``s/loud`` beside a subgraph node ``s`` whose graph has a ``loud``."""
    out = []
    for nid, node in nodes.items():
        for inner in _paths(node):
            if (fid := f"{nid}{SEP}{inner}") in nodes:
                out.append(Problem("duplicate_id", f"node id {fid!r} is also the path of node {inner!r} inside subgraph "
                                   f"node {nid!r}; rename node {fid!r}", node_id=fid))
    return out


def _paths(node: CheckedNode) -> list[str]:
    if node.subgraph is None:
        return []
    return [p for nid, inner in node.subgraph.inner.nodes.items() for p in (nid, *(f"{nid}{SEP}{q}" for q in _paths(inner)))]


# -- running ------------------------------------------------------------------------------


def has_subgraphs(checked: CheckedGraph) -> bool:
    return any(n.subgraph is not None for n in checked.nodes.values())


def flatten(checked: CheckedGraph, params: Mapping[str, dict[str, Any]]) -> tuple[CheckedGraph, dict[str, dict[str, Any]]]:
    """The graph with every subgraph node replaced by its inner nodes (path ids), and each
    flat node's params (the outer ones as given, with the run's inputs applied). The flat
    graph's ``groups`` maps each subgraph node's path id to its flat nodes, nested ones
    included, and ``group_outputs`` its output ports to the flat io nodes that show them."""
    nodes: dict[str, CheckedNode] = {}
    flat_params: dict[str, dict[str, Any]] = {}
    groups: dict[str, list[str]] = {}
    group_outputs: dict[str, dict[str, str]] = {}
    _place(checked, "", {}, params, nodes, flat_params, groups, group_outputs)
    graph = nx.DiGraph()
    graph.add_nodes_from(nodes)
    graph.add_edges_from((src, nid) for nid, node in nodes.items() for src, _ in node.incoming.values())
    flat = CheckedGraph(checked.name, nodes, graph, [])
    flat.groups, flat.group_outputs = groups, group_outputs
    return flat, flat_params


def _place(checked: CheckedGraph, prefix: str, bound: Mapping[str, tuple[str, str]],
           params: Mapping[str, dict[str, Any]], nodes: dict[str, CheckedNode], flat_params: dict[str, dict[str, Any]],
           groups: dict[str, list[str]], group_outputs: dict[str, dict[str, str]]) -> None:
    """Put ``checked``'s nodes into ``nodes`` under ``prefix``. ``bound``: this graph's io
    input nodes that the level above wires, and the flat output that feeds each."""

    def source(src: str, port: str) -> tuple[str, str]:
        node = checked.nodes[src]
        if node.subgraph is not None:  # an output port of a subgraph: the io node that shows it
            return f"{prefix}{src}{SEP}{node.subgraph.outputs[port]}", "value"
        if src in bound:
            return bound[src]
        return f"{prefix}{src}", port

    for nid, node in checked.nodes.items():
        fid = f"{prefix}{nid}"
        if node.subgraph is not None:
            inner_bound = {node.subgraph.inputs[port]: source(*src) for port, src in node.incoming.items()}
            before = len(nodes)
            _place(node.subgraph.inner, f"{fid}{SEP}", inner_bound,
                   {n: c.params for n, c in node.subgraph.inner.nodes.items()}, nodes, flat_params, groups, group_outputs)
            groups[fid] = list(nodes)[before:]
            group_outputs[fid] = {port: f"{fid}{SEP}{io}" for port, io in node.subgraph.outputs.items()}
            continue
        if nid in bound:
            continue  # an io input the level above wires: its users read the outer value
        if fid in nodes:
            raise ValueError(f"node id {fid!r} is used twice once the subgraphs are expanded; rename the outer node")
        incoming = {port: source(*src) for port, src in node.incoming.items()}
        nodes[fid] = replace(node, id=fid, incoming=incoming)
        flat_params[fid] = params.get(nid, node.params)


class SubgraphNodes:
    """A run's subgraph nodes, which have records and events of their own: each starts when
    its first inner node runs (whose reason it gives), reports which inner node is running,
    and ends as its inner nodes did (failed with the first inner cause, cancelled, cached when
    all were, else succeeded with its output ports)."""

    def __init__(self, groups: dict[str, list[str]], outputs: dict[str, dict[str, str]],
                 records: dict[str, NodeRecord], values: dict[str, dict[str, Any]], emit: Callable[..., Any],
                 settled: Callable[[NodeRecord], dict[str, Any]], fail: Callable[[NodeRecord, str, str], None]) -> None:
        self.groups, self.outputs, self.records, self.values = groups, outputs, records, values
        self.emit, self.on_settled, self.fail = emit, settled, fail
        self.around: dict[str, list[str]] = {}
        """flat node -> the subgraph nodes it is inside, innermost last."""
        for gid, members in groups.items():
            for member in members:
                self.around.setdefault(member, []).append(gid)
            records[gid] = NodeRecord(gid, SUBGRAPH)
        self.unsettled = {gid: len(members) for gid, members in groups.items()}

    def inside(self, nid: str) -> bool:
        return nid in self.around

    def started(self, nid: str, reason: str) -> None:
        for gid in self.around.get(nid, ()):
            inner, record = nid[len(gid) + 1:], self.records[gid]
            if record.started_at is None:
                record.status, record.started_at, record.reason = NodeStatus.RUNNING, time.time(), f"{inner}: {reason}"
                self.emit(EventType.NODE_STARTED, gid, reason=record.reason)
            done = len(self.groups[gid]) - self.unsettled[gid]
            self.emit(EventType.NODE_PROGRESS, gid, fraction=done / len(self.groups[gid]), message=f"running {inner}",
                      node=nid)

    def settled(self, nid: str) -> None:
        for gid in self.around.get(nid, ()):
            self.unsettled[gid] -= 1
            if self.unsettled[gid] == 0:
                self._settle(gid)

    def settle_empty(self) -> None:
        """End the subgraph nodes that had no inner node to wait for."""
        for gid in self.groups:
            if self.records[gid].status == NodeStatus.PENDING:
                self._settle(gid)

    def _settle(self, gid: str) -> None:
        record = self.records[gid]
        members = [self.records[m] for m in self.groups[gid]]
        if record.started_at is not None:
            record.duration_s = time.time() - record.started_at
        failed = [m for m in members if m.status == NodeStatus.FAILED]
        if failed:
            cause = next((m for m in failed if m.error and m.error["code"] != FailureCode.UPSTREAM_FAILED), failed[0])
            error = cause.error or {}
            upstream = error.get("code") == FailureCode.UPSTREAM_FAILED
            message = error.get("message", "")
            self.fail(record, FailureCode.UPSTREAM_FAILED if upstream else FailureCode.NODE_FAILED,
                      f"inner node {cause.node_id[len(gid) + 1:]!r} failed: {message}")
            return
        if any(m.status in (NodeStatus.CANCELLED, NodeStatus.PENDING) for m in members):
            record.status, record.reason = NodeStatus.CANCELLED, "run cancelled inside this subgraph"
            self.on_settled(record)
            self.emit(EventType.NODE_FAILED, gid, code=FailureCode.CANCELLED, message=record.reason)
            return
        record.outputs = {port: self.values.get(io, {}).get("value") for port, io in self.outputs[gid].items()}
        self.values[gid] = record.outputs
        if all(m.status == NodeStatus.CACHED for m in members):
            record.status, record.reason = NodeStatus.CACHED, "unchanged"
            self.emit(EventType.NODE_CACHED, gid, reason="unchanged", **self.on_settled(record))
            return
        record.status = NodeStatus.SUCCEEDED
        self.emit(EventType.NODE_FINISHED, gid, duration_s=record.duration_s or 0.0, **self.on_settled(record))
