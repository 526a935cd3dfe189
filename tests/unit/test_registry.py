"""Finding nodes on disk, surviving broken node modules, and the catalog the canvas reads."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sample_nodes import SampleEmbedder

from nodes.api import Input, Node, Output
from nodes.registry import KINDS, Registry, default_registry, discover

BASIC_IO = {
    "io.text_input",
    "io.integer_input",
    "io.number_input",
    "io.boolean_input",
    "io.file_input",
    "io.text_output",
    "io.json_output",
}
BASIC_UTILITY = {
    "utility.prompt_template",
    "utility.join",
    "utility.concat",
    "utility.split_lines",
    "utility.pick_item",
    "utility.json_field",
}
DOTTED_LOWER = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")


def test_discover_finds_the_basic_nodes() -> None:
    registry = discover()
    assert set(registry.nodes) >= BASIC_IO | BASIC_UTILITY
    assert registry.load_errors == []
    for type_id in BASIC_IO | BASIC_UTILITY:
        cls = registry.get(type_id)
        assert cls is not None and cls.type_id == type_id and type_id in registry
        assert cls.category == type_id.split(".")[0]


def test_discover_only_the_kinds_asked_for() -> None:
    registry = discover(kinds=["io"])
    assert set(registry.nodes) >= BASIC_IO
    assert {cls.category for cls in registry} == {"io"}


def test_io_nodes_carry_their_role() -> None:
    registry = discover(kinds=["io"])
    roles = {cls.type_id: cls.role for cls in registry}
    assert {t for t, r in roles.items() if r == "input"} == {t for t in roles if t.endswith("_input")}
    assert {t for t, r in roles.items() if r == "output"} == {t for t in roles if t.endswith("_output")}
    assert None not in roles.values()


def test_default_registry_is_loaded_once() -> None:
    assert default_registry() is default_registry()
    assert set(default_registry().nodes) >= BASIC_IO


# -- broken node modules ---------------------------------------------------------------

GOOD = '''
from nodes.api import Input, Node, Output


class Shout(Node):
    """Upper-cases a text."""

    type_id = "utility.shout"
    inputs = (Input("text", "Text"),)
    outputs = (Output("text", "Text"),)
'''


@pytest.fixture
def node_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Path]]:
    """A fresh importable package with a ``utility`` kind folder; cleaned out of sys.modules."""
    name = f"tmp_nodes_{uuid.uuid4().hex[:8]}"
    kind = tmp_path / name / "utility"
    kind.mkdir(parents=True)
    (tmp_path / name / "__init__.py").write_text("")
    (kind / "__init__.py").write_text("")
    (kind / "shout.py").write_text(GOOD)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield name, kind
    for mod in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
        del sys.modules[mod]


@pytest.mark.parametrize(
    ("source", "error"),
    [
        (
            "import not_a_real_package_xyz\n",
            "ModuleNotFoundError: No module named 'not_a_real_package_xyz'",
        ),
        ("def broken(:\n", "SyntaxError"),
        ("raise RuntimeError('needs a GPU driver')\n", "RuntimeError: needs a GPU driver"),
        (
            GOOD.replace("utility.shout", "Not A Dotted Id").replace("Shout", "Bad"),
            "must be dotted lower-case",
        ),
        (GOOD.replace('"Text")', '"Txt")', 1), "unknown type 'Txt'"),
    ],
    ids=["missing-dependency", "syntax-error", "raises", "bad-id", "bad-port-type"],
)
def test_a_node_module_that_fails_to_import_is_reported_and_the_rest_load(
    node_package: tuple[str, Path], source: str, error: str
) -> None:
    name, kind = node_package
    (kind / "broken.py").write_text(source)
    registry = discover(package=name, kinds=["utility"])
    assert "utility.shout" in registry
    assert len(registry.load_errors) == 1
    failure = registry.load_errors[0]
    assert failure.module == f"{name}.utility.broken"
    assert error in failure.error
    assert "Traceback" in failure.detail
    catalog = registry.catalog()
    assert catalog["load_errors"] == [{"module": f"{name}.utility.broken", "error": failure.error}]
    assert [n["type"] for n in catalog["nodes"]] == ["utility.shout"]


def test_a_missing_kind_folder_is_reported_and_the_others_load(
    node_package: tuple[str, Path],
) -> None:
    name, _ = node_package
    registry = discover(package=name, kinds=["models", "utility"])
    assert "utility.shout" in registry
    assert [e.module for e in registry.load_errors] == [f"{name}.models"]


def test_a_kind_that_is_a_plain_module_does_not_stop_discovery(
    node_package: tuple[str, Path],
) -> None:
    name, kind = node_package
    (kind.parent / "stores.py").write_text("X = 1\n")
    registry = discover(package=name, kinds=["stores", "utility"])
    assert set(registry.nodes) == {"utility.shout"}


def test_two_modules_claiming_one_id_are_reported(node_package: tuple[str, Path]) -> None:
    name, kind = node_package
    (kind / "shout_again.py").write_text(GOOD.replace("class Shout", "class ShoutAgain"))
    registry = discover(package=name, kinds=["utility"])
    assert "utility.shout" in registry
    assert (
        len(registry.load_errors) == 1
        and "two nodes claim the id 'utility.shout'" in registry.load_errors[0].error
    )


def test_private_modules_and_imported_classes_are_not_nodes(node_package: tuple[str, Path]) -> None:
    name, kind = node_package
    (kind / "_helpers.py").write_text(GOOD.replace("utility.shout", "utility.helper"))
    (kind / "reexport.py").write_text(
        f"from {name}.utility.shout import Shout\nfrom nodes.io.text_input import TextInput\n"
    )
    registry = discover(package=name, kinds=["utility"])
    assert set(registry.nodes) == {"utility.shout"} and registry.load_errors == []


# -- the registry itself ---------------------------------------------------------------


def test_adding_a_second_class_under_an_existing_id_is_refused() -> None:
    class Impostor(Node):
        type_id = "sample.embedder"
        outputs = (Output("x", "Text"),)

    registry = Registry().extend([SampleEmbedder])
    registry.add(SampleEmbedder)  # the same class again is harmless
    with pytest.raises(ValueError, match="two nodes claim the id 'sample.embedder'"):
        registry.add(Impostor)
    assert registry.get("sample.embedder") is SampleEmbedder


def test_suggest_finds_near_misses_only() -> None:
    registry = discover()
    assert registry.suggest("io.text_inpt") == "io.text_input"
    assert registry.suggest("utilities.split_lines") == "utility.split_lines"
    assert registry.suggest("pick_item") == "utility.pick_item"
    assert registry.suggest("zzzz.qqqq") is None


@pytest.mark.parametrize(
    ("type_id", "ok"),
    [
        ("kind.name", True),
        ("io.text_input", True),
        ("a.b.c2", True),
        ("Io.Text", False),
        ("text_input", False),
        ("io.text-input", False),
        ("io..x", False),
        ("1io.x", False),
        ("io.x ", False),
    ],
)
def test_node_ids_must_be_dotted_lower_case(type_id: str, ok: bool) -> None:
    def define() -> type[Node]:
        return type("N", (Node,), {"type_id": type_id, "outputs": (Output("x", "Text"),)})

    if ok:
        assert define().type_id == type_id
    else:
        with pytest.raises(ValueError, match="dotted lower-case"):
            define()


def test_two_inputs_with_one_name_are_refused() -> None:
    with pytest.raises(ValueError, match="two inputs share a name"):
        type(
            "N", (Node,), {"type_id": "x.y", "inputs": (Input("a", "Text"), Input("a", "Integer"))}
        )


# -- the catalog -----------------------------------------------------------------------


def test_catalog_shape() -> None:
    catalog = discover().catalog()
    assert set(catalog) == {"nodes", "types", "categories", "load_errors"}
    assert catalog["load_errors"] == []
    assert catalog["categories"][:2] == ["io", "utility"]
    assert {t["name"] for t in catalog["types"]} >= {
        "Text",
        "Integer",
        "Number",
        "Embedding",
        "Collection",
        "List",
        "Any",
    }
    kinds = [KINDS.index(n["category"]) for n in catalog["nodes"]]
    assert kinds == sorted(kinds), "nodes are grouped by kind, in palette order"
    entry = next(n for n in catalog["nodes"] if n["type"] == "utility.split_lines")
    assert (
        entry["title"] == "Split lines" and entry["description"] == "Splits a text into its lines."
    )
    assert [i["name"] for i in entry["inputs"]] == ["text", "skip_empty", "strip"]
    text = entry["inputs"][0]
    assert text["required"] is True and text["type"]["name"] == "Text" and text["widget"] == "text"
    assert entry["inputs"][1]["default"] is True and entry["inputs"][1]["widget"] == "checkbox"
    assert entry["outputs"] == [
        {"name": "lines", "label": "lines", "type": entry["outputs"][0]["type"], "help": ""}
    ]
    assert entry["outputs"][0]["type"]["label"] == "List[Text]"
    assert entry["dynamic_ports"] is False
    template = next(n for n in catalog["nodes"] if n["type"] == "utility.prompt_template")
    assert template["dynamic_ports"] is True


def test_catalog_shows_limits_choices_and_settings() -> None:
    entry = Registry().extend([SampleEmbedder]).catalog()["nodes"][0]
    model = next(i for i in entry["inputs"] if i["name"] == "model")
    assert model["choices"] == ["mini", "base", "custom"] and model["widget"] == "select"
    assert (
        model["connectable"] is False and model["required"] is False and model["default"] == "mini"
    )
    assert entry["outputs"][0]["type"]["label"] == "Embedding[d]"


def test_every_shipped_node_describes_itself_as_json() -> None:
    registry = discover()
    assert len(registry.nodes) >= len(BASIC_IO | BASIC_UTILITY)
    for cls in registry:
        entry = cls.describe()
        assert json.loads(json.dumps(entry)) == entry, cls.type_id
        assert entry["type"] == cls.type_id and entry["title"] and entry["description"], cls.type_id
        assert entry["version"] >= 1
        # a subgraph node's outputs are the graph it runs: known once that graph is looked up
        assert entry["outputs"] or cls.role == "output" or entry["dynamic_ports"], f"{cls.type_id} has no outputs"
    json.dumps(registry.catalog())


def test_every_shipped_node_id_is_dotted_lower_case_and_in_its_folder() -> None:
    for cls in discover():
        assert DOTTED_LOWER.match(cls.type_id), cls.type_id
        assert cls.__module__.split(".")[1] == cls.type_id.split(".")[0], cls.type_id


def test_every_shipped_node_accepts_its_own_defaults() -> None:
    """Params built from the catalog's defaults are valid: the canvas starts from them."""
    for cls in discover():
        defaults = {i.name: i.default for i in cls.inputs if i.is_param and i.has_default}
        assert cls.validate_params(defaults) == defaults, cls.type_id
        assert cls.ports(defaults).inputs[: len(cls.inputs)] == tuple(cls.inputs), cls.type_id


