"""Check a graph document against the node catalog and report every problem at once.

The validator never raises, whatever it is given: anything it cannot read becomes a
problem with a code, a place and a sentence. What it learns along the way — each node's
class, coerced params, ports, resolved types, the edges into each input — is kept in a
`CheckedGraph`, so the executor plans from it without parsing the document again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypedDict

import networkx as nx
from pydantic import BaseModel, ValidationError

from app.engine.checked import CheckedGraph, CheckedNode
from app.engine.document import (
    MAX_EDGES,
    MAX_NODES,
    SCHEMA,
    EdgeSpec,
    GraphDocument,
    JsonFlaw,
    NodeSpec,
    has_lone_surrogate,
    json_flaws,
    json_path,
)
from app.engine.problems import Problem
from app.engine.subgraphs import (
    SUBGRAPH,
    Expansion,
    Resolver,
    bundled,
    check_subgraph,
    path_clashes,
)
from nodes.api import Node
from nodes.registry import Registry
from nodes.types import ANY, Bindings, Type, Var, Verdict, connect, substitute


def validate(document: Any, registry: Registry, *, subgraphs: Resolver | None = None, graph_id: str | None = None,
             _expansion: Expansion | None = None) -> CheckedGraph:
    """Read and check ``document`` (parsed JSON, or a GraphDocument). ``subgraphs`` looks up
    the saved graphs its ``graph.subgraph`` nodes run (without one, such a node is a
    ``missing_subgraph`` problem); ``graph_id``: the saved graph this document is a version
    of, so that containing itself is caught at the first level."""
    problems: list[Problem] = []
    if _expansion is None:
        _expansion = Expansion(subgraphs or bundled(document), ((graph_id, _name_of(document)),) if graph_id else ())
    try:
        return _validate(document, registry, problems, _expansion)
    except Exception as exc:  # a bug here must still come out as a report, never a crash
        problems.append(Problem("invalid_document", f"the document could not be checked: {exc}"))
        return CheckedGraph("", {}, nx.DiGraph(), problems)


def _name_of(document: Any) -> str:
    name = document.get("name") if isinstance(document, Mapping) else getattr(document, "name", None)
    return name if isinstance(name, str) and name else "this graph"


def _validate(document: Any, registry: Registry, problems: list[Problem], expansion: Expansion) -> CheckedGraph:
    if _out_of_bounds(document, problems):
        return CheckedGraph("", {}, nx.DiGraph(), problems)
    name, specs, edges = _read(document, problems)
    nodes = _check_nodes(specs, registry, problems, expansion)
    problems += path_clashes(nodes)
    graph = nx.DiGraph()
    graph.add_nodes_from(nodes)
    known_ids = {s.id for s in specs} | _raw_node_ids(document)
    wired_to_broken = _check_edges(edges, nodes, known_ids, graph, problems)
    cycles = _check_cycles(graph, problems)
    _infer_types(nodes, graph, has_cycle=bool(cycles), problems=problems)
    _check_missing_inputs(nodes, problems, wired_to_broken)
    return CheckedGraph(name, nodes, graph, problems)


# -- bounds and strict JSON --------------------------------------------------------------


def _out_of_bounds(document: Any, problems: list[Problem]) -> bool:
    """Report a graph over the size bounds and every place that is not strict JSON; true if
    there was any. Such a document is checked no further: one over the bounds is not worth
    checking node by node, and the rest of the checks would echo a flaw into the report (a
    node id with a lone surrogate makes a report that cannot be sent)."""
    raw = document.model_dump(by_alias=True) if isinstance(document, GraphDocument) else document
    if isinstance(raw, Mapping):
        for key, bound in (("nodes", MAX_NODES), ("edges", MAX_EDGES)):
            items = raw.get(key)
            if isinstance(items, list) and len(items) > bound:
                problems.append(Problem("graph_too_large", f"the graph has {len(items)} {key}; a graph may have at most "
                                        f"{bound}: split it into smaller graphs", path=key))
    for flaw in json_flaws(raw):
        problems.append(Problem(flaw.code, flaw.message, path=flaw.path, **_pinned(raw, flaw)))
    return bool(problems)


class _Pin(TypedDict, total=False):
    """Where a flaw is, as ``Problem`` keyword arguments."""

    node_id: str
    param: str
    edge_id: str


def _pinned(document: Any, flaw: JsonFlaw) -> _Pin:
    """The node (and param) or edge a flaw is inside, when its id can be named."""
    at = flaw.at
    if len(at) < 2 or at[0] not in ("nodes", "edges") or not isinstance(at[1], int):
        return {}
    entry = document[at[0]][at[1]]
    ident = entry.get("id") if isinstance(entry, Mapping) else None
    if not isinstance(ident, str) or has_lone_surrogate(ident):
        return {}
    if at[0] == "edges":
        return {"edge_id": ident}
    pin: _Pin = {"node_id": ident}
    if len(at) >= 4 and at[2] == "params" and isinstance(at[3], str) and not has_lone_surrogate(at[3]):
        pin["param"] = at[3]
    return pin


# -- reading -----------------------------------------------------------------------------


def _read(document: Any, problems: list[Problem]) -> tuple[str, list[NodeSpec], list[EdgeSpec]]:
    if isinstance(document, GraphDocument):
        return document.name, list(document.nodes), list(document.edges)
    if not isinstance(document, Mapping):
        problems.append(Problem("invalid_document", f"a graph document is a JSON object, not {_kind(document)}"))
        return "", [], []
    if "schema_" not in document:  # pydantic would take the field's own name for 'schema'
        try:  # the fast path: a well-formed document
            doc = GraphDocument.model_validate(document)
            return doc.name, list(doc.nodes), list(doc.edges)
        except ValidationError:
            pass
    schema = document.get("schema")
    if schema != SCHEMA:
        said = "has no 'schema' field" if schema is None else f"has schema {schema!r}"
        problems.append(Problem("unsupported_schema", f"the document {said}; this version reads {SCHEMA!r}", path="schema"))
    for key in document:
        if key not in {"schema", "name", "description", "nodes", "edges", "meta", "graphs"}:
            problems.append(Problem("invalid_document", f"unknown top-level field {str(key)!r}", path=json_path((key,))))
    for key in ("name", "description"):
        if key in document and not isinstance(document[key], str):
            problems.append(Problem("invalid_document", f"'{key}' must be a text, not {_kind(document[key])}", path=key))
    if "meta" in document and not isinstance(document["meta"], Mapping):
        problems.append(Problem("invalid_document", "'meta' must be an object", path="meta"))
    name = document.get("name") if isinstance(document.get("name"), str) else ""
    specs = _read_items(document, "nodes", NodeSpec, "invalid_node", problems)
    edges = _read_items(document, "edges", EdgeSpec, "invalid_edge", problems)
    return name, specs, edges  # type: ignore[return-value]


def _read_items(document: Mapping, key: str, model: type[BaseModel], code: str, problems: list[Problem]) -> list:
    items = document.get(key, [])
    if not isinstance(items, list):
        problems.append(Problem("invalid_document", f"'{key}' must be a list, not {_kind(items)}", path=key))
        return []
    good = []
    for i, item in enumerate(items):
        try:
            good.append(model.model_validate(item))
        except ValidationError as exc:
            ident = item.get("id") if isinstance(item, Mapping) and isinstance(item.get("id"), str) else None
            for err in exc.errors(include_url=False):
                loc = ".".join(str(p) for p in err["loc"])
                where = f"{key}[{i}]" + (f".{loc}" if loc else "")
                kwargs = {"node_id": ident} if key == "nodes" else {"edge_id": ident}
                problems.append(Problem(code, f"{where}: {err['msg']}", path=where, **kwargs))
    return good


def _raw_node_ids(document: Any) -> set[str]:
    """Ids of every node entry, malformed ones included: an edge to a node that is in the
    document but broken is not dangling (the node's own problem is reported)."""
    items = document.get("nodes") if isinstance(document, Mapping) else None
    if not isinstance(items, list):
        return set()
    return {i["id"] for i in items if isinstance(i, Mapping) and isinstance(i.get("id"), str)}


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a text", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number" if isinstance(value, int | float) else type(value).__name__
    )


