"""The compatibility rule (`unify`), case by case, and the type strings users write."""

from __future__ import annotations

import json

import pytest

from nodes.types import (
    ANY,
    AUDIO,
    BOOLEAN,
    CONDITIONING,
    DOCUMENT,
    FILE,
    IMAGE,
    INTEGER,
    JSON,
    LATENT,
    NUMBER,
    TEXT,
    TYPE_COLOURS,
    Collection,
    Embedding,
    List,
    Type,
    Var,
    Verdict,
    compatible,
    parse_type,
    substitute,
    type_catalog,
    unify,
)

OK, MISMATCH, DIM = Verdict.OK, Verdict.TYPE_MISMATCH, Verdict.DIMENSION_MISMATCH
SCALARS = [TEXT, INTEGER, NUMBER, BOOLEAN, JSON, IMAGE, AUDIO, FILE, DOCUMENT, CONDITIONING, LATENT]


# -- scalars ---------------------------------------------------------------------------


@pytest.mark.parametrize("t", SCALARS, ids=str)
def test_identical_scalars_are_compatible(t: Type) -> None:
    assert unify(t, t) is OK
    assert compatible(t, t)


def test_integer_widens_to_number_but_not_back() -> None:
    assert unify(INTEGER, NUMBER) is OK
    assert unify(NUMBER, INTEGER) is MISMATCH


@pytest.mark.parametrize("t", [*SCALARS, List(TEXT), Embedding(384), Collection(768)], ids=str)
def test_any_accepts_and_feeds_everything(t: Type) -> None:
    assert unify(t, ANY) is OK
    assert unify(ANY, t) is OK


@pytest.mark.parametrize(
    ("sender", "receiver"),
    [
        (TEXT, IMAGE),
        (IMAGE, TEXT),
        (TEXT, NUMBER),
        (NUMBER, TEXT),
        (BOOLEAN, INTEGER),
        (INTEGER, TEXT),
        (AUDIO, FILE),
        (CONDITIONING, LATENT),
        (JSON, TEXT),
        (DOCUMENT, TEXT),
    ],
    ids=lambda t: str(t),
)
def test_different_scalars_do_not_convert(sender: Type, receiver: Type) -> None:
    assert unify(sender, receiver) is MISMATCH
    assert not compatible(sender, receiver)


# -- lists -----------------------------------------------------------------------------


def test_list_of_same_item_type_is_ok() -> None:
    assert unify(List(TEXT), List(TEXT)) is OK


def test_list_items_widen_like_scalars() -> None:
    assert unify(List(INTEGER), List(NUMBER)) is OK
    assert unify(List(NUMBER), List(INTEGER)) is MISMATCH


def test_list_of_other_item_type_is_a_mismatch() -> None:
    assert unify(List(TEXT), List(IMAGE)) is MISMATCH


def test_a_single_value_is_not_a_list_and_a_list_is_not_a_value() -> None:
    assert unify(TEXT, List(TEXT)) is MISMATCH
    assert unify(List(TEXT), TEXT) is MISMATCH


def test_list_of_any_takes_any_list_but_not_a_scalar() -> None:
    assert unify(List(DOCUMENT), List(ANY)) is OK
    assert unify(List(List(TEXT)), List(ANY)) is OK
    assert unify(TEXT, List(ANY)) is MISMATCH


def test_nested_lists_compare_all_the_way_down() -> None:
    assert unify(List(List(INTEGER)), List(List(NUMBER))) is OK
    assert unify(List(List(TEXT)), List(List(IMAGE))) is MISMATCH
    assert unify(List(List(Embedding(384))), List(List(Embedding(768)))) is DIM


# -- dimensions ------------------------------------------------------------------------


def test_embeddings_of_the_same_dimension_are_ok() -> None:
    assert unify(Embedding(384), Embedding(384)) is OK


def test_embeddings_of_different_dimensions_are_a_dimension_mismatch() -> None:
    assert unify(Embedding(384), Embedding(768)) is DIM
    assert unify(Collection(768), Collection(384)) is DIM


