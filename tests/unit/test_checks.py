"""Each evaluation check kind on its own: what passes, what fails, and what the failure says."""

from __future__ import annotations

import pytest

from app.engine.checks import (
    CheckKind,
    CheckSpecError,
    contains_any,
    equals,
    json_field_equals,
    number_within,
    parse_check,
    regex,
    retrieved_contains,
    run_check,
    wer_at_most,
    word_error_rate,
)


def check(**raw):
    return parse_check({"output": "out", **raw})


def test_equals_strips_text_and_compares_json_values():
    assert equals("  Paris\n", "Paris").passed
    assert equals({"a": [1, 2]}, {"a": [1, 2]}).passed
    assert equals(1, 1.0).passed
    verdict = equals("Lyon", "Paris")
    assert not verdict.passed and verdict.message == "expected 'Paris', got 'Lyon'"
    assert not equals(True, 1).passed  # a boolean is not a number


def test_contains_any_ignores_case_and_splits_alternatives_on_bars():
    assert contains_any("It is called Bartholomew.", "bartholomew").passed
    assert contains_any("eleven scientists", "11|eleven").passed
    assert contains_any("7 people", ["seven", "7 people"]).passed
    verdict = contains_any("Nobody knows.", "Bartholomew|Bart")
    assert not verdict.passed
    assert verdict.message == "expected any of ['Bartholomew', 'Bart'] in 'Nobody knows.'"


def test_regex_searches_anywhere():
    assert regex("opened in 2019.", r"\b20\d\d\b").passed
    verdict = regex("opened long ago", r"\b20\d\d\b")
    assert not verdict.passed and verdict.message == "expected a match of /\\b20\\d\\d\\b/ in 'opened long ago'"


def test_number_within_takes_numbers_and_numeric_text():
    c = check(kind="number_within", expected=3.0, tolerance=0.1)
    assert number_within("3.05", 3.0, c).passed
    assert number_within(2.95, "3", c).passed
    verdict = number_within(3.5, 3.0, c)
    assert not verdict.passed and verdict.message == "expected 3 ± 0.1, got 3.5 (off by 0.5)"
    assert not number_within("three", 3.0, c).passed
    assert not number_within(True, 1, c).passed


def test_json_field_equals_follows_a_dotted_path_through_objects_and_lists():
    c = check(kind="json_field_equals", field="result.items.1.name", expected="b")
    value = {"result": {"items": [{"name": "a"}, {"name": "b"}]}}
    assert json_field_equals(value, "b", c).passed
    assert json_field_equals('{"result": {"items": [{}, {"name": "b"}]}}', "b", c).passed
    missing = json_field_equals({"result": {"items": []}}, "b", c)
    assert not missing.passed and missing.message.startswith("field 'result.items.1.name' is missing (no '1' in [])")
    wrong = json_field_equals({"result": {"items": [{}, {"name": "c"}]}}, "b", c)
    assert not wrong.passed and wrong.message == "field 'result.items.1.name': expected 'b', got 'c'"
    assert not json_field_equals("not json", "b", c).passed


def test_word_error_rate_is_a_word_level_edit_distance_over_the_reference():
    assert word_error_rate("hello world", "Hello, world!") == 0
    assert word_error_rate("hello there world", "hello world") == 0.5  # one insertion
    assert word_error_rate("hello", "hello world") == 0.5  # one deletion
    assert word_error_rate("jello world", "hello world") == 0.5  # one substitution
    assert word_error_rate("a b c d", "e f") == 2.0  # two substitutions, two insertions
    assert word_error_rate("", "") == 0 and word_error_rate("x", "") == 1


def test_wer_at_most_compares_with_its_max():
    c = check(kind="wer_at_most", expected="the quick brown fox", max=0.25)
    assert wer_at_most("the quick brown box", "the quick brown fox", c).passed
    verdict = wer_at_most("a quick brown box", "the quick brown fox", c)
    assert not verdict.passed and verdict.message.startswith("word error rate 0.500 > 0.25 against 'the quick brown fox'")


def test_retrieved_contains_matches_source_names_and_paths():
    docs = [{"text": "x", "metadata": {"source": "notes/station.md"}}, {"text": "y", "metadata": {"source": "a.txt"}}]
    assert retrieved_contains(docs, "station.md").passed
    assert retrieved_contains(docs, ["b.txt", "a.txt"]).passed
    assert not retrieved_contains(docs, "tion.md").passed  # a file name, not a fragment of one
    verdict = retrieved_contains(docs, "history.html")
    assert not verdict.passed
    assert verdict.message == "expected a document from any of ['history.html']; retrieved ['notes/station.md', 'a.txt']"
    assert retrieved_contains("oops", "a.txt").message == "expected a list of retrieved documents, got 'oops'"


def test_parse_check_names_checks_and_refuses_bad_ones_with_the_fix():
    c = check(kind="contains_any", column="want")
    assert (c.kind, c.name, c.column) == (CheckKind.CONTAINS_ANY, "out contains_any (want)", "want")
    assert check(kind="equals", expected=1, name="exact").name == "exact"
    bad = [
        ({"kind": "similar", "expected": "x"}, "kind 'similar' unknown; the kinds are equals, contains_any"),
        ({"kind": "equals"}, "give \"expected\" (one value for every case) or \"column\""),
        ({"kind": "equals", "expected": 1, "column": "c"}, "exactly one of them"),
        ({"kind": "regex", "expected": "("}, "is not a regular expression"),
        ({"kind": "wer_at_most", "expected": "a b"}, "wer_at_most needs \"max\""),
        ({"kind": "number_within", "expected": 1}, "number_within needs \"tolerance\""),
        ({"kind": "number_within", "expected": "x", "tolerance": 1}, "expects a number, not 'x'"),
        ({"kind": "json_field_equals", "expected": 1}, "json_field_equals needs \"field\""),
        ({"kind": "equals", "expected": 1, "tolerence": 1}, "check field(s) tolerence unknown"),
    ]
    for raw, message in bad:
        with pytest.raises(CheckSpecError, match=None) as err:
            check(**raw)
        assert message in str(err.value), (raw, str(err.value))
    with pytest.raises(CheckSpecError, match="names the io output node"):
        parse_check({"kind": "equals", "expected": 1})


def test_a_bad_expected_value_from_a_column_fails_the_case_and_says_why():
    c = check(kind="regex", column="pattern")
    verdict = run_check(c, "anything", "(")
    assert not verdict.passed and "is not a regular expression" in verdict.message
