"""Evaluation checks: what a graph's io output must be for a case to pass.

Each kind is one pure function ``(actual, expected, check) -> Verdict`` with a message that
says what was wanted and what came, so a failing case explains itself. ``parse_check`` turns
the JSON a cases file (or ``--check``, or the API) declares into a ``Check``, refusing a bad
one with a sentence that says how to fix it. The rules are in docs/decisions.md (Evaluation).
"""

from __future__ import annotations

import json
import math
import re
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class CheckKind(StrEnum):
    EQUALS = "equals"
    CONTAINS_ANY = "contains_any"
    REGEX = "regex"
    NUMBER_WITHIN = "number_within"
    JSON_FIELD_EQUALS = "json_field_equals"
    WER_AT_MOST = "wer_at_most"
    RETRIEVED_CONTAINS = "retrieved_contains"


class CheckSpecError(ValueError):
    """A check that cannot be run as declared; the message says how to fix it."""


@dataclass(frozen=True, slots=True)
class Check:
    output: str
    """The io output node whose value is checked."""
    kind: CheckKind
    name: str
    expected: Any = None
    """The expected value, the same for every case (or None: see ``column``)."""
    column: str | None = None
    """The case column that holds the expected value, case by case."""
    tolerance: float = 0.0
    """number_within: the largest difference that passes."""
    field: str | None = None
    """json_field_equals: the dotted path of the field (``a.b.0``)."""
    max: float = 0.0
    """wer_at_most: the largest word error rate that passes (0.25 = one word in four)."""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "output": self.output, "kind": self.kind}
        if self.column is not None:
            out["column"] = self.column
        else:
            out["expected"] = self.expected
        if self.kind == CheckKind.NUMBER_WITHIN:
            out["tolerance"] = self.tolerance
        if self.kind == CheckKind.JSON_FIELD_EQUALS:
            out["field"] = self.field
        if self.kind == CheckKind.WER_AT_MOST:
            out["max"] = self.max
        return out


@dataclass(frozen=True, slots=True)
class Verdict:
    passed: bool
    message: str


_FIELDS = {"name", "output", "kind", "expected", "column", "tolerance", "field", "max"}


def parse_check(raw: Any) -> Check:
    """A ``Check`` from its JSON declaration; CheckSpecError with the fix otherwise."""
    if not isinstance(raw, Mapping):
        raise CheckSpecError(f"a check is a JSON object like {{\"output\": \"answer\", \"kind\": \"contains_any\", "
                             f"\"expected\": \"Paris\"}}, not {type(raw).__name__}")
    unknown = sorted(set(raw) - _FIELDS)
    if unknown:
        raise CheckSpecError(f"check field(s) {', '.join(unknown)} unknown; a check has {', '.join(sorted(_FIELDS))}")
    output, kind_text = raw.get("output"), raw.get("kind")
    if not isinstance(output, str) or not output:
        raise CheckSpecError("a check names the io output node it checks: \"output\": \"<node id>\"")
    try:
        kind = CheckKind(str(kind_text))
    except ValueError:
        raise CheckSpecError(f"check on {output!r}: kind {kind_text!r} unknown; the kinds are "
                             f"{', '.join(k.value for k in CheckKind)}") from None
    has_expected, column = "expected" in raw, raw.get("column")
    if has_expected == (column is not None):
        raise CheckSpecError(f"check {kind} on {output!r}: give \"expected\" (one value for every case) or "
                             "\"column\" (the case column that holds it), exactly one of them")
    if column is not None and (not isinstance(column, str) or not column):
        raise CheckSpecError(f"check {kind} on {output!r}: \"column\" names a column of the cases")
    name = raw.get("name") or f"{output} {kind}" + (f" ({column})" if column else "")
    check = Check(output, kind, str(name), raw.get("expected"), column,
                  _number(raw, "tolerance", 0.0, name), _field(raw, kind, name), _number(raw, "max", 0.0, name))
    if kind == CheckKind.WER_AT_MOST and "max" not in raw:
        raise CheckSpecError(f"check {name!r}: wer_at_most needs \"max\", the largest word error rate that passes "
                             "(0.2 = one word in five wrong)")
    if kind == CheckKind.NUMBER_WITHIN and "tolerance" not in raw:
        raise CheckSpecError(f"check {name!r}: number_within needs \"tolerance\", the largest difference that passes")
    if has_expected:
        _check_expected(check, check.expected)
    return check


