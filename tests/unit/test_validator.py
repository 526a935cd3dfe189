"""The validator: one test per problem code, type inference across a graph, and a document
with several mistakes reported all at once, each pinned to where it is."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any

import pytest
from sample_nodes import SAMPLE_NODES, sample_registry

from app.engine.document import SCHEMA, GraphDocument
from app.engine.problems import CODES, Problem
from app.engine.validate import CheckedGraph, validate
from nodes.api import Input, Node, Output
from nodes.registry import Registry, discover
from nodes.types import Bindings

REGISTRY = sample_registry()


def node(nid: str, type_id: str, **params: Any) -> dict[str, Any]:
    return {"id": nid, "type": type_id, "params": params}


def edge(
    source: str, source_port: str, target: str, target_port: str, eid: str | None = None
) -> dict[str, Any]:
    return {
        "id": eid or f"{source}.{source_port}->{target}.{target_port}",
        "source": source,
        "source_port": source_port,
        "target": target,
        "target_port": target_port,
    }


def doc(nodes: list[dict], edges: list[dict] = ()) -> dict[str, Any]:  # type: ignore[assignment]
    return {"schema": SCHEMA, "name": "test", "nodes": list(nodes), "edges": list(edges)}


def check(document: Any, registry: Registry = REGISTRY) -> CheckedGraph:
    """Validate, and hold every report to the contract: known codes, JSON all the way."""
    checked = validate(document, registry)
    report = checked.report()
    assert json.loads(json.dumps(report)) == report
    assert report["valid"] is (not checked.problems)
    for p in checked.problems:
        assert p.code in CODES, p
        assert p.message and "could not be checked" not in p.message, p
    return checked


def problems(document: Any, code: str | None = None) -> list[Problem]:
    found = check(document).problems
    return [p for p in found if code is None or p.code == code]


def only(document: Any, code: str) -> Problem:
    """The document has exactly one problem, and it has this code."""
    found = problems(document)
    assert [p.code for p in found] == [code], [p.to_json() for p in found]
    return found[0]


RAG_NODES = [
    node("docs", "io.text_input", value="a\nb"),
    node("q", "io.text_input", value="what?"),
    node("emb_docs", "sample.embedder", model="mini"),
    node("emb_q", "sample.embedder", model="mini"),
    node("store", "sample.store"),
    node("search", "sample.query", top_k=2),
    node("join", "utility.join"),
    node("prompt", "utility.prompt_template"),
    node("out", "io.text_output"),
]
RAG_EDGES = [
    edge("docs", "text", "emb_docs", "text"),
    edge("q", "text", "emb_q", "text"),
    edge("emb_docs", "embedding", "store", "embeddings"),
    edge("store", "collection", "search", "collection"),
    edge("emb_q", "embedding", "search", "query"),
    edge("search", "documents", "join", "items"),
    edge("join", "text", "prompt", "context"),
    edge("q", "text", "prompt", "question"),
    edge("prompt", "prompt", "out", "value"),
]


def test_a_well_formed_graph_has_no_problems() -> None:
    checked = check(doc(RAG_NODES, RAG_EDGES))
    assert checked.problems == []
    assert checked.ok and checked.report()["valid"] is True
    assert set(checked.nodes) == {n["id"] for n in RAG_NODES}
    assert checked.nodes["search"].incoming == {
        "collection": ("store", "collection"),
        "query": ("emb_q", "embedding"),
    }


def test_a_graph_document_object_is_accepted_as_well_as_json() -> None:
    checked = check(GraphDocument.model_validate(doc(RAG_NODES, RAG_EDGES)))
    assert checked.ok


def test_validate_does_not_change_the_document() -> None:
    document = doc(
        [*RAG_NODES, node("bad", "utility.split_lines", skip_empty="perhaps")], RAG_EDGES
    )
    before = copy.deepcopy(document)
    check(document)
    assert document == before


# -- the document itself ---------------------------------------------------------------


@pytest.mark.parametrize("document", [None, [], "a graph", 42, 1.5, True], ids=repr)
def test_invalid_document_when_not_an_object(document: Any) -> None:
    p = only(document, "invalid_document")
    assert "JSON object" in p.message


def test_invalid_document_for_unknown_top_level_field() -> None:
    p = only({**doc([]), "nodez": []}, "invalid_document")
    assert p.path == "nodez" and "nodez" in p.message


def test_invalid_document_for_fields_of_the_wrong_shape() -> None:
    found = problems({"schema": SCHEMA, "name": 3, "nodes": {"a": 1}, "edges": "none", "meta": []})
    assert [p.code for p in found] == ["invalid_document"] * 4
    assert {p.path for p in found} == {"name", "nodes", "edges", "meta"}


@pytest.mark.parametrize(
    ("schema", "says"),
    [
        (None, "has no 'schema' field"),
        ("genaisys.graph/2", "has schema 'genaisys.graph/2'"),
        ("", "has schema ''"),
    ],
)
def test_unsupported_schema(schema: str | None, says: str) -> None:
    document = {"nodes": [], "edges": []}
    if schema is not None:
        document["schema"] = schema
    p = only(document, "unsupported_schema")
    assert says in p.message and SCHEMA in p.message and p.path == "schema"


def test_schema_cannot_be_smuggled_in_under_the_python_field_name() -> None:
    found = problems({"schema_": SCHEMA, "nodes": [], "edges": []})
    assert {p.code for p in found} == {"unsupported_schema", "invalid_document"}


def test_problems_in_the_rest_are_still_reported_when_the_schema_is_wrong() -> None:
    found = problems({"schema": "old", "nodes": [node("a", "io.text_inptu")], "edges": []})
    assert {p.code for p in found} == {"unsupported_schema", "unknown_node_type"}


def test_invalid_node_is_pinned_to_its_entry() -> None:
    document = doc(
        [
            {"id": "a", "params": {}},
            {"id": "b", "type": "io.text_input", "colour": "red"},
            {"id": "c", "type": "io.text_input", "params": ["value"]},
            "not a node",
            node("ok", "io.text_input"),
        ]
    )
    found = problems(document)
    assert [p.code for p in found] == ["invalid_node"] * 4
    assert [(p.node_id, p.path) for p in found] == [
        ("a", "nodes[0].type"),
        ("b", "nodes[1].colour"),
        ("c", "nodes[2].params"),
        (None, "nodes[3]"),
    ]


def test_invalid_edge_is_pinned_to_its_entry() -> None:
    bad = edge("a", "text", "b", "value", eid="e1")
    del bad["target_port"]
    found = problems(
        doc([node("a", "io.text_input"), node("b", "io.text_output")], [bad, {"id": 5}])
    )
    codes = [p.code for p in found]
    assert set(codes) == {"invalid_edge", "missing_input"}
    first = next(p for p in found if p.code == "invalid_edge")
    assert first.edge_id == "e1" and first.path == "edges[0].target_port"
    assert any(p.path and p.path.startswith("edges[1]") for p in found)


def test_an_edge_to_a_malformed_node_is_not_called_dangling() -> None:
    document = doc(
        [{"id": "a", "type": "io.text_input", "params": []}, node("b", "io.text_output")],
        [edge("a", "text", "b", "value")],
    )
    assert only(document, "invalid_node").node_id == "a"


# -- ids and types ---------------------------------------------------------------------


def test_duplicate_node_id() -> None:
    p = only(doc([node("a", "io.text_input"), node("a", "io.integer_input")]), "duplicate_id")
    assert p.node_id == "a" and "'a'" in p.message


def test_duplicate_edge_id() -> None:
    nodes = [node("a", "io.text_input"), node("b", "io.text_output"), node("c", "io.text_output")]
    edges = [edge("a", "text", "b", "value", eid="e"), edge("a", "text", "c", "value", eid="e")]
    found = problems(doc(nodes, edges))
    p = next(p for p in found if p.code == "duplicate_id")
    assert p.edge_id == "e"
    # the second edge was dropped, so 'c' really is unwired
    assert {(q.code, q.node_id) for q in found} == {("duplicate_id", None), ("missing_input", "c")}


@pytest.mark.parametrize(
    ("typo", "meant"),
    [
        ("io.text_inptu", "io.text_input"),
        ("utility.split_line", "utility.split_lines"),
        ("prompt_template", "utility.prompt_template"),
        ("io.jsonoutput", "io.json_output"),
        ("sample.embeder", "sample.embedder"),
    ],
)
def test_unknown_node_type_suggests_the_closest_id(typo: str, meant: str) -> None:
    p = only(doc([node("n", typo)]), "unknown_node_type")
    assert p.node_id == "n"
    assert typo in p.message and f"did you mean {meant!r}?" in p.message


def test_unknown_node_type_without_anything_close() -> None:
    p = only(doc([node("n", "zzzz.qqqq")]), "unknown_node_type")
    assert "did you mean" not in p.message


def test_inputs_wired_from_a_node_of_unknown_type_are_not_also_missing() -> None:
    document = doc(
        [node("a", "io.text_inptu"), node("split", "utility.split_lines")],
        [edge("a", "text", "split", "text")],
    )
    assert only(document, "unknown_node_type").node_id == "a"


# -- params ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_id", "params", "field", "says"),
    [
        ("utility.split_lines", {"skip_empty": "perhaps"}, "skip_empty", "valid boolean"),
        ("io.integer_input", {"value": "seven"}, "value", "valid integer"),
        ("io.integer_input", {"value": 1.5}, "value", "integer"),
        ("sample.query", {"top_k": 0}, "top_k", "greater than or equal to 1"),
        ("sample.query", {"top_k": 51}, "top_k", "less than or equal to 50"),
        ("sample.embedder", {"model": "huge"}, "model", "'mini', 'base' or 'custom'"),
        ("io.text_input", {"value": ["a", "b"]}, "value", "valid string"),
    ],
)
def test_bad_param_names_the_field_and_says_why(
    type_id: str, params: dict, field: str, says: str
) -> None:
    extra = {"text": "x"} if type_id in {"utility.split_lines", "sample.embedder"} else {}
    document = doc([node("n", type_id, **extra, **params)])
    found = [p for p in problems(document) if p.code != "missing_input"]
    assert [p.code for p in found] == ["bad_param"], [p.to_json() for p in found]
    assert found[0].node_id == "n" and found[0].param == field
    assert repr(field) in found[0].message and says in found[0].message


def test_bad_param_for_an_unknown_param_lists_the_real_ones() -> None:
    p = only(doc([node("n", "io.text_input", colour="red")]), "bad_param")
    assert p.param == "colour"
    assert "no parameter 'colour'" in p.message and "label, value" in p.message


def test_an_input_that_is_a_port_only_is_not_a_param() -> None:
    found = problems(doc([node("n", "utility.join", items=["a"])]))
    assert {(q.code, q.param or q.port) for q in found} == {
        ("bad_param", "items"),
        ("missing_input", "items"),
    }


def test_a_rejected_required_param_is_not_also_reported_missing() -> None:
    p = only(doc([node("n", "utility.split_lines", text=5)]), "bad_param")
    assert p.param == "text"


def test_good_params_survive_next_to_a_bad_one() -> None:
    checked = check(
        doc([node("n", "utility.split_lines", text="a", skip_empty="perhaps", strip=False)])
    )
    assert [p.code for p in checked.problems] == ["bad_param"]
    assert checked.nodes["n"].params == {"text": "a", "strip": False}


def test_a_node_whose_type_hook_fails_is_reported_and_the_rest_still_checked() -> None:
    class Broken(Node):
        type_id = "sample.broken_hook"
        inputs = (Input("embedding", "Embedding[d]"),)
        outputs = (Output("embedding", "Embedding[d]"),)

        @classmethod
        def type_bindings(cls, params: Mapping[str, Any]) -> Bindings:
            raise RuntimeError("no model table")

    registry = discover(kinds=("io", "utility")).extend([*SAMPLE_NODES, Broken])
    checked = check(doc([node("b", "sample.broken_hook"), node("x", "io.text_inptu")]), registry)
    assert {(p.code, p.node_id) for p in checked.problems} == {
        ("bad_param", "b"),
        ("missing_input", "b"),
        ("unknown_node_type", "x"),
    }


# -- edges -----------------------------------------------------------------------------


def test_dangling_edge_names_the_missing_node() -> None:
    nodes = [node("a", "io.text_input"), node("b", "io.text_output")]
    found = problems(
        doc(nodes, [edge("a", "text", "b", "value"), edge("ghost", "text", "b", "value", eid="e2")])
    )
    p = only(
        doc(
            nodes, [edge("a", "text", "ghost", "value", eid="e1"), edge("a", "text", "b", "value")]
        ),
        "dangling_edge",
    )
    assert (p.edge_id, p.node_id) == ("e1", "ghost") and "goes to node 'ghost'" in p.message
    assert [(q.code, q.edge_id, q.node_id) for q in found] == [("dangling_edge", "e2", "ghost")]
    assert "comes from node 'ghost'" in found[0].message


def test_an_edge_between_two_missing_nodes_reports_both_ends() -> None:
    found = problems(doc([], [edge("x", "a", "y", "b", eid="e")]))
    assert [(p.code, p.node_id) for p in found] == [("dangling_edge", "x"), ("dangling_edge", "y")]


def test_unknown_output_port_lists_the_real_outputs() -> None:
    nodes = [node("a", "io.text_input"), node("b", "io.text_output")]
    found = problems(doc(nodes, [edge("a", "value", "b", "value", eid="e")]))
    assert [(p.code, p.node_id, p.port, p.edge_id) for p in found] == [
        ("unknown_port", "a", "value", "e"),
        ("missing_input", "b", "value", None),
    ]
    assert "has no output 'value'; its outputs: text" in found[0].message


def test_unknown_input_port_lists_the_wireable_inputs() -> None:
    nodes = [node("a", "io.text_input"), node("s", "utility.split_lines", text="x")]
    p = only(doc(nodes, [edge("a", "text", "s", "txt", eid="e")]), "unknown_port")
    assert (p.node_id, p.port, p.edge_id) == ("s", "txt", "e")
    assert "its inputs: text, skip_empty, strip" in p.message


def test_not_connectable_for_a_setting() -> None:
    nodes = [node("a", "io.text_input"), node("b", "io.text_input")]
    p = only(doc(nodes, [edge("a", "text", "b", "value", eid="e")]), "not_connectable")
    assert (p.node_id, p.port, p.edge_id) == ("b", "value", "e")


def test_multiple_inputs_into_one_port() -> None:
    nodes = [node("a", "io.text_input"), node("b", "io.text_input"), node("out", "io.text_output")]
    edges = [
        edge("a", "text", "out", "value", eid="e1"),
        edge("b", "text", "out", "value", eid="e2"),
    ]
    checked = check(doc(nodes, edges))
    [p] = checked.problems
    assert (p.code, p.node_id, p.port, p.edge_id) == ("multiple_inputs", "out", "value", "e2")
    assert "'a'" in p.message
    assert checked.nodes["out"].incoming == {"value": ("a", "text")}


def test_an_edge_wired_into_a_param_takes_over_from_its_value() -> None:
    nodes = [
        node("n", "io.integer_input", value=2),
        node("s", "utility.split_lines", text="x"),
        node("t", "io.text_input"),
    ]
    checked = check(doc(nodes, [edge("t", "text", "s", "text")]))
    assert checked.ok and checked.nodes["s"].incoming["text"] == ("t", "text")


# -- types across edges ----------------------------------------------------------------


def test_type_mismatch_names_both_types() -> None:
    nodes = [
        node("a", "io.text_input"),
        node("s", "utility.split_lines"),
        node("out", "io.text_output"),
    ]
    edges = [edge("a", "text", "s", "text"), edge("s", "lines", "out", "value")]
    p = only(doc(nodes, edges), "type_mismatch")
    assert (p.node_id, p.port) == ("out", "value")
    assert "gives List[Text]" in p.message and "needs Text" in p.message


def test_type_mismatch_from_a_number_into_a_text() -> None:
    nodes = [node("n", "io.integer_input"), node("s", "utility.split_lines")]
    p = only(doc(nodes, [edge("n", "number", "s", "text")]), "type_mismatch")
    assert (p.node_id, p.port) == ("s", "text")
    assert "gives Integer" in p.message and "needs Text" in p.message


def test_integer_feeds_an_integer_port_and_anything_feeds_json_output() -> None:
    nodes = [
        node("n", "io.integer_input"),
        node("q", "sample.query"),
        node("j", "io.json_output"),
        node("e", "sample.embedder", text="x"),
        node("s", "sample.store"),
    ]
    edges = [
        edge("n", "number", "q", "top_k"),
        edge("q", "documents", "j", "value"),
        edge("e", "embedding", "s", "embeddings"),
        edge("s", "collection", "q", "collection"),
        edge("e", "embedding", "q", "query"),
    ]
    assert check(doc(nodes, edges)).ok


def test_dimension_mismatch_between_two_embedders() -> None:
    nodes = [
        node("e1", "sample.embedder", text="a", model="mini"),
        node("e2", "sample.embedder", text="b", model="base"),
        node("s", "sample.store"),
        node("q", "sample.query"),
    ]
    edges = [
        edge("e1", "embedding", "s", "embeddings"),
        edge("s", "collection", "q", "collection"),
        edge("e2", "embedding", "q", "query"),
    ]
    p = only(doc(nodes, edges), "dimension_mismatch")
    assert (p.node_id, p.port) == ("q", "query")
    assert "Embedding[768]" in p.message and "Embedding[384]" in p.message


def test_dimension_known_at_the_embedder_is_known_downstream() -> None:
    nodes = [
        node("e", "sample.embedder", text="a", model="base"),
        node("n1", "sample.normalize"),
        node("n2", "sample.normalize"),
        node("s", "sample.store"),
    ]
    edges = [
        edge("e", "embedding", "n1", "embedding"),
        edge("n1", "embedding", "n2", "embedding"),
        edge("n2", "embedding", "s", "embeddings"),
    ]
    checked = check(doc(nodes, edges))
    assert checked.ok
    types = checked.report()["types"]
    assert types["e"]["outputs"] == {"embedding": "Embedding[768]"}
    assert types["n2"]["inputs"] == {"embedding": "Embedding[768]"}
    assert types["n2"]["outputs"] == {"embedding": "Embedding[768]"}
    assert types["s"]["outputs"] == {"collection": "Collection[768]"}


def test_an_unknown_dimension_is_inferred_from_the_other_side() -> None:
    nodes = [
        node("e1", "sample.embedder", text="a", model="custom"),
        node("s", "sample.store"),
        node("e2", "sample.embedder", text="b", model="mini"),
        node("q", "sample.query"),
    ]
    edges = [
        edge("e1", "embedding", "s", "embeddings"),
        edge("s", "collection", "q", "collection"),
        edge("e2", "embedding", "q", "query"),
    ]
    checked = check(doc(nodes, edges))
    assert checked.ok
    types = checked.report()["types"]
    assert types["s"]["outputs"] == {"collection": "Collection[?]"}
    assert types["q"]["inputs"]["collection"] == "Collection[384]"
    assert types["q"]["inputs"]["query"] == "Embedding[384]"


def test_a_dimension_mismatch_three_hops_away_is_caught() -> None:
    """384 at the start of a chain, 768 at the far end: the chain carries the 384 there."""
    nodes = [
        node("e", "sample.embedder", text="a", model="mini"),
        node("n", "sample.normalize"),
        node("s", "sample.store"),
        node("q", "sample.query"),
        node("eq", "sample.embedder", text="b", model="base"),
    ]
    edges = [
        edge("e", "embedding", "n", "embedding"),
        edge("n", "embedding", "s", "embeddings"),
        edge("s", "collection", "q", "collection"),
        edge("eq", "embedding", "q", "query"),
    ]
    checked = check(doc(nodes, edges))
    [p] = checked.problems
    assert (p.code, p.node_id, p.port) == ("dimension_mismatch", "q", "query")
    assert checked.report()["types"]["q"]["inputs"]["collection"] == "Collection[384]"
    # the same graph with matching models is fine: the mismatch really came from the models
    nodes[-1] = node("eq", "sample.embedder", text="b", model="mini")
    assert check(doc(nodes, edges)).ok


def test_list_item_type_flows_through_pick_item() -> None:
    nodes = [
        node("a", "io.text_input"),
        node("s", "utility.split_lines"),
        node("p", "utility.pick_item"),
        node("out", "io.text_output"),
    ]
    edges = [
        edge("a", "text", "s", "text"),
        edge("s", "lines", "p", "items"),
        edge("p", "item", "out", "value"),
    ]
    checked = check(doc(nodes, edges))
    assert checked.ok
    assert checked.report()["types"]["p"] == {
        "inputs": {"items": "List[Text]", "index": "Integer"},
        "outputs": {"item": "Text"},
    }


def test_a_picked_document_is_not_a_text() -> None:
    nodes = [
        node("e", "sample.embedder", text="a"),
        node("s", "sample.store"),
        node("q", "sample.query"),
        node("p", "utility.pick_item"),
        node("out", "io.text_output"),
    ]
    edges = [
        edge("e", "embedding", "s", "embeddings"),
        edge("s", "collection", "q", "collection"),
        edge("e", "embedding", "q", "query"),
        edge("q", "documents", "p", "items"),
        edge("p", "item", "out", "value"),
    ]
    p = only(doc(nodes, edges), "type_mismatch")
    assert (p.node_id, p.port) == ("out", "value") and "gives Document" in p.message


# -- missing inputs and cycles ---------------------------------------------------------


def test_missing_input_names_the_port() -> None:
    found = problems(doc([node("s", "utility.split_lines"), node("out", "io.text_output")]))
    assert [(p.code, p.node_id, p.port) for p in found] == [
        ("missing_input", "s", "text"),
        ("missing_input", "out", "value"),
    ]
    assert "'text' (Text)" in found[0].message and "set its value" in found[0].message
    assert "set its value" not in found[1].message  # a port only: it can only be wired


def test_a_required_scalar_input_can_be_satisfied_by_its_value() -> None:
    assert check(doc([node("s", "utility.split_lines", text="a\nb")])).ok
    assert only(doc([node("s", "utility.split_lines", text=None)]), "missing_input").port == "text"


def test_cycle_lists_the_nodes_in_it() -> None:
    nodes = [node(n, "utility.concat") for n in ("a", "b", "c", "d")]
    edges = [
        edge("a", "text", "b", "a"),
        edge("b", "text", "c", "a"),
        edge("c", "text", "a", "a"),
        edge("c", "text", "d", "a"),
    ]
    p = only(doc(nodes, edges), "cycle")
    assert p.nodes is not None and sorted(p.nodes) == ["a", "b", "c"]
    assert p.node_id in {"a", "b", "c"} and "->" in p.message
    for n in ("a", "b", "c"):
        assert repr(n) not in p.message and n in p.message
    assert p.to_json()["nodes"] == list(p.nodes)


def test_a_node_wired_to_itself_is_a_cycle() -> None:
    p = only(doc([node("a", "utility.concat")], [edge("a", "text", "a", "b")]), "cycle")
    assert p.nodes == ("a",)


def test_two_separate_loops_are_two_problems() -> None:
    nodes = [node(n, "utility.concat") for n in ("a", "b", "c", "d")]
    edges = [
        edge("a", "text", "b", "a"),
        edge("b", "text", "a", "a"),
        edge("c", "text", "d", "a"),
        edge("d", "text", "c", "a"),
    ]
    found = problems(doc(nodes, edges))
    assert sorted(sorted(p.nodes or ()) for p in found if p.code == "cycle") == [
        ["a", "b"],
        ["c", "d"],
    ]


def test_types_are_still_checked_inside_a_graph_with_a_cycle() -> None:
    nodes = [
        node("a", "utility.concat"),
        node("b", "utility.concat"),
        node("n", "io.integer_input"),
    ]
    edges = [
        edge("a", "text", "b", "a"),
        edge("b", "text", "a", "a"),
        edge("n", "number", "a", "b"),
    ]
    assert {p.code for p in problems(doc(nodes, edges))} == {"cycle", "type_mismatch"}


# -- prompt templates grow ports -------------------------------------------------------


def test_each_template_slot_becomes_a_wireable_text_input() -> None:
    template = "Dear {name}, {greeting}! {{not_a_slot}} {name}"
    nodes = [
        node("t", "utility.prompt_template", template=template),
        node("a", "io.text_input"),
        node("b", "io.text_input"),
    ]
    edges = [edge("a", "text", "t", "name"), edge("b", "text", "t", "greeting")]
    checked = check(doc(nodes, edges))
    assert checked.ok
    assert [i.name for i in checked.nodes["t"].ports.inputs] == ["template", "name", "greeting"]
    assert checked.report()["types"]["t"]["inputs"] == {
        "template": "Text",
        "name": "Text",
        "greeting": "Text",
    }


def test_wiring_a_slot_that_is_not_in_the_template_is_unknown_port() -> None:
    nodes = [node("t", "utility.prompt_template", template="Hi {name}"), node("a", "io.text_input")]
    for slot in ("question", "not_a_slot"):
        p = only(doc(nodes, [edge("a", "text", "t", slot, eid="e")]), "unknown_port")
        assert (p.node_id, p.port) == ("t", slot) and "template, name" in p.message


def test_the_default_template_has_context_and_question_slots() -> None:
    nodes = [node("t", "utility.prompt_template"), node("a", "io.text_input")]
    assert check(doc(nodes, [edge("a", "text", "t", "question")])).ok
    assert only(doc(nodes, [edge("a", "text", "t", "name")]), "unknown_port").port == "name"


def test_a_slot_must_be_wired_from_a_text() -> None:
    nodes = [node("t", "utility.prompt_template", template="{n}"), node("a", "io.integer_input")]
    p = only(doc(nodes, [edge("a", "number", "t", "n")]), "type_mismatch")
    assert (p.node_id, p.port) == ("t", "n")


# -- all at once -----------------------------------------------------------------------


def test_five_different_mistakes_are_all_listed_each_pinned() -> None:
    nodes = [
        node("q", "io.text_inptu"),  # 1 unknown type
        node("t", "io.text_input", value="a\nb"),
        node("split", "utility.split_lines", skip_empty="perhaps"),  # 2 bad param
        node("out", "io.text_output"),
        node("pick", "utility.pick_item"),  # 4 nothing wired into items
    ]
    edges = [
        edge("t", "text", "split", "text", eid="e1"),
        edge("split", "lines", "out", "value", eid="e2"),  # 3 List[Text] into Text
        edge("ghost", "text", "split", "strip", eid="e3"),  # 5 from a node that is not there
    ]
    found = problems(doc(nodes, edges))
    pinned = {(p.code, p.node_id, p.port or p.param, p.edge_id) for p in found}
    assert pinned == {
        ("unknown_node_type", "q", None, None),
        ("bad_param", "split", "skip_empty", None),
        ("type_mismatch", "out", "value", None),
        ("missing_input", "pick", "items", None),
        ("dangling_edge", "ghost", None, "e3"),
    }
    assert len(found) == 5
    assert all(p.where() != "document" for p in found)
