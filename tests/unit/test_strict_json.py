"""Strict JSON and the document's bounds: what a graph document may hold so that whatever is
stored can be read, exported as JSON and saved back. One pure rule (``json_flaws``) with a
table of cases, then the validator reporting it, the node-version and id rules, and the size
bound."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from pydantic import ValidationError
from sample_nodes import sample_registry

from app.cli.main import main
from app.engine.document import (
    MAX_DEPTH,
    MAX_EDGES,
    MAX_NODES,
    SCHEMA,
    GraphDocument,
    Position,
    json_flaws,
    json_path,
)
from app.engine.problems import CODES
from app.engine.validate import CheckedGraph, validate
from nodes.registry import default_registry

REGISTRY = sample_registry()


def nested(levels: int, leaf: Any = 1) -> Any:
    """A value ``levels`` containers deep: ``nested(2) == {"a": {"a": 1}}``."""
    value = leaf
    for _ in range(levels):
        value = {"a": value}
    return value


def doc(params: dict[str, Any] | None = None, nid: str = "in", **node: Any) -> dict[str, Any]:
    entry = {"id": nid, "type": "io.text_input", "params": params or {}, **node}
    return {"schema": SCHEMA, "name": "t", "nodes": [entry], "edges": []}


def check(document: Any) -> CheckedGraph:
    """Validate, and hold the report to strict JSON: no NaN literal, no lone surrogate."""
    checked = validate(document, REGISTRY)
    report = checked.report()
    text = json.dumps(report, allow_nan=False, ensure_ascii=False)
    text.encode("utf-8")  # raises on a lone surrogate
    assert json.loads(text) == report
    for p in checked.problems:
        assert p.code in CODES, p
        assert "could not be checked" not in p.message, p
    return checked


# -- the pure rule -----------------------------------------------------------------------

FLAWS = [
    # (value, [(code, path)])
    ({"a": [1, 2.5, "x", None, True]}, []),
    (json.loads('"\\ud83d\\ude00: json pairs escaped surrogates into one character"'), []),
    (float("nan"), [("non_finite_number", "$")]),
    ({"a": [1, float("inf")]}, [("non_finite_number", "a[1]")]),
    ({"a": {"b": -math.inf}}, [("non_finite_number", "a.b")]),
    ({"k": "x\ud800y"}, [("lone_surrogate", "k")]),
    ({"\udfff": 1}, [("lone_surrogate", '["\\udfff"]')]),
    ({"": float("nan")}, [("non_finite_number", '[""]')]),
    ({"a b": {"c.d": float("nan")}}, [("non_finite_number", '["a b"]["c.d"]')]),
    (nested(MAX_DEPTH), []),
    (nested(MAX_DEPTH + 1), [("too_deep", ".".join(["a"] * MAX_DEPTH))]),
    ([[[1]]], []),
]


@pytest.mark.parametrize(("value", "expected"), FLAWS, ids=[repr(v)[:40] for v, _ in FLAWS])
def test_json_flaws_finds_each_flaw_with_its_path(value: Any, expected: list[tuple[str, str]]) -> None:
    found = json_flaws(value)
    assert [(f.code, f.path) for f in found] == expected
    for flaw in found:
        json.dumps(flaw.message, ensure_ascii=False).encode("utf-8")  # a message never holds the flaw itself
        assert flaw.path in flaw.message


def test_json_flaws_walks_ten_thousand_levels_without_recursion() -> None:
    deep: Any = 1
    for _ in range(10_000):
        deep = [deep]
    assert [f.code for f in json_flaws(deep)] == ["too_deep"]


def test_json_flaws_stops_after_a_few_so_a_report_stays_small() -> None:
    found = json_flaws([float("nan")] * 10_000)
    assert 1 <= len(found) <= 20


@pytest.mark.parametrize(("parts", "text"), [((), "$"), (("nodes", 0, "id"), "nodes[0].id"), (("",), '[""]'),
                                             (("x-y", 2), '["x-y"][2]'), (("_ok1",), "_ok1")])
def test_json_path_names_every_key_even_an_empty_one(parts: tuple[str | int, ...], text: str) -> None:
    assert json_path(parts) == text


# -- the validator reports them ----------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "code", "path", "node_id"),
    [
        (doc({"value": "\ud800"}), "lone_surrogate", "nodes[0].params.value", "in"),
        (doc(nid="\ud800"), "lone_surrogate", "nodes[0].id", None),
        (doc({"\udc00": "x"}), "lone_surrogate", 'nodes[0].params["\\udc00"]', "in"),
        (doc({"value": float("nan")}), "non_finite_number", "nodes[0].params.value", "in"),
        (doc(position={"x": math.inf, "y": 0}), "non_finite_number", "nodes[0].position.x", "in"),
        ({**doc(), "meta": nested(300)}, "too_deep", "meta." + ".".join(["a"] * (MAX_DEPTH - 1)), None),
        (doc({"value": nested(300)}), "too_deep", "nodes[0].params.value" + ".a" * (MAX_DEPTH - 4), "in"),
    ],
    ids=["surrogate-param", "surrogate-id", "surrogate-key", "nan-param", "inf-position", "deep-meta", "deep-param"],
)
def test_the_validator_reports_what_is_not_strict_json_pinned_to_its_place(
    document: dict[str, Any], code: str, path: str, node_id: str | None
) -> None:
    checked = check(document)
    assert not checked.ok
    p = next(p for p in checked.problems if p.code == code)
    assert (p.path, p.node_id) == (path, node_id)
    assert path in p.message


def test_an_unknown_empty_top_level_field_has_a_path_that_names_it() -> None:
    p = next(p for p in check({**doc(), "": 1}).problems if p.code == "invalid_document")
    assert p.path == '[""]'
    assert "''" in p.message


def test_a_graph_document_object_with_a_nan_param_is_reported_too() -> None:
    checked = check(GraphDocument.model_validate(doc({"value": float("nan")})))
    assert [p.code for p in checked.problems] == ["non_finite_number"]


def test_a_position_refuses_non_finite_numbers() -> None:
    for bad in (math.nan, math.inf, -math.inf):
        with pytest.raises(ValidationError):
            Position(x=bad)


def test_the_cli_reports_a_nan_in_a_file_as_invalid(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "nan.json"
    path.write_text('{"schema": "genaisys.graph/1", "nodes": [{"id": "a", "type": "io.text_input", '
                    '"params": {"value": NaN}}], "edges": []}')
    assert main(["validate", str(path), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert [(p["code"], p["path"]) for p in report["problems"]] == [("non_finite_number", "nodes[0].params.value")]


# -- node versions and ids ---------------------------------------------------------------


@pytest.mark.parametrize("version", [-1, 0, 10**30, "1", True, 1.5, 2**31], ids=repr)
def test_a_node_version_must_be_a_positive_whole_number(version: Any) -> None:
    found = [p for p in check(doc(version=version)).problems if p.code == "invalid_node"]
    assert [(p.node_id, p.path) for p in found] == [("in", "nodes[0].version")]


def test_a_normal_node_version_is_accepted() -> None:
    assert check(doc(version=1)).ok


@pytest.mark.parametrize("nid", [" ", "\t\n", "\u3000"], ids=repr)
def test_a_node_id_must_not_be_only_whitespace(nid: str) -> None:
    found = [p for p in check(doc(nid=nid)).problems if p.code == "invalid_node"]
    assert [p.path for p in found] == ["nodes[0].id"]
    assert "visible" in found[0].message


# -- the size bound ----------------------------------------------------------------------


def chain(count: int) -> dict[str, Any]:
    """``count`` pass-through nodes in a line, as the benchmark builds them."""
    nodes = [{"id": "n0", "type": "io.text_input", "params": {"value": "x"}}]
    nodes += [{"id": f"n{i}", "type": "io.text_output", "params": {}} for i in range(1, count)]
    edges = [{"id": f"e{i}", "source": "n0", "source_port": "text", "target": f"n{i}", "target_port": "value"}
             for i in range(1, count)]
    return {"schema": SCHEMA, "name": "chain", "nodes": nodes, "edges": edges}


def test_a_thousand_node_graph_is_within_the_bound() -> None:
    assert MAX_NODES >= 1000
    assert check(chain(1000)).ok


def test_a_graph_over_the_node_bound_is_refused_with_one_clear_problem() -> None:
    checked = check(chain(MAX_NODES + 1))
    assert [(p.code, p.path) for p in checked.problems] == [("graph_too_large", "nodes")]
    assert str(MAX_NODES) in checked.problems[0].message


def test_a_graph_over_the_edge_bound_is_refused() -> None:
    document = chain(2)
    document["edges"] = [dict(document["edges"][0], id=f"e{i}") for i in range(MAX_EDGES + 1)]
    assert [(p.code, p.path) for p in check(document).problems] == [("graph_too_large", "edges")]


# -- the LLM's seed ----------------------------------------------------------------------


def test_the_llm_seed_has_the_same_bound_as_the_diffusion_seeds() -> None:
    registry = default_registry()
    node = {"id": "llm", "type": "models.llm", "params": {"seed": 10**30}}
    checked = validate({"schema": SCHEMA, "nodes": [node], "edges": []}, registry)
    assert ("bad_param", "seed") in {(p.code, p.param) for p in checked.problems}
    node["params"]["seed"] = 2**32 - 1
    checked = validate({"schema": SCHEMA, "nodes": [node], "edges": []}, registry)
    assert ("bad_param", "seed") not in {(p.code, p.param) for p in checked.problems}