def _number(raw: Mapping[str, Any], key: str, default: float, name: str) -> float:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise CheckSpecError(f"check {name!r}: {key!r} is a number of 0 or more, not {value!r}")
    return float(value)


def _field(raw: Mapping[str, Any], kind: CheckKind, name: str) -> str | None:
    field = raw.get("field")
    if kind == CheckKind.JSON_FIELD_EQUALS and (not isinstance(field, str) or not field):
        raise CheckSpecError(f"check {name!r}: json_field_equals needs \"field\", a dotted path such as \"result.score\"")
    return field if isinstance(field, str) else None


def _check_expected(check: Check, expected: Any) -> None:
    """Refuse an expected value the kind cannot use (up front for ``expected``, per case for ``column``)."""
    if check.kind in (CheckKind.REGEX, CheckKind.WER_AT_MOST) and not isinstance(expected, str):
        raise CheckSpecError(f"check {check.name!r}: {check.kind} expects a text, not {expected!r}")
    if check.kind == CheckKind.REGEX:
        try:
            re.compile(expected)
        except re.error as exc:
            raise CheckSpecError(f"check {check.name!r}: {expected!r} is not a regular expression ({exc})") from None
    if check.kind == CheckKind.NUMBER_WITHIN and _as_number(expected) is None:
        raise CheckSpecError(f"check {check.name!r}: number_within expects a number, not {expected!r}")
    if check.kind in (CheckKind.CONTAINS_ANY, CheckKind.RETRIEVED_CONTAINS) and not _alternatives(expected):
        raise CheckSpecError(f"check {check.name!r}: {check.kind} expects a text or a list of texts, not {expected!r}")


def run_check(check: Check, actual: Any, expected: Any) -> Verdict:
    """Judge ``actual`` (the output's value) against ``expected``; a bad expected value from a
    case's column is a failed check that says so, never an exception."""
    try:
        _check_expected(check, expected)
    except CheckSpecError as exc:
        return Verdict(False, str(exc))
    return _KINDS[check.kind](actual, expected, check)


# -- the kinds ------------------------------------------------------------------------------


def equals(actual: Any, expected: Any, check: Check | None = None) -> Verdict:
    """Texts compare with surrounding whitespace stripped; other JSON values as values."""
    a = actual.strip() if isinstance(actual, str) else actual
    e = expected.strip() if isinstance(expected, str) else expected
    if a == e and isinstance(a, bool) == isinstance(e, bool):  # true is not 1
        return Verdict(True, f"equals {_show(expected)}")
    return Verdict(False, f"expected {_show(expected)}, got {_show(actual)}")


def contains_any(actual: Any, expected: Any, check: Check | None = None) -> Verdict:
    """The text contains one of the alternatives (a list, or a text split on ``|``), ignoring case."""
    text = _text(actual)
    wanted = _alternatives(expected)
    hit = next((w for w in wanted if w.casefold() in text.casefold()), None)
    if hit is not None:
        return Verdict(True, f"contains {hit!r}")
    return Verdict(False, f"expected any of {wanted!r} in {_show(actual)}")


def regex(actual: Any, expected: Any, check: Check | None = None) -> Verdict:
    """``re.search``: the pattern matches somewhere in the text."""
    found = re.search(expected, _text(actual))
    if found:
        return Verdict(True, f"matches /{expected}/ at {found.group(0)!r}")
    return Verdict(False, f"expected a match of /{expected}/ in {_show(actual)}")


