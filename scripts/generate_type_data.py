"""Write the files that the canvas's tests share with Python, from the Python code itself.

The type rule runs in two engines: `nodes/types.py` (the server, the authority) and its port
`frontend/src/types/typesys.ts` (the canvas's check while the mouse moves). Neither file may
be kept by hand, or the two drift apart without a test noticing:

- ``frontend/test/type_cases.json``: one table of ``(sender, receiver, bindings) -> verdict``
  cases, each answered by Python's `unify` and `connect`. pytest checks that Python still
  gives every verdict and that this table is current; vitest runs every case through
  ``typesys.ts``.
- ``frontend/test/catalog.fixture.json``: the catalog ``GET /api/nodes`` serves (the shipped
  nodes, with the type rule's data in ``types``), which the canvas's tests load.

Run from the repository root::

    .venv/bin/python scripts/generate_type_data.py           # rewrite both files
    .venv/bin/python scripts/generate_type_data.py --check   # exit 1 when either is stale
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nodes.types import Arg, Bindings, Type, connect, parse_type, type_catalog, unify  # noqa: E402

CASES_PATH = ROOT / "frontend/test/type_cases.json"
FIXTURE_PATH = ROOT / "frontend/test/catalog.fixture.json"
COMMAND = ".venv/bin/python scripts/generate_type_data.py"

# -- the table of cases -------------------------------------------------------------------

# Beyond one value of every type name: widenings inside lists, nested lists, known, other and
# unknown dimensions, List[Any], and outputs that are still unresolved (variables).
_MORE_TYPES = [
    "List[Integer]", "List[Number]", "List[Any]", "List[Document]", "List[Image]",
    "List[List[Text]]", "List[List[Integer]]", "List[List[Number]]",
    "Embedding[768]", "Embedding[?]", "Collection[768]", "Collection[?]",
    "List[Embedding[384]]", "List[Embedding[768]]", "List[Embedding[?]]",
    "List[List[Embedding[384]]]", "List[Collection[384]]",
]
_UNRESOLVED_SENDERS = ["T", "List[T]", "Embedding[d]"]
_VARIABLE_RECEIVERS = [
    "T", "List[T]", "List[List[T]]", "Embedding[d]", "Collection[d]", "List[Embedding[d]]",
    "List[List[Embedding[d]]]",
]
# What a node's variables may already hold when the edge is checked: bound by another
# edge or by params, to a type that widens or does not, or open (an unknown dimension).
_BOUND = {
    "T": [{"T": "Text"}, {"T": "Integer"}, {"T": "Number"}, {"T": "List[Text]"}],
    "d": [{"d": 384}, {"d": None}],
}


def _one_of_each() -> list[str]:
    """One value of every type the rule knows, its arguments filled in."""
    filler = {"type": "Text", "dim": "384"}
    out = []
    for entry in type_catalog():
        name, kinds = entry["name"], entry["args"]
        out.append(f"{name}[{', '.join(filler[k] for k in kinds)}]" if kinds else name)
    return out


def _variables(label: str) -> list[str]:
    return [v for v in _BOUND if v in label.replace("[", " ").replace("]", " ").split()]


def _questions() -> Iterator[tuple[str, str, dict[str, Any]]]:
    types = _one_of_each() + _MORE_TYPES
    senders = types + _UNRESOLVED_SENDERS
    receivers = types + _VARIABLE_RECEIVERS
    for sender, receiver in itertools.product(senders, receivers):
        yield sender, receiver, {}
    for receiver in _VARIABLE_RECEIVERS:
        for var in _variables(receiver):
            for bound in _BOUND[var]:
                for sender in senders:
                    yield sender, receiver, bound


def bindings_from_json(data: dict[str, Any]) -> Bindings:
    return {k: parse_type(v) if isinstance(v, str) else v for k, v in data.items()}  # type: ignore[misc]


def bindings_to_json(bindings: Bindings) -> dict[str, Any]:
    return {k: str(v) if isinstance(v, Type) else v for k, v in sorted(bindings.items())}


def answer(sender: str, receiver: str, bindings: dict[str, Any]) -> dict[str, Any]:
    """Python's verdicts for one case: `unify` alone, then `connect` (which may lift the
    value into a one-item list) and the bindings `connect` leaves behind."""
    s: Arg = parse_type(sender)
    r: Arg = parse_type(receiver)
    unified = unify(s, r, bindings_from_json(bindings))
    after = bindings_from_json(bindings)
    verdict, lifted = connect(s, r, after)
    return {"unify": unified.value, "connect": verdict.value, "lifted": lifted, "after": bindings_to_json(after)}


def type_cases() -> dict[str, Any]:
    cases = [
        {"sender": s, "receiver": r, "bindings": b, **answer(s, r, b)} for s, r, b in _questions()
    ]
    return {
        "about": "Generated from nodes/types.py (unify, connect) by scripts/generate_type_data.py; "
        f"do not edit. Regenerate: {COMMAND}",
        "count": len(cases),
        "cases": cases,
    }


def render_cases(table: dict[str, Any]) -> str:
    """One case per line, so that a changed verdict shows as a one-line diff."""
    lines = [json.dumps(case, separators=(", ", ": ")) for case in table["cases"]]
    head = {k: v for k, v in table.items() if k != "cases"}
    body = ",\n    ".join(lines)
    return json.dumps(head, indent=2)[:-2] + f',\n  "cases": [\n    {body}\n  ]\n}}\n'


# -- the canvas's catalog fixture ---------------------------------------------------------


def catalog_fixture() -> dict[str, Any]:
    """What ``GET /api/nodes`` serves for the shipped nodes (no custom node folders)."""
    from nodes.registry import discover

    return discover().catalog()


def render_fixture(catalog: dict[str, Any]) -> str:
    return json.dumps(catalog, indent=2) + "\n"


# -- command ------------------------------------------------------------------------------

TARGETS: dict[Path, Callable[[], str]] = {
    CASES_PATH: lambda: render_cases(type_cases()),
    FIXTURE_PATH: lambda: render_fixture(catalog_fixture()),
}


def stale() -> list[Path]:
    """The generated files whose committed text differs from what the code gives now."""
    return [p for p, make in TARGETS.items() if not p.exists() or p.read_text() != make()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a file is stale")
    args = parser.parse_args(argv)
    if args.check:
        old = stale()
        for path in old:
            print(f"{path.relative_to(ROOT)} is stale: run  {COMMAND}", file=sys.stderr)
        return 1 if old else 0
    for path, make in TARGETS.items():
        path.write_text(make())
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
