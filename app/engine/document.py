"""The graph document, ``genaisys.graph/1``: one format for the canvas, the API, files,
the CLI and the database. Unknown fields are rejected, the ``schema`` field is required.

A document is also *strict JSON* within bounds (``json_flaws``): no NaN or Infinity, no lone
UTF-16 surrogate in a text or a key, no nesting deeper than ``MAX_DEPTH``; and it has at most
``MAX_NODES`` nodes and ``MAX_EDGES`` edges. Python's ``json`` reads all of those flaws, but
what holds them cannot be written back as JSON (or as UTF-8): a graph saved with one used to
answer 500 and then never open again.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator

SCHEMA = "genaisys.graph/1"
MAX_DEPTH = 64
"""Most levels of nested objects and lists in a document (the document itself is level 1);
pydantic refuses to serialise past about 255, and no real graph comes near 64."""
MAX_NODES = 10_000
MAX_EDGES = 25_000
"""Bounds on a graph's size, well past any graph drawn by hand (the benchmark's largest is a
5,000-node chain): the run path is linear in a graph's size, so a graph at the bounds runs in
seconds, not the minutes a quadratic path once took at 10,000 nodes."""
MAX_NODE_VERSION = 2**31 - 1


@dataclass(frozen=True, slots=True)
class JsonFlaw:
    """One place where a parsed JSON value is not strict JSON; ``path`` is printable ASCII."""

    code: str
    """``non_finite_number``, ``lone_surrogate`` or ``too_deep`` (problem codes as well)."""
    path: str
    message: str
    at: tuple[str | int, ...]
    """The path as keys and indexes, for callers that pin the flaw to a node."""


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def json_path(parts: tuple[str | int, ...]) -> str:
    """``("nodes", 0, "params", "a b")`` -> ``nodes[0].params["a b"]``; ``()`` -> ``$``. A key
    that is not a plain name, the empty key included, is quoted with JSON's ASCII escapes, so
    a path always names its key and never carries the flaw it points at."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(part, str) and _NAME.fullmatch(part):
            out += f".{part}" if out else part
        else:
            out += f"[{json.dumps(str(part))}]"
    return out or "$"


def has_lone_surrogate(text: str) -> bool:
    if text.isascii():
        return False
    try:
        text.encode("utf-8")  # json.loads pairs escaped surrogates; any left over is lone
    except UnicodeEncodeError:
        return True
    return False


_CONTAINERS = (dict, list)


def json_flaws(value: Any, *, max_depth: int = MAX_DEPTH, limit: int = 20) -> list[JsonFlaw]:
    """The places where ``value`` (parsed JSON) is not strict JSON, at most ``limit`` of them,
    container by container. Iterative, so a value nested 100,000 deep is reported, not a
    crash; a path is built only for a flaw, so an 8 MiB body is walked in about 0.1 s."""
    flaws: list[JsonFlaw] = []
    if not isinstance(value, dict | list):
        _check_leaf(value, None, flaws)
        return flaws
    # (container, its nesting level, its path as a linked list (parent, key))
    stack: list[tuple[Any, int, Any]] = [(value, 1, None)]
    while stack and len(flaws) < limit:
        item, level, where = stack.pop()
        if level > max_depth:
            flaws.append(_flaw("too_deep", where, f"the value is nested more than {max_depth} levels deep; flatten it"))
            continue
        nested = []
        for key, child in item.items() if isinstance(item, dict) else enumerate(item):
            if isinstance(key, str) and not key.isascii() and has_lone_surrogate(key):
                flaws.append(_flaw("lone_surrogate", (where, key), "the key holds a lone UTF-16 surrogate, which is "
                                   "not a character and cannot be stored as UTF-8; rename it"))
            if isinstance(child, _CONTAINERS):
                nested.append((child, level + 1, (where, key)))
            elif isinstance(child, str):
                if not child.isascii():
                    _check_leaf(child, (where, key), flaws)
            elif isinstance(child, float) and not -math.inf < child < math.inf:
                _check_leaf(child, (where, key), flaws)
        stack.extend(reversed(nested))
    return flaws[:limit]


def _check_leaf(value: Any, where: Any, flaws: list[JsonFlaw]) -> None:
    if isinstance(value, str):
        if has_lone_surrogate(value):
            flaws.append(_flaw("lone_surrogate", where, "the text holds a lone UTF-16 surrogate, which is not a "
                               "character and cannot be stored as UTF-8; remove it"))
    elif isinstance(value, float) and not math.isfinite(value):
        flaws.append(_flaw("non_finite_number", where, f"{float(value)!r} is not a JSON number (JSON has no NaN or "
                           "Infinity, and a number this large overflows); use a finite number or null"))


def unwind(where: Any) -> tuple[str | int, ...]:
    """The path tuple of a ``(parent, key)`` linked list."""
    parts: list[str | int] = []
    while where is not None:
        where, key = where
        parts.append(key)
    return tuple(reversed(parts))


def _flaw(code: str, where: Any, why: str) -> JsonFlaw:
    at = unwind(where)
    path = json_path(at)
    return JsonFlaw(code, path, f"{path}: {why}", at)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class Position(_Strict):
    x: float = 0.0
    y: float = 0.0


class NodeSpec(_Strict):
    id: str = Field(min_length=1, max_length=200)
    type: str = Field(min_length=1, max_length=200)
    version: StrictInt | None = Field(None, ge=1, le=MAX_NODE_VERSION,
                                      description="the node class's version this entry was saved with")
    params: dict[str, Any] = Field(default_factory=dict)
    position: Position = Field(default_factory=Position)
    title: str | None = None
    """A user's own name for this node on the canvas."""

    @field_validator("id")
    @classmethod
    def _visible(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a node id needs a visible character, not only spaces")
        if "\x00" in value:  # PostgreSQL cannot store one in the run's node results
            raise ValueError("a node id cannot hold a NUL character (U+0000); remove it")
        return value


class EdgeSpec(_Strict):
    id: str = Field(min_length=1, max_length=200)
    source: str
    source_port: str
    target: str
    target_port: str


class GraphDocument(_Strict):
    schema_: Literal["genaisys.graph/1"] = Field(alias="schema")
    name: str = ""
    description: str = ""
    nodes: list[NodeSpec] = Field(default_factory=list)
    edges: list[EdgeSpec] = Field(default_factory=list)
    meta: dict[str, Any] = Field(default_factory=dict)
    """Free-form data of the canvas (viewport, groups); not read by the engine."""
    graphs: list[dict[str, Any]] = Field(default_factory=list)
    """A file's bundle: the saved graphs its subgraph nodes run, each
    ``{"id", "version", "name", "document"}`` (export writes it, import and the CLI read it)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, allow_inf_nan=False)

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, mode="json")
