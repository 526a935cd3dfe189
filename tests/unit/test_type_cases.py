"""The one table of type cases that Python and the canvas both answer, and the canvas's
catalog fixture: both generated from the code by ``scripts/generate_type_data.py``.

Python must give every verdict of the committed table (vitest asserts the same table against
``frontend/src/types/typesys.ts``), and regenerating either file must give exactly what is
committed: a rule changed on one side without the other, or a file kept by hand, fails here.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from nodes.registry import discover
from nodes.types import Verdict, type_catalog

ROOT = Path(__file__).resolve().parents[2]


def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("generate_type_data", ROOT / "scripts/generate_type_data.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)
    spec.loader.exec_module(module)
    return module


gen = _load_generator()
REGENERATE = f"run  {gen.COMMAND}  from the repository root"


@pytest.fixture(scope="module")
def committed() -> dict[str, Any]:
    return json.loads(gen.CASES_PATH.read_text())


def test_python_gives_every_committed_verdict(committed: dict[str, Any]) -> None:
    wrong = []
    for case in committed["cases"]:
        got = gen.answer(case["sender"], case["receiver"], case["bindings"])
        want = {k: case[k] for k in ("unify", "connect", "lifted", "after")}
        if got != want:
            wrong.append(f"{case['sender']} -> {case['receiver']} with {case['bindings']}: table {want}, Python {got}")
    assert not wrong, f"{len(wrong)} case(s) differ (first 20):\n" + "\n".join(wrong[:20])


def test_committed_table_is_current() -> None:
    assert gen.CASES_PATH.read_text() == gen.render_cases(gen.type_cases()), (
        f"{gen.CASES_PATH.relative_to(ROOT)} is stale (nodes/types.py or the generator changed): {REGENERATE}"
    )


def test_catalog_fixture_is_current() -> None:
    assert gen.FIXTURE_PATH.read_text() == gen.render_fixture(gen.catalog_fixture()), (
        f"{gen.FIXTURE_PATH.relative_to(ROOT)} is not the catalog GET /api/nodes serves now "
        f"(a node or the type rule changed): {REGENERATE}"
    )


def test_catalog_fixture_is_the_whole_registry() -> None:
    fixture = json.loads(gen.FIXTURE_PATH.read_text())
    registry = discover()
    assert {n["type"] for n in fixture["nodes"]} == set(registry.nodes)
    assert fixture["load_errors"] == [], "the fixture must come from an install where every node loads"


def test_the_catalog_ships_the_rule_and_keeps_its_old_fields() -> None:
    catalog = discover().catalog()
    assert set(catalog) == {"nodes", "types", "categories", "load_errors"}
    assert catalog["types"] == type_catalog()
    for entry in catalog["types"]:  # the old fields, and the rule's data beside them
        assert {"name", "color", "args"} <= set(entry)
        assert set(entry) - {"name", "color", "args"} == {"widens_to", "takes_single_item", "liftable"}
    json.dumps(catalog)


def test_the_catalog_describes_the_rule_it_applies() -> None:
    by_name = {t["name"]: t for t in type_catalog()}
    assert {n: t["widens_to"] for n, t in by_name.items() if t["widens_to"]} == {"Integer": ["Number"]}
    assert [n for n, t in by_name.items() if t["takes_single_item"]] == ["List"]
    assert [n for n, t in by_name.items() if not t["liftable"]] == ["Any", "List"]
    assert by_name["Embedding"]["args"] == ["dim"] and by_name["List"]["args"] == ["type"]


def test_the_table_covers_what_both_engines_must_agree_on(committed: dict[str, Any]) -> None:
    cases = committed["cases"]
    assert committed["count"] == len(cases)
    names = [t["name"] for t in type_catalog()]
    widenings = {t["name"]: t["widens_to"] for t in type_catalog()}

    def head(label: str) -> str:
        return label.split("[", 1)[0]

    def has(**want: Any) -> bool:
        return any(all(c[k] == v for k, v in want.items()) for c in cases)

    # every type name against every other, both ways
    pairs = {(head(c["sender"]), head(c["receiver"])) for c in cases if not c["bindings"]}
    assert {(a, b) for a in names for b in names} <= pairs
    # widenings, in lists, and not back
    for sender, targets in widenings.items():
        for target in targets:
            assert has(sender=sender, receiver=target, unify=Verdict.OK)
            assert has(sender=target, receiver=sender, unify=Verdict.TYPE_MISMATCH)
            assert has(sender=f"List[{sender}]", receiver=f"List[{target}]", unify=Verdict.OK)
            assert has(sender=sender, receiver=f"List[{target}]", connect=Verdict.OK, lifted=True)
    # lifting, and its limits: never a list, never twice, dimensions still checked
    assert has(sender="Text", receiver="List[Text]", unify=Verdict.TYPE_MISMATCH, lifted=True)
    assert has(sender="List[Text]", receiver="List[List[Text]]", connect=Verdict.TYPE_MISMATCH)
    assert has(sender="Text", receiver="List[List[Text]]", connect=Verdict.TYPE_MISMATCH)
    assert has(sender="Embedding[384]", receiver="List[Embedding[768]]", connect=Verdict.DIMENSION_MISMATCH)
    assert has(sender="Text", receiver="List[T]", connect=Verdict.OK, lifted=True, after={"T": "Text"})
    # dimensions known, other, unknown; nested
    assert has(sender="Embedding[384]", receiver="Embedding[768]", unify=Verdict.DIMENSION_MISMATCH)
    assert has(sender="Embedding[?]", receiver="Embedding[384]", unify=Verdict.OK)
    assert has(sender="List[List[Embedding[384]]]", receiver="List[List[Embedding[d]]]", after={"d": 384})
    # variables unbound, bound, left open
    assert has(sender="Embedding[768]", receiver="Embedding[d]", bindings={"d": 384}, unify=Verdict.DIMENSION_MISMATCH)
    assert has(sender="Collection[?]", receiver="Collection[d]", bindings={}, after={"d": None})
    assert has(sender="Integer", receiver="T", bindings={"T": "Number"}, unify=Verdict.OK)
    assert has(sender="Number", receiver="T", bindings={"T": "Integer"}, unify=Verdict.TYPE_MISMATCH)
    # Any both ways, and inside a list
    assert all(c["unify"] == Verdict.OK for c in cases if "Any" in (c["sender"], c["receiver"]))
    assert has(sender="List[List[Text]]", receiver="List[Any]", unify=Verdict.OK)
    assert has(sender="Text", receiver="List[Any]", unify=Verdict.TYPE_MISMATCH, lifted=True)
    assert {c["connect"] for c in cases} == {v.value for v in Verdict}