def number_within(actual: Any, expected: Any, check: Check | None = None) -> Verdict:
    tolerance = check.tolerance if check is not None else 0.0
    a, e = _as_number(actual), _as_number(expected)
    if a is None or e is None:
        return Verdict(False, f"expected a number within {tolerance:g} of {_show(expected)}, got {_show(actual)}")
    diff = abs(a - e)
    if diff <= tolerance:
        return Verdict(True, f"{a:g} is within {tolerance:g} of {e:g}")
    return Verdict(False, f"expected {e:g} ± {tolerance:g}, got {a:g} (off by {diff:g})")


def json_field_equals(actual: Any, expected: Any, check: Check | None = None) -> Verdict:
    path = check.field if check is not None and check.field else ""
    value = actual
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return Verdict(False, f"expected JSON with field {path!r}, got {_show(actual)}")
    for part in path.split("."):
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.lstrip("-").isdigit() and -len(value) <= int(part) < len(value):
            value = value[int(part)]
        else:
            return Verdict(False, f"field {path!r} is missing (no {part!r} in {_show(value)})")
    verdict = equals(value, expected)
    return Verdict(verdict.passed, f"field {path!r}: {verdict.message}")


def word_error_rate(hypothesis: str, reference: str) -> float:
    """Word-level edit distance (substitutions, insertions, deletions) over the reference's
    length in words, after lower-casing and dropping punctuation; 0 for two empty texts."""
    hyp, ref = _words(hypothesis), _words(reference)
    if not ref:
        return 0.0 if not hyp else 1.0
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        current = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h))
        previous = current
    return previous[-1] / len(ref)


def wer_at_most(actual: Any, expected: Any, check: Check | None = None) -> Verdict:
    limit = check.max if check is not None else 0.0
    wer = word_error_rate(_text(actual), expected)
    if wer <= limit:
        return Verdict(True, f"word error rate {wer:.3f} ≤ {limit:g}")
    return Verdict(False, f"word error rate {wer:.3f} > {limit:g} against {expected!r}: got {_show(actual)}")


def retrieved_contains(actual: Any, expected: Any, check: Check | None = None) -> Verdict:
    """One of the retrieved documents comes from one of the expected sources: a document's
    ``metadata.source`` equal to it, or ending in ``/`` and it (a file name matches its path)."""
    wanted = _alternatives(expected)
    docs = actual if isinstance(actual, list) else []
    sources = [str(d.get("metadata", {}).get("source", "")) for d in docs if isinstance(d, Mapping)]
    for source in sources:
        hit = next((w for w in wanted if source == w or source.endswith("/" + w)), None)
        if hit is not None:
            return Verdict(True, f"retrieved {source!r}")
    if not isinstance(actual, list):
        return Verdict(False, f"expected a list of retrieved documents, got {_show(actual)}")
    return Verdict(False, f"expected a document from any of {wanted!r}; retrieved {sources!r}")


_KINDS: dict[CheckKind, Callable[[Any, Any, Check], Verdict]] = {
    CheckKind.EQUALS: equals,
    CheckKind.CONTAINS_ANY: contains_any,
    CheckKind.REGEX: regex,
    CheckKind.NUMBER_WITHIN: number_within,
    CheckKind.JSON_FIELD_EQUALS: json_field_equals,
    CheckKind.WER_AT_MOST: wer_at_most,
    CheckKind.RETRIEVED_CONTAINS: retrieved_contains,
}


# -- helpers --------------------------------------------------------------------------------


def _alternatives(expected: Any) -> list[str]:
    if isinstance(expected, str):
        return [p.strip() for p in expected.split("|") if p.strip()]
    if isinstance(expected, list) and all(isinstance(x, str) for x in expected):
        return [x for x in expected if x.strip()]
    return []


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return "" if value is None else json.dumps(value, default=str)


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


_PUNCTUATION = str.maketrans("", "", string.punctuation)


def _words(text: str) -> list[str]:
    return text.casefold().translate(_PUNCTUATION).split()


def _show(value: Any, limit: int = 120) -> str:
    text = repr(value) if not isinstance(value, dict | list) else json.dumps(value, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"