# -- nodes -------------------------------------------------------------------------------


def _check_nodes(specs: list[NodeSpec], registry: Registry, problems: list[Problem],
                 expansion: Expansion) -> dict[str, CheckedNode]:
    nodes: dict[str, CheckedNode] = {}
    seen: set[str] = set()
    for spec in specs:
        if spec.id in seen:
            problems.append(Problem("duplicate_id", f"two nodes have the id {spec.id!r}; ids must be unique", node_id=spec.id))
            continue
        seen.add(spec.id)
        cls = registry.get(spec.type)
        if cls is None:
            hint = registry.suggest(spec.type)
            also = f"; did you mean {hint!r}?" if hint else ""
            problems.append(
                Problem("unknown_node_type", f"node {spec.id!r} has type {spec.type!r}, which is not installed{also}", node_id=spec.id)
            )
            continue
        params = _check_params(spec, cls, problems)
        if spec.type == SUBGRAPH:
            found = check_subgraph(spec.id, params, expansion, problems,
                                   lambda doc, inner: validate(doc, registry, _expansion=inner))
            if found is not None:
                nodes[spec.id] = CheckedNode(spec.id, cls, params, found[0], subgraph=found[1])
            continue
        try:
            ports = cls.ports(params)
        except Exception as exc:  # a node's own hook failed: report, fall back to its static ports
            problems.append(Problem("bad_param", f"node {spec.id!r} could not compute its ports: {exc}", node_id=spec.id))
            ports = cls._ports
        nodes[spec.id] = CheckedNode(spec.id, cls, params, ports)
    return nodes