def test_unknown_dimension_agrees_with_any_known_one() -> None:
    assert unify(Embedding(None), Embedding(768)) is OK
    assert unify(Embedding(768), Embedding(None)) is OK


def test_an_embedding_is_not_a_collection() -> None:
    assert unify(Embedding(384), Collection(384)) is MISMATCH
    assert unify(Collection(384), Embedding(384)) is MISMATCH


def test_a_list_of_wrong_dimension_vectors_is_a_dimension_not_type_mismatch() -> None:
    assert unify(List(Embedding(384)), List(Embedding(768))) is DIM


# -- variables -------------------------------------------------------------------------


def test_dimension_variable_binds_then_must_agree() -> None:
    b: dict = {}
    assert unify(Embedding(384), Embedding("d"), b) is OK
    assert b == {"d": 384}
    assert unify(Embedding(384), Embedding("d"), b) is OK
    assert unify(Embedding(768), Embedding("d"), b) is DIM
    assert b == {"d": 384}


def test_dimension_variable_bound_by_params_checks_the_first_edge() -> None:
    b = {"d": 768}
    assert unify(Embedding(384), Embedding("d"), b) is DIM
    assert unify(Embedding(None), Embedding("d"), b) is OK
    assert b == {"d": 768}


def test_unknown_dimension_leaves_the_variable_open_for_a_later_edge() -> None:
    b: dict = {}
    assert unify(Collection(None), Collection("d"), b) is OK
    assert b.get("d") is None
    assert unify(Embedding(768), Embedding("d"), b) is OK
    assert b["d"] == 768
    assert unify(Embedding(384), Embedding("d"), b) is DIM


def test_variables_are_per_bindings_dict() -> None:
    """Two nodes that both say ``d`` are unrelated: each has its own bindings."""
    first: dict = {}
    second: dict = {}
    assert unify(Embedding(384), Embedding("d"), first) is OK
    assert unify(Embedding(768), Embedding("d"), second) is OK
    assert (first["d"], second["d"]) == (384, 768)


def test_list_variable_binds_the_item_type() -> None:
    b: dict = {}
    assert unify(List(DOCUMENT), List(Var("T")), b) is OK
    assert b == {"T": DOCUMENT}
    assert substitute(Var("T"), b) == DOCUMENT
    assert unify(List(TEXT), List(Var("T")), b) is MISMATCH


def test_bare_type_variable_takes_anything_once() -> None:
    b: dict = {}
    assert unify(IMAGE, Var("T"), b) is OK
    assert b == {"T": IMAGE}
    assert unify(IMAGE, Var("T"), b) is OK
    assert unify(AUDIO, Var("T"), b) is MISMATCH


def test_bindings_are_not_changed_when_the_verdict_is_not_ok() -> None:
    b = {"d": 384}
    assert unify(List(Embedding(768)), List(Embedding("d")), b) is DIM
    assert b == {"d": 384}
    empty: dict = {}
    assert unify(TEXT, List(Var("T")), empty) is MISMATCH
    assert empty == {}


def test_partial_binding_is_rolled_back_when_a_later_argument_fails() -> None:
    """A two-argument type: ``T`` binds, then the dimension disagrees; nothing sticks."""
    receiver = Type("Pair", (Var("T"), Embedding("d")))
    b: dict = {"d": 384}
    assert unify(Type("Pair", (TEXT, Embedding(768))), receiver, b) is DIM
    assert b == {"d": 384}
    assert (
        unify(Type("Pair", (TEXT, List(IMAGE))), Type("Pair", (Var("T"), List(TEXT))), b)
        is MISMATCH
    )
    assert b == {"d": 384}
    assert unify(Type("Pair", (TEXT, Embedding(384))), receiver, b) is OK
    assert b == {"d": 384, "T": TEXT}


def test_unify_without_bindings_still_checks_variables_consistently() -> None:
    assert unify(Embedding(384), Embedding("d")) is OK
    assert unify(List(TEXT), List(Var("T"))) is OK


