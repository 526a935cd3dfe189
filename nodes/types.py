"""Port types as data, and the one rule that says which output may feed which input.

A type is an immutable value: a name plus arguments. Arguments are other types
(`List[Document]`), dimensions (`Embedding[384]`), or variables that the graph fills in
(`Embedding[d]`, `List[T]`). Types print and parse as strings (``"List[Embedding[384]]"``)
and serialise to JSON for the canvas, which colours handles by ``name``.

`unify` is the whole compatibility rule, written once and pure: the validator calls it
for every edge, and the server stays the authority. The canvas answers while the mouse
moves with a port of it that reads the rule's data (`type_catalog`) from the catalog; one
table of cases generated from this module (``scripts/generate_type_data.py``) is asserted
by both test suites, so the two cannot drift apart.

Variables let one node say "my output has the dimension of my input": the validator binds
them edge by edge in topological order, so a dimension known at one end of a graph is known
everywhere downstream of it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Union

__all__ = [
    "Type",
    "Var",
    "Verdict",
    "Bindings",
    "parse_type",
    "unify",
    "connect",
    "compatible",
    "substitute",
    "TYPE_COLOURS",
    "type_catalog",
    "ANY",
    "TEXT",
    "INTEGER",
    "NUMBER",
    "BOOLEAN",
    "JSON",
    "IMAGE",
    "AUDIO",
    "FILE",
    "DOCUMENT",
    "CONDITIONING",
    "LATENT",
    "ADAPTER",
    "List",
    "Embedding",
    "Collection",
]


@dataclass(frozen=True, slots=True)
class Var:
    """A variable inside a node's port type, bound when the node is wired.

    Upper-case names stand for types (``T``), lower-case ones for dimensions (``d``).
    Variables are local to one node: two nodes that both say ``d`` are unrelated.
    """

    name: str

    def __str__(self) -> str:
        return self.name

    def to_json(self) -> dict:
        """A bare variable port (``T``) shows as ``Any`` until the graph binds it."""
        return {"name": "Any", "label": self.name, "args": [], "var": self.name, "color": TYPE_COLOURS["Any"]}


Arg = Union["Type", int, None, Var]
"""A type argument: a type, a known dimension, an unknown dimension (None), or a variable."""


@dataclass(frozen=True, slots=True)
class Type:
    name: str
    args: tuple[Arg, ...] = ()

    def __str__(self) -> str:
        if not self.args:
            return self.name
        return f"{self.name}[{', '.join('?' if a is None else str(a) for a in self.args)}]"

    def __repr__(self) -> str:
        return f"Type({str(self)!r})"

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "label": str(self),
            "args": [_arg_json(a) for a in self.args],
            "color": TYPE_COLOURS.get(self.name, "#9ca3af"),
        }


def _arg_json(arg: Arg) -> object:
    if isinstance(arg, Type):
        return arg.to_json()
    if isinstance(arg, Var):
        return {"var": arg.name}
    return arg  # int or None


# -- the types of DESIGN.md --------------------------------------------------------------

ANY = Type("Any")
TEXT = Type("Text")
INTEGER = Type("Integer")
NUMBER = Type("Number")
BOOLEAN = Type("Boolean")
JSON = Type("Json")
IMAGE = Type("Image")
AUDIO = Type("Audio")
FILE = Type("File")
DOCUMENT = Type("Document")
CONDITIONING = Type("Conditioning")
LATENT = Type("Latent")
ADAPTER = Type("Adapter")
"""A LoRA adapter to apply to a model (peft for LLMs, diffusers for diffusion)."""


def List(item: Type | Var) -> Type:  # noqa: N802 - reads like the type it builds
    return Type("List", (item,))


def Embedding(dim: int | None | Var | str = None) -> Type:  # noqa: N802
    return Type("Embedding", (_dim(dim),))


def Collection(dim: int | None | Var | str = None) -> Type:  # noqa: N802
    return Type("Collection", (_dim(dim),))


def _dim(dim: int | None | Var | str) -> int | None | Var:
    return Var(dim) if isinstance(dim, str) else dim


# Arity and kind of each type's arguments: "type" or "dim".
_SIGNATURES: dict[str, tuple[str, ...]] = {
    "Any": (),
    "Text": (),
    "Integer": (),
    "Number": (),
    "Boolean": (),
    "Json": (),
    "Image": (),
    "Audio": (),
    "File": (),
    "Document": (),
    "Conditioning": (),
    "Latent": (),
    "Adapter": (),
    "List": ("type",),
    "Embedding": ("dim",),
    "Collection": ("dim",),
}

# Colours follow the conventions of ComfyUI/chaiNNer users know: text green, numbers blue...
TYPE_COLOURS: dict[str, str] = {
    "Any": "#9ca3af",
    "Text": "#22c55e",
    "Integer": "#3b82f6",
    "Number": "#60a5fa",
    "Boolean": "#f59e0b",
    "Json": "#a855f7",
    "Image": "#ec4899",
    "Audio": "#14b8a6",
    "File": "#78716c",
    "Document": "#84cc16",
    "List": "#eab308",
    "Embedding": "#f97316",
    "Collection": "#ef4444",
    "Conditioning": "#f472b6",
    "Latent": "#c084fc",
    "Adapter": "#0ea5e9",
}

# The only implicit conversions: sender name -> receiver names it may also feed.
_WIDENS_TO: dict[str, frozenset[str]] = {"Integer": frozenset({"Number"})}

# Receivers that also take a single value of their item type (their first argument), which
# then arrives as a one-item list; senders of these names are never lifted (no list of lists
# by accident, and an ``Any`` output already feeds everything).
_LIFTS_INTO: frozenset[str] = frozenset({"List"})
_NOT_LIFTED: frozenset[str] = frozenset({"List", "Any"})


def type_catalog() -> list[dict]:
    """Every type name with its colour and the data of the rule about it, for the canvas.

    The canvas's local check (``frontend/src/types/typesys.ts``) reads the rule's data from
    here instead of keeping its own: ``args`` (the argument kinds), ``widens_to`` (the
    receivers a value of this type may also feed), ``takes_single_item`` (a receiver of this
    type also takes one value of its item type) and ``liftable`` (a single value of this type
    may be lifted so). ``frontend/test/type_cases.json`` pins the algorithm itself."""
    return [
        {
            "name": name,
            "color": TYPE_COLOURS[name],
            "args": list(sig),
            "widens_to": sorted(_WIDENS_TO.get(name, ())),
            "takes_single_item": name in _LIFTS_INTO,
            "liftable": name not in _NOT_LIFTED,
        }
        for name, sig in _SIGNATURES.items()
    ]


# -- parsing -----------------------------------------------------------------------------

_TOKEN = re.compile(r"\s*(?:([A-Za-z_][A-Za-z0-9_]*)|(\d+)|(\?)|(\[)|(\])|(,))")


def parse_type(text: str) -> Type | Var:
    """Parse ``"List[Embedding[384]]"`` (or a bare variable, ``"T"``); raise ValueError
    naming what is wrong."""
    tokens = _tokenize(text)
    pos, result = _parse(tokens, 0, text)
    if pos != len(tokens):
        raise ValueError(f"unexpected {tokens[pos][1]!r} after the type in {text!r}")
    if not isinstance(result, Type | Var):
        raise ValueError(f"{text!r} is not a type")
    return result


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ValueError(f"cannot read the type {text!r} at position {pos}")
        kind = ("name", "int", "?", "[", "]", ",")[m.lastindex - 1]  # type: ignore[operator]
        tokens.append((kind, m.group(m.lastindex or 0)))
        pos = m.end()
    return tokens


def _parse(tokens: list[tuple[str, str]], pos: int, text: str) -> tuple[int, Arg]:
    if pos >= len(tokens):
        raise ValueError(f"the type {text!r} ends too early")
    kind, value = tokens[pos]
    if kind == "int":
        return pos + 1, int(value)
    if kind == "?":
        return pos + 1, None
    if kind != "name":
        raise ValueError(f"unexpected {value!r} in the type {text!r}")
    if value not in _SIGNATURES:
        if len(value) <= 2:  # short names are variables: T, U, d, n
            return pos + 1, Var(value)
        known = ", ".join(_SIGNATURES)
        raise ValueError(f"unknown type {value!r} in {text!r}; known types: {known}")
    pos += 1
    args: list[Arg] = []
    if pos < len(tokens) and tokens[pos][0] == "[":
        pos += 1
        while True:
            pos, arg = _parse(tokens, pos, text)
            args.append(arg)
            if pos < len(tokens) and tokens[pos][0] == ",":
                pos += 1
                continue
            if pos < len(tokens) and tokens[pos][0] == "]":
                pos += 1
                break
            raise ValueError(f"missing ']' in the type {text!r}")
    signature = _SIGNATURES[value]
    if len(args) != len(signature):
        if not args and all(k == "dim" for k in signature):
            args = [None] * len(signature)  # "Embedding" alone: dimension unknown
        else:
            raise ValueError(f"{value} takes {len(signature)} argument(s), got {len(args)} in {text!r}")
    for sig, arg in zip(signature, args, strict=True):
        if sig == "type" and not isinstance(arg, Type | Var):
            raise ValueError(f"{value}[...] takes a type, got {arg!r} in {text!r}")
        if sig == "dim" and isinstance(arg, Type):
            raise ValueError(f"{value}[...] takes a dimension, got {arg} in {text!r}")
    return pos, Type(value, tuple(args))


# -- compatibility -----------------------------------------------------------------------


class Verdict(StrEnum):
    OK = "ok"
    TYPE_MISMATCH = "type_mismatch"
    DIMENSION_MISMATCH = "dimension_mismatch"


Bindings = dict[str, "Type | int | None"]


def unify(sender: Arg, receiver: Arg, bindings: Bindings | None = None) -> Verdict:
    """May a value of type ``sender`` flow into a port of type ``receiver``?

    ``sender`` is a resolved output type (it may still hold unknown dimensions). ``receiver``
    is the input port's declared type and may hold variables; ``bindings`` collects their
    values and is updated in place only when the answer is OK. Rules, in order:

    - ``Any`` on either side accepts (an ``Any`` output is checked when the node runs);
    - a variable binds to what it meets, or must agree with what it was bound to before;
    - ``Integer`` widens to ``Number``; nothing else converts implicitly;
    - same name: every argument must unify; dimensions must be equal when both are known,
      otherwise ``dimension_mismatch`` — an unknown dimension (None) agrees with any.
    """
    trial: Bindings = dict(bindings) if bindings else {}
    verdict = _unify(sender, receiver, trial)
    if verdict is Verdict.OK and bindings is not None:
        bindings.update(trial)
    return verdict


def compatible(sender: Type, receiver: Type) -> bool:
    return connect(sender, receiver)[0] is Verdict.OK


def connect(sender: Arg, receiver: Arg, bindings: Bindings | None = None) -> tuple[Verdict, bool]:
    """`unify`, plus one convenience: a single value may feed a list input of its type
    (a question into an embedder's ``texts``); it then arrives as a one-item list.
    Returns the verdict and whether the value must be wrapped ("lifted")."""
    verdict = unify(sender, receiver, bindings)
    if verdict is not Verdict.TYPE_MISMATCH:
        return verdict, False
    if (isinstance(receiver, Type) and receiver.name in _LIFTS_INTO and isinstance(sender, Type)
            and sender.name not in _NOT_LIFTED):
        lifted = unify(sender, receiver.args[0], bindings)
        if lifted is not Verdict.TYPE_MISMATCH:
            return lifted, lifted is Verdict.OK
    return verdict, False


def _unify(sender: Arg, receiver: Arg, b: Bindings) -> Verdict:
    if isinstance(receiver, Var):
        if receiver.name in b and b[receiver.name] is not None:
            return _unify(sender, b[receiver.name], {})
        b[receiver.name] = sender if not isinstance(sender, Var) else None
        return Verdict.OK
    if isinstance(sender, Var) or sender is None or receiver is None:
        # unresolved on one side: a dimension nobody knows yet agrees with everything
        return Verdict.OK
    if isinstance(sender, int) or isinstance(receiver, int):
        if isinstance(sender, int) and isinstance(receiver, int):
            return Verdict.OK if sender == receiver else Verdict.DIMENSION_MISMATCH
        return Verdict.TYPE_MISMATCH
    if receiver.name == "Any" or sender.name == "Any":
        return Verdict.OK
    if sender.name != receiver.name:
        if receiver.name in _WIDENS_TO.get(sender.name, ()):
            return Verdict.OK
        return Verdict.TYPE_MISMATCH
    if len(sender.args) != len(receiver.args):
        return Verdict.TYPE_MISMATCH
    worst = Verdict.OK
    for s, r in zip(sender.args, receiver.args, strict=True):
        v = _unify(s, r, b)
        if v is Verdict.TYPE_MISMATCH:
            return v
        if v is Verdict.DIMENSION_MISMATCH:
            worst = v
    return worst


def substitute(t: Arg, bindings: Bindings) -> Arg:
    """Replace the variables of ``t`` by their bindings (unbound dimensions become unknown)."""
    if isinstance(t, Var):
        bound = bindings.get(t.name)
        if bound is None:
            return ANY if t.name[:1].isupper() else None
        return bound
    if isinstance(t, Type) and t.args:
        return Type(t.name, tuple(substitute(a, bindings) for a in t.args))
    return t