def _check_params(spec: NodeSpec, cls: type[Node], problems: list[Problem]) -> dict[str, Any]:
    try:
        return cls.validate_params(spec.params)
    except ValidationError as exc:
        bad: set[str] = set()
        for err in exc.errors(include_url=False):
            field_name = str(err["loc"][0]) if err["loc"] else ""
            bad.add(field_name)
            if err["type"] == "extra_forbidden":
                known = ", ".join(i.name for i in cls.inputs if i.is_param) or "none"
                msg = f"node {spec.id!r} ({cls.title}) has no parameter {field_name!r}; its parameters: {known}"
            else:
                msg = f"node {spec.id!r} ({cls.title}), parameter {field_name!r}: {err['msg']}"
            problems.append(Problem("bad_param", msg, node_id=spec.id, param=field_name or None))
        # keep what is acceptable so the rest of the graph can still be checked
        good = {k: v for k, v in spec.params.items() if k not in bad}
        try:
            return cls.validate_params(good)
        except ValidationError:
            return {}


# -- edges -------------------------------------------------------------------------------


def _check_edges(
    edges: list[EdgeSpec],
    nodes: dict[str, CheckedNode],
    known_ids: set[str],
    graph: nx.DiGraph,
    problems: list[Problem],
) -> set[tuple[str, str]]:
    """Check each edge and record it; return the (node, input) pairs wired from a node that
    is itself broken, so that those inputs are not also reported as missing."""
    seen: set[str] = set()
    wired_to_broken: set[tuple[str, str]] = set()
    for edge in edges:
        if edge.id in seen:
            problems.append(Problem("duplicate_id", f"two edges have the id {edge.id!r}", edge_id=edge.id))
            continue
        seen.add(edge.id)
        missing = [end for end in (edge.source, edge.target) if end not in known_ids]
        if missing:
            for end in missing:
                role = "comes from" if end == edge.source else "goes to"
                problems.append(
                    Problem("dangling_edge", f"edge {edge.id!r} {role} node {end!r}, which is not in the graph", edge_id=edge.id, node_id=end)
                )
            continue
        src, dst = nodes.get(edge.source), nodes.get(edge.target)
        if src is None or dst is None:  # the node itself is broken and already reported
            if dst is not None and edge.target_port in dst.ports.by_name:
                wired_to_broken.add((dst.id, edge.target_port))
            continue
        if edge.source_port not in src.ports.outputs_by_name:
            have = ", ".join(src.ports.outputs_by_name) or "none"  # an edge names ports by name
            problems.append(
                Problem("unknown_port", f"node {src.id!r} ({src.cls.title}) has no output {edge.source_port!r}; its outputs: {have}",
                        node_id=src.id, port=edge.source_port, edge_id=edge.id)
            )
            continue
        port = dst.ports.by_name.get(edge.target_port)
        if port is None:
            have = ", ".join(i.name for i in dst.ports.inputs if i.connectable) or "none"
            problems.append(
                Problem("unknown_port", f"node {dst.id!r} ({dst.cls.title}) has no input {edge.target_port!r}; its inputs: {have}",
                        node_id=dst.id, port=edge.target_port, edge_id=edge.id)
            )
            continue
        if not port.connectable:
            problems.append(
                Problem("not_connectable", f"input {port.shown!r} of node {dst.id!r} is a setting and cannot be wired; set it on the node",
                        node_id=dst.id, port=port.name, edge_id=edge.id)
            )
            continue
        if edge.target_port in dst.incoming:
            other = dst.incoming[edge.target_port]
            problems.append(
                Problem("multiple_inputs",
                        f"input {port.shown!r} of node {dst.id!r} already has an edge from {_output(nodes, *other)}; "
                        f"it takes one value — remove one edge or join the values first",
                        node_id=dst.id, port=edge.target_port, edge_id=edge.id)
            )
            continue
        dst.incoming[edge.target_port] = (edge.source, edge.source_port)
        graph.add_edge(edge.source, edge.target)
    return wired_to_broken