def test_substitute_fills_known_and_leaves_unknown() -> None:
    assert substitute(Collection("d"), {"d": 384}) == Collection(384)
    assert substitute(Collection("d"), {}) == Collection(None)
    assert substitute(Var("T"), {}) == ANY
    assert substitute(List(Var("T")), {"T": TEXT}) == List(TEXT)


# -- strings ---------------------------------------------------------------------------

ROUND_TRIP = [
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
    "List[Text]",
    "List[Document]",
    "List[List[Number]]",
    "Embedding[384]",
    "Embedding[?]",
    "Embedding[d]",
    "Collection[768]",
    "Collection[d]",
    "List[Embedding[384]]",
    "List[T]",
    "T",
    "d",
    "List[List[Embedding[?]]]",
]


@pytest.mark.parametrize("text", ROUND_TRIP)
def test_parse_type_round_trips_str(text: str) -> None:
    parsed = parse_type(text)
    assert str(parsed) == text
    assert parse_type(str(parsed)) == parsed


def test_parse_type_builds_the_same_values_as_the_constructors() -> None:
    assert parse_type("List[Embedding[384]]") == List(Embedding(384))
    assert parse_type("Collection[d]") == Collection(Var("d"))
    assert parse_type("T") == Var("T")
    assert parse_type("  List[ Text ]  ") == List(TEXT)


def test_a_bare_embedding_has_an_unknown_dimension() -> None:
    assert parse_type("Embedding") == Embedding(None)
    assert str(parse_type("Collection")) == "Collection[?]"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "ends too early"),
        ("   ", "ends too early"),
        ("Txt", "unknown type 'Txt'"),
        ("text", "known types"),
        ("List[", "ends too early"),
        ("List[Text", "missing ']'"),
        ("List[]", "unexpected ']'"),
        ("List[Text]]", "unexpected ']'"),
        ("List[Text, Image]", "List takes 1 argument(s), got 2"),
        ("List", "List takes 1 argument(s), got 0"),
        ("Text[384]", "Text takes 0 argument(s), got 1"),
        ("List[384]", "takes a type"),
        ("List[?]", "takes a type"),
        ("Embedding[Text]", "takes a dimension"),
        ("Embedding[-1]", "cannot read"),
        ("Text Image", "unexpected 'Image'"),
        ("384", "is not a type"),
        ("?", "is not a type"),
        ("T[Text]", "unexpected '['"),
        ("List<Text>", "cannot read"),
    ],
)
def test_parse_type_rejects_bad_strings_clearly(text: str, says: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_type(text)
    assert says in str(info.value)


# -- JSON for the canvas ---------------------------------------------------------------


def test_to_json_has_name_label_and_colour() -> None:
    data = Embedding(384).to_json()
    assert data["name"] == "Embedding"
    assert data["label"] == "Embedding[384]"
    assert data["color"] == TYPE_COLOURS["Embedding"]
    assert data["args"] == [384]
    nested = List(Embedding("d")).to_json()
    assert nested["label"] == "List[Embedding[d]]"
    assert nested["args"][0]["name"] == "Embedding"
    assert nested["args"][0]["args"] == [{"var": "d"}]
    json.dumps(nested)


def test_type_variable_shows_as_any_on_the_canvas() -> None:
    data = Var("T").to_json()
    assert data["name"] == "Any" and data["label"] == "T" and data["color"] == TYPE_COLOURS["Any"]


def test_every_type_has_its_own_colour_and_a_catalog_entry() -> None:
    catalog = {entry["name"]: entry for entry in type_catalog()}
    for t in [*SCALARS, ANY, List(TEXT), Embedding(1), Collection(1)]:
        assert t.name in catalog
        assert t.to_json()["color"] == catalog[t.name]["color"]
    colours = [entry["color"] for entry in catalog.values()]
    assert len(set(colours)) == len(colours)
    assert catalog["Embedding"]["args"] == ["dim"] and catalog["List"]["args"] == ["type"]