def test_node_modules_do_not_import_heavy_packages() -> None:
    """The catalog must load fast: no torch & co. at import time."""
    code = textwrap.dedent("""
        import sys
        from nodes.registry import discover
        discover()
        heavy = {"torch", "transformers", "diffusers", "chromadb", "gradio", "sentence_transformers"}
        print(sorted(heavy & set(sys.modules)))
    """)
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_a_node_whose_run_disagrees_with_its_inputs_is_refused_naming_the_input() -> None:
    import pytest

    from nodes.api import Context, Input, Node, Output

    with pytest.raises(ValueError, match=r"'label' the default '', but the input declares 'Answer'"):
        class Disagrees(Node):  # noqa: F841 - defining it is the test
            type_id = "test.disagrees"
            inputs = (Input("label", "Text", default="Answer"),)
            outputs = (Output("text", "Text"),)

            def run(self, ctx: Context, label: str = "") -> dict:
                return {"text": label}

    with pytest.raises(ValueError, match=r"run\(\) does not take the input\(s\) b; run\(\) takes c"):
        class Misnamed(Node):  # noqa: F841
            type_id = "test.misnamed"
            inputs = (Input("a", "Text"), Input("b", "Text"))
            outputs = (Output("text", "Text"),)

            def run(self, ctx: Context, a: str, c: str) -> dict:
                return {"text": a + c}

    class Agrees(Node):
        type_id = "test.agrees"
        inputs = (Input("label", "Text", default="Answer"), Input("extra", "Json", default=None, widget=None))
        outputs = (Output("text", "Text"),)

        def run(self, ctx: Context, label: str, extra: object = None) -> dict:
            return {"text": label}

    assert Agrees.input("label").default == "Answer"
