"""Subgraphs in the engine: a saved graph used as one node is checked as a graph of its own,
typed at its boundary, and run as its parts under path ids."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from app.engine.context import CancelToken
from app.engine.executor import Executor, GraphInvalid
from app.engine.subgraphs import MAX_NESTING, SavedGraph
from app.engine.validate import validate
from nodes.api import Context, Input, Node, NodeError, Output
from nodes.registry import Registry, default_registry

COMPOSED = Path(__file__).resolve().parents[2] / "examples" / "rag_composed.json"


class Boom(Node):
    type_id = "test.boom"
    inline = True
    inputs = (Input("text", "Text"),)
    outputs = (Output("text", "Text"),)

    def run(self, ctx: Context, text: str) -> dict[str, Any]:
        raise NodeError(f"cannot shout {text!r}")


REGISTRY = Registry().extend([*default_registry(), Boom])


def doc(name: str, nodes: list[dict[str, Any]], edges: list[tuple[str, str, str, str]]) -> dict[str, Any]:
    return {"schema": "genaisys.graph/1", "name": name, "nodes": nodes,
            "edges": [{"id": f"e{i}", "source": s, "source_port": sp, "target": t, "target_port": tp}
                      for i, (s, sp, t, tp) in enumerate(edges)]}


def shout(suffix: str = "!", middle: str = "utility.concat") -> dict[str, Any]:
    """words (text input) -> loud (concat) -> said (text output)."""
    params = {"b": suffix} if middle == "utility.concat" else {}
    return doc("Shout", [
        {"id": "words", "type": "io.text_input", "params": {"label": "Words", "value": "hi"}},
        {"id": "loud", "type": middle, "params": params},
        {"id": "said", "type": "io.text_output", "params": {"label": "Said"}},
    ], [("words", "text", "loud", "a" if middle == "utility.concat" else "text"), ("loud", "text", "said", "value")])


def outer(graph: str = "shout", version: int = 1, extra: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return doc("Outer", [
        {"id": "q", "type": "io.text_input", "params": {"value": "hello"}},
        {"id": "s", "type": "graph.subgraph", "params": {"graph": graph, "version": version}},
        {"id": "out", "type": "io.text_output", "params": {}},
        *(extra or []),
    ], [("q", "text", "s", "words"), ("s", "said", "out", "value")])


class Store:
    """Saved graphs in memory: what storage answers on the server."""

    def __init__(self) -> None:
        self.graphs: dict[tuple[str, int], SavedGraph] = {}

    def save(self, graph_id: str, document: dict[str, Any], version: int = 1) -> None:
        self.graphs[(graph_id, version)] = SavedGraph(graph_id, version, document["name"], document)

    def __call__(self, graph_id: str, version: int) -> SavedGraph | None:
        return self.graphs.get((graph_id, version))


@pytest.fixture
def store() -> Store:
    s = Store()
    s.save("shout", shout())
    return s


def only(problems: list, code: str) -> Any:
    found = [p for p in problems if p.code == code]
    assert len(found) == 1, [p.to_json() for p in problems]
    return found[0]


# -- ports and types -------------------------------------------------------------------------


def test_the_ports_are_the_inner_io_nodes_typed_as_the_inner_graph_infers_them() -> None:
    checked = validate(json.loads(COMPOSED.read_text()), REGISTRY)  # its bundle resolves the two graphs
    assert checked.ok, [p.to_json() for p in checked.problems]
    types = checked.report()["types"]
    assert types["ingest"] == {"inputs": {}, "outputs": {"collection": "Collection[384]"}}  # the embedder's dimension
    assert types["answer_graph"]["inputs"] == {"collection": "Collection[384]", "question": "Text"}
    assert types["answer_graph"]["outputs"] == {"answer": "Text", "sources": "List[Document]"}
    answer = checked.nodes["answer_graph"].ports
    assert answer.by_name["question"].required is False  # the inner io node holds a value: the default
    assert answer.by_name["collection"].required is True


def test_a_boundary_dimension_mismatch_is_caught_before_anything_runs() -> None:
    composed = json.loads(COMPOSED.read_text())
    answer = next(g for g in composed["graphs"] if g["name"] == "Answer")["document"]
    next(n for n in answer["nodes"] if n["id"] == "collection")["params"]["type"] = "Collection[768]"
    answer["nodes"] = [n for n in answer["nodes"] if n["id"] not in ("retrieve", "context", "prompt", "llm", "answer", "sources")]
    answer["nodes"].append({"id": "shown", "type": "io.json_output", "params": {}})
    answer["edges"] = [{"id": "x", "source": "collection", "source_port": "value", "target": "shown", "target_port": "value"}]
    composed["edges"] = [e for e in composed["edges"] if e["source"] != "answer_graph"]
    problem = only(validate(composed, REGISTRY).problems, "dimension_mismatch")
    assert (problem.node_id, problem.port) == ("answer_graph", "collection")
    assert "Collection[384]" in problem.message and "Collection[768]" in problem.message
    ran: list[Any] = []
    with pytest.raises(GraphInvalid):
        Executor(REGISTRY).run(composed, on_event=ran.append)
    assert ran == []


def test_a_type_mismatch_across_the_boundary_is_pinned_to_the_outer_node_and_port(store: Store) -> None:
    document = outer()
    document["nodes"][0] = {"id": "q", "type": "io.integer_input", "params": {"value": 3}}
    document["edges"][0]["source_port"] = "number"
    problem = only(validate(document, REGISTRY, subgraphs=store).problems, "type_mismatch")
    assert (problem.node_id, problem.port) == ("s", "words")


# -- the validation codes ----------------------------------------------------------------------


def test_an_invalid_inner_graph_is_one_problem_on_the_outer_node_naming_the_inner_path(store: Store) -> None:
    broken = shout()
    broken["nodes"][1]["params"] = {"b": "!", "nope": 1}
    store.save("shout", broken, version=2)
    problem = only(validate(outer(version=2), REGISTRY, subgraphs=store).problems, "subgraph_invalid")
    assert problem.node_id == "s" and "s/loud: " in problem.message and "'Shout' v2" in problem.message
    assert [(p["code"], p["node_id"]) for p in problem.inner] == [("bad_param", "s/loud")]


def test_a_deleted_graph_or_a_missing_version_is_missing_subgraph(store: Store) -> None:
    for document in (outer(graph="gone"), outer(version=9)):
        problem = only(validate(document, REGISTRY, subgraphs=store).problems, "missing_subgraph")
        assert (problem.node_id, problem.param) == ("s", "graph")
    # a file without a bundle, checked where nothing can look saved graphs up
    problem = only(validate(outer(), REGISTRY).problems, "missing_subgraph")
    assert "export the graph" in problem.message


def test_a_graph_that_contains_itself_through_another_is_a_cycle_with_the_chain(store: Store) -> None:
    a = doc("Alpha", [{"id": "b", "type": "graph.subgraph", "params": {"graph": "beta", "version": 1}}], [])
    b = doc("Beta", [{"id": "a", "type": "graph.subgraph", "params": {"graph": "alpha", "version": 1}}], [])
    store.save("alpha", a)
    store.save("beta", b)
    problem = only(validate(a, REGISTRY, subgraphs=store, graph_id="alpha").problems, "subgraph_invalid")
    assert problem.node_id == "b"
    cycle = problem.inner[0]
    assert cycle["code"] == "subgraph_cycle" and cycle["node_id"] == "b/a" and "Alpha → Beta → Alpha" in cycle["message"]
    # directly: a graph saved with itself in it
    direct = doc("Alpha", [{"id": "me", "type": "graph.subgraph", "params": {"graph": "alpha", "version": 1}}], [])
    problem = only(validate(direct, REGISTRY, subgraphs=store, graph_id="alpha").problems, "subgraph_cycle")
    assert problem.node_id == "me" and "Alpha → Alpha" in problem.message


def test_nesting_past_the_bound_is_a_clear_problem_not_a_recursion_error(store: Store) -> None:
    depth = MAX_NESTING + 4
    for level in range(depth):
        inner = [{"id": "next", "type": "graph.subgraph", "params": {"graph": f"g{level + 1}", "version": 1}}]
        store.save(f"g{level}", doc(f"G{level}", inner if level < depth - 1 else [], []))
    checked = validate(doc("Top", [{"id": "top", "type": "graph.subgraph", "params": {"graph": "g0", "version": 1}}], []),
                       REGISTRY, subgraphs=store)
    problem = only(checked.problems, "subgraph_invalid")
    deepest = problem.inner[0]
    while deepest["code"] == "subgraph_invalid":
        deepest = deepest["inner"][0]
    assert deepest["code"] == "subgraph_too_deep" and f"at most {MAX_NESTING}" in deepest["message"]


def test_an_outer_node_id_that_an_inner_path_would_take_is_a_duplicate_id(store: Store) -> None:
    document = outer(extra=[{"id": "s/loud", "type": "io.text_input", "params": {"value": "mine"}}])
    problem = only(validate(document, REGISTRY, subgraphs=store).problems, "duplicate_id")
    assert problem.node_id == "s/loud" and "inside subgraph node 's'" in problem.message


# -- running -------------------------------------------------------------------------------------


def test_a_subgraph_runs_as_its_parts_under_path_ids(store: Store) -> None:
    events: list[Any] = []
    result = Executor(REGISTRY).run(validate(outer(), REGISTRY, subgraphs=store), on_event=events.append)
    assert result.status == "succeeded" and result.outputs == {"out": "hello!"}  # the outer io nodes only
    assert set(result.nodes) == {"q", "s", "s/loud", "s/said", "out"}  # 'words' is wired from outside
    assert result.nodes["s"].outputs == {"said": "hello!"} and result.nodes["s"].reason == "loud: new node"
    seen = [(e.type, e.node_id) for e in events if e.node_id in ("s", "s/loud")]
    assert seen[:3] == [("node_started", "s/loud"), ("node_started", "s"), ("node_progress", "s")]
    assert seen[-1] == ("node_finished", "s")
    progress = next(e for e in events if e.type == "node_progress" and e.node_id == "s")
    assert progress.data["message"] == "running loud"


def test_an_unchanged_subgraph_does_not_rerun_when_the_outer_graph_is_edited(store: Store) -> None:
    executor = Executor(REGISTRY)
    executor.run(validate(outer(), REGISTRY, subgraphs=store), scope="g")
    edited = outer(extra=[{"id": "note", "type": "io.text_input", "params": {"value": "an unrelated node"}}])
    again = executor.run(validate(edited, REGISTRY, subgraphs=store), scope="g")
    assert again.nodes["s/loud"].status == "cached" and again.nodes["s"].status == "cached"
    # a new version that changes one inner node: that node runs, and the outer node says why
    store.save("shout", shout(suffix="?"), version=2)
    changed = executor.run(validate(outer(version=2), REGISTRY, subgraphs=store), scope="g")
    assert changed.outputs == {"out": "hello?"}
    assert changed.nodes["s/loud"].reason == "params changed" and changed.nodes["s"].reason == "loud: params changed"


def test_a_failure_inside_fails_the_outer_node_with_the_inner_cause(store: Store) -> None:
    store.save("shout", shout(middle="test.boom"), version=3)
    result = Executor(REGISTRY).run(validate(outer(version=3), REGISTRY, subgraphs=store))
    assert result.status == "failed"
    assert result.nodes["s/loud"].error["code"] == "node_error"
    assert result.nodes["s"].error == {"code": "node_failed", "message": "inner node 'loud' failed: cannot shout 'hello'"}
    assert result.nodes["out"].error["code"] == "upstream_failed"


def test_cancel_reaches_the_inner_nodes(store: Store) -> None:
    cancel = CancelToken()

    def on_event(event: Any) -> None:
        if event.type == "node_finished" and event.node_id == "s/loud":
            cancel.cancel()

    result = Executor(REGISTRY).run(validate(outer(), REGISTRY, subgraphs=store), on_event=on_event, cancel=cancel)
    assert result.status == "cancelled"
    assert result.nodes["s/said"].status == "cancelled" and result.nodes["s"].status == "cancelled"


def test_the_same_subgraph_twice_runs_twice_under_two_paths(store: Store) -> None:
    document = copy.deepcopy(outer())
    document["nodes"].append({"id": "t", "type": "graph.subgraph", "params": {"graph": "shout", "version": 1}})
    document["edges"].append({"id": "x", "source": "s", "source_port": "said", "target": "t", "target_port": "words"})
    document["edges"][1]["source"] = "t"
    result = Executor(REGISTRY).run(validate(document, REGISTRY, subgraphs=store))
    assert result.outputs == {"out": "hello!!"}
    assert {"s/loud", "t/loud"} <= set(result.nodes)
