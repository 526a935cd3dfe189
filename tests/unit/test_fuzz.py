"""Hypothesis: the validator never raises, whatever it is given, and its report keeps its
contract (strict JSON, whatever the document held); a document it would let be saved is strict
JSON within the bounds; the type rule keeps its promises on arbitrary types.

The JSON drawn here holds what Python's ``json`` reads but cannot write back: NaN and
Infinity, lone surrogates in texts and keys, empty keys, nesting past ``MAX_DEPTH``."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sample_nodes import sample_registry

from app.engine.document import MAX_DEPTH, SCHEMA, json_flaws
from app.engine.problems import CODES
from app.engine.validate import validate
from app.services.graphs import UNSAVEABLE as _UNSAVEABLE
from nodes.api import Input, Node
from nodes.types import ANY, Collection, Embedding, List, Type, Var, Verdict, parse_type, unify

REGISTRY = sample_registry()
NODE_CLASSES = sorted(REGISTRY, key=lambda c: c.type_id)
FAST = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])

SURROGATES = st.sampled_from(["\ud800", "a\udfffb", "\udbff\udbff", "\ud83d"])
texts = st.text(max_size=12) | SURROGATES | st.just("")
keys = st.text(max_size=8) | SURROGATES | st.just("")
json_leaves = st.none() | st.booleans() | st.integers() | st.floats() | texts


def nested(levels: int) -> Any:
    value: Any = 1
    for i in range(levels):
        value = {"a": value} if i % 2 else [value]
    return value


deep_values = st.integers(MAX_DEPTH - 6, 300).map(nested)
json_values = st.recursive(
    json_leaves,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=20,
) | deep_values
STRICT_CODES = {"non_finite_number", "lone_surrogate", "too_deep"}


def assert_report_keeps_its_contract(document: Any) -> dict[str, Any]:
    checked = validate(document, REGISTRY)
    report = checked.report()
    text = json.dumps(report, allow_nan=False, ensure_ascii=False)  # strict JSON, whatever came in
    text.encode("utf-8")
    assert json.loads(text) == report
    assert report["valid"] is (not report["problems"])
    flaws = json_flaws(document)
    assert {p.code for p in checked.problems} & STRICT_CODES == {f.code for f in flaws}
    if not any(p.code in _UNSAVEABLE for p in checked.problems):  # it could be saved: it can be read back
        assert not flaws
        json.dumps(document, allow_nan=False, ensure_ascii=False).encode("utf-8")
    for problem in checked.problems:
        assert problem.code in CODES, problem
        # the validator's safety net caught a crash: a bug, even though nothing was raised
        assert "could not be checked" not in problem.message, problem
        assert problem.message.strip()
    assert validate(document, REGISTRY).report() == report, "the same document, a different verdict"
    return report


# -- arbitrary JSON --------------------------------------------------------------------


@FAST
@given(json_values)
def test_validate_never_raises_on_arbitrary_json(document: Any) -> None:
    report = assert_report_keeps_its_contract(document)
    assert not report["valid"] or (isinstance(document, dict) and document.get("schema") == SCHEMA)


node_ids = st.sampled_from(["a", "b", "c", "d", ""]) | st.text(max_size=5)
junk_nodes = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {"id": node_ids},
        optional={
            "type": st.sampled_from([c.type_id for c in NODE_CLASSES]) | json_values,
            "params": st.dictionaries(
                st.sampled_from(["value", "text", "template", "model", "x"]),
                json_values,
                max_size=3,
            )
            | json_values,
            "position": st.fixed_dictionaries({}, optional={"x": json_leaves, "y": json_leaves})
            | json_values,
            "version": json_leaves,
            "title": json_leaves,
            "extra": json_leaves,
        },
    ),
)
port_names = st.sampled_from(
    ["text", "value", "items", "embedding", "collection", "query", "prompt", "lines"]
)
junk_edges = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {"id": node_ids},
        optional={
            "source": node_ids | json_leaves,
            "source_port": port_names | json_leaves,
            "target": node_ids | json_leaves,
            "target_port": port_names | json_leaves,
            "weight": json_leaves,
        },
    ),
)
junk_documents = st.fixed_dictionaries(
    {"schema": st.just(SCHEMA)},
    optional={
        "nodes": st.lists(junk_nodes, max_size=6) | json_values,
        "edges": st.lists(junk_edges, max_size=6) | json_values,
        "name": json_leaves,
        "description": json_leaves,
        "meta": json_values,
        "extra": json_values,
        "": json_values,
    },
)


@FAST
@given(junk_documents)
def test_validate_never_raises_on_a_right_schema_with_junk_inside(document: dict[str, Any]) -> None:
    report = assert_report_keeps_its_contract(document)
    named = _ids_named_in(document)
    for problem in report["problems"]:
        if "node_id" in problem:
            assert problem["node_id"] in named, problem


def _ids_named_in(document: dict[str, Any]) -> set[Any]:
    named: set[Any] = set()
    for key, fields in (("nodes", ("id",)), ("edges", ("source", "target"))):
        items = document.get(key)
        if isinstance(items, list):
            for item in items:
                if isinstance(item, dict):
                    named.update(item.get(f) for f in fields if isinstance(item.get(f), str))
    return named


# -- graphs built from the catalog -----------------------------------------------------


def _value_for(port: Input) -> st.SearchStrategy[Any]:
    if port.choices is not None:
        typed: st.SearchStrategy[Any] = st.sampled_from(list(port.choices))
    else:
        typed = {
            "Text": st.text(alphabet="ab{}_ \n", max_size=16),
            "Integer": st.integers(-5, 100),
            "Number": st.floats(-1e3, 1e3) | st.sampled_from([float("nan"), float("inf")]),
            "Boolean": st.booleans(),
            "Json": json_values,
        }.get(port.port_type.name, json_values)
    return st.one_of(typed, typed, typed, json_leaves)  # mostly right, sometimes junk


@st.composite
def catalog_graphs(draw: st.DrawFn) -> dict[str, Any]:
    count = draw(st.integers(1, 7))
    nodes: list[dict[str, Any]] = []
    classes: list[type[Node]] = []
    for i in range(count):
        cls = draw(st.sampled_from(NODE_CLASSES))
        params = {
            port.name: draw(_value_for(port))
            for port in cls.inputs
            if port.is_param and draw(st.booleans())
        }
        if draw(st.integers(0, 9)) == 0:
            params[draw(st.sampled_from(["nope", "items", "embedding"]))] = draw(json_leaves)
        nid = f"n{i}" if draw(st.integers(0, 19)) else "n0"  # now and then, a duplicate id
        nodes.append({"id": nid, "type": cls.type_id, "params": params})
        classes.append(cls)
    edges: list[dict[str, Any]] = []
    for j in range(draw(st.integers(0, 10))):
        a, b = draw(st.integers(0, count - 1)), draw(st.integers(0, count - 1))
        src, dst = classes[a], classes[b]
        outs = [o.name for o in src.outputs] or ["none"]
        ins = [i.name for i in dst.ports(nodes[b]["params"]).inputs]
        edges.append(
            {
                "id": f"e{j}" if draw(st.integers(0, 19)) else "e0",
                "source": nodes[a]["id"] if draw(st.integers(0, 14)) else "ghost",
                "source_port": draw(st.sampled_from(outs)) if draw(st.integers(0, 14)) else "nope",
                "target": nodes[b]["id"],
                "target_port": draw(st.sampled_from(ins)) if draw(st.integers(0, 14)) else "nope",
            }
        )
    return {"schema": SCHEMA, "name": "fuzz", "nodes": nodes, "edges": edges}


@FAST
@given(catalog_graphs())
def test_validate_reports_within_contract_on_random_catalog_graphs(
    document: dict[str, Any],
) -> None:
    report = assert_report_keeps_its_contract(document)
    ids = {n["id"] for n in document["nodes"]}
    for problem in report["problems"]:
        assert problem["code"] not in {
            "invalid_document",
            "unsupported_schema",
            "invalid_node",
            "invalid_edge",
            "unknown_node_type",
        }, problem
        # pinned: to a node of the document (or the missing one an edge names), or to an edge
        assert problem.get("node_id", None) in ids | {"ghost"} or set(problem) & {
            "node_id",
            "edge_id",
        } == {"edge_id"}, problem
    if report["valid"]:
        assert set(report["types"]) == ids
        for nid, types in report["types"].items():
            for text in [*types["inputs"].values(), *types["outputs"].values()]:
                assert isinstance(parse_type(text), Type), (
                    nid,
                    text,
                )  # resolved: no variables left


# -- the type rule on arbitrary types --------------------------------------------------

dims = st.sampled_from([None, 1, 384, 768])
closed_types = st.recursive(
    st.sampled_from(
        [
            Type(n)
            for n in (
                "Any",
                "Text",
                "Integer",
                "Number",
                "Boolean",
                "Json",
                "Image",
                "Audio",
                "File",
                "Document",
                "Conditioning",
                "Latent",
            )
        ]
    )
    | dims.map(Embedding)
    | dims.map(Collection),
    lambda inner: inner.map(List),
    max_leaves=4,
)
open_types = st.recursive(
    closed_types | st.sampled_from([Var("T"), Embedding("d"), Collection("d")]),
    lambda inner: inner.map(List),
    max_leaves=4,
)


@FAST
@given(open_types)
def test_str_and_parse_type_round_trip(t: Type | Var) -> None:
    assert parse_type(str(t)) == t


@FAST
@given(st.text(alphabet="ListEmbdgTextAnyNumr[],? 0123456789d", max_size=24) | st.text(max_size=12))
def test_parse_type_raises_only_value_error(text: str) -> None:
    try:
        parsed = parse_type(text)
    except ValueError as exc:
        assert str(exc)
    else:
        assert parse_type(str(parsed)) == parsed


@FAST
@given(closed_types)
def test_every_type_feeds_itself_and_any(t: Type) -> None:
    assert unify(t, t) is Verdict.OK
    assert unify(t, ANY) is Verdict.OK
    assert unify(ANY, t) is Verdict.OK


@FAST
@given(closed_types, open_types, st.fixed_dictionaries({}, optional={"d": dims, "T": closed_types}))
def test_unify_changes_bindings_only_when_ok(sender: Type, receiver: Type, bindings: dict) -> None:
    before = dict(bindings)
    verdict = unify(sender, receiver, bindings)
    assert verdict in set(Verdict)
    if verdict is Verdict.OK:
        assert all(bindings[k] == v for k, v in before.items() if v is not None), (
            "a known binding changed"
        )
    else:
        assert bindings == before