def _check_cycles(graph: nx.DiGraph, problems: list[Problem]) -> list[list[str]]:
    if nx.is_directed_acyclic_graph(graph):
        return []
    cycles = []
    for component in nx.strongly_connected_components(graph):
        members = sorted(component)
        if len(members) == 1 and not graph.has_edge(members[0], members[0]):
            continue
        try:
            loop = [u for u, _ in nx.find_cycle(graph.subgraph(members))]
        except nx.NetworkXNoCycle:  # pragma: no cover - a strongly connected set has one
            loop = members
        cycles.append(loop)
        path = " -> ".join([*loop, loop[0]])
        problems.append(Problem("cycle", f"these nodes feed each other in a loop: {path}", node_id=loop[0], nodes=tuple(loop)))
    return cycles


# -- types -------------------------------------------------------------------------------


def _infer_types(nodes: dict[str, CheckedNode], graph: nx.DiGraph, *, has_cycle: bool, problems: list[Problem]) -> None:
    """Bind each node's type variables from what flows in, in topological order, so that a
    dimension known upstream is known downstream; report edges whose types disagree."""
    order = list(nodes) if has_cycle else list(nx.topological_sort(graph))
    for nid in order:
        node = nodes[nid]
        try:
            bindings: Bindings = dict(node.cls.type_bindings(node.params))
        except Exception as exc:  # a node's own hook failed: report, infer from the edges alone
            problems.append(Problem("bad_param", f"node {nid!r} could not work out its types from its parameters: {exc}", node_id=nid))
            bindings = {}
        for port in node.ports.inputs:
            source = node.incoming.get(port.name)
            if source is None:
                continue
            src_node = nodes[source[0]]
            sent = src_node.output_types.get(source[1]) or src_node.ports.outputs_by_name[source[1]].port_type
            verdict, lifted = connect(sent, port.port_type, bindings)
            if lifted:
                node.lifted.add(port.name)
            if verdict is Verdict.OK:
                continue
            want = substitute(port.port_type, bindings)
            if verdict is Verdict.DIMENSION_MISMATCH:
                msg = (f"{_output(nodes, *source)} gives {sent} but input {port.shown!r} of node {nid!r} needs {want}: "
                       "the vectors have different dimensions — use the same embedding model on both sides")
            else:
                msg = (f"{_output(nodes, *source)} gives {sent}, which input {port.shown!r} of node {nid!r} ({node.cls.title}) "
                       f"cannot take: it needs {want}")
            problems.append(Problem(verdict.value, msg, node_id=nid, port=port.name))
        node.input_types = {p.name: _resolved(p.port_type, bindings) for p in node.ports.inputs}
        node.output_types = {o.name: _resolved(o.port_type, bindings) for o in node.ports.outputs}


def _output(nodes: Mapping[str, CheckedNode], node_id: str, name: str) -> str:
    """``'load'.documents``: an output as its node shows it."""
    out = nodes[node_id].ports.outputs_by_name.get(name) if node_id in nodes else None
    return f"{node_id!r}.{out.shown if out is not None else name}"


def _resolved(t: Type | Var, bindings: Bindings) -> Type:
    out = substitute(t, bindings)
    return out if isinstance(out, Type) else ANY


def _check_missing_inputs(
    nodes: dict[str, CheckedNode], problems: list[Problem], wired_to_broken: set[tuple[str, str]]
) -> None:
    rejected = {(p.node_id, p.param) for p in problems if p.code == "bad_param"}
    for node in nodes.values():
        for port in node.ports.inputs:
            if not port.required or port.name in node.incoming:
                continue
            if (node.id, port.name) in wired_to_broken or (port.is_param and (node.id, port.name) in rejected):
                continue  # wired, or given a value that was rejected: reported already
            if port.is_param and node.params.get(port.name) is not None:
                continue
            how = "connect an edge to it or set its value" if port.is_param else "connect an edge to it"
            problems.append(
                Problem("missing_input", f"input {port.shown!r} ({port.port_type}) of node {node.id!r} ({node.cls.title}) is required: {how}",
                        node_id=node.id, port=port.name)
            )
