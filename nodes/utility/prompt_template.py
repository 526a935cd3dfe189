"""The prompt template node: plain ``{name}`` slots, filled by substitution, never by str.format.

str.format's mini-language lets a 12-byte template ask for 60 MB (``{x:60000000}``) or reach
into a value's attributes (``{x.__class__}``). A slot here is a name and nothing else; anything
more is refused when the graph is checked, and again at run time for a template wired in.
"""

import re
from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import ValidationError
from pydantic_core import PydanticCustomError

from nodes.api import Context, Input, Node, NodeError, Output, Ports

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_NESTED = re.compile(r"\{[^{}]*(?:\{[^{}]*\}[^{}]*)+\}")
_RESERVED = {"template"}
_SHOWN = 60
"""Characters of a refused slot quoted in a message; a longer one is cut."""


class TemplateError(ValueError):
    """A template that is not plain text with ``{name}`` slots; the message says how to fix it."""


def _tokens(template: str) -> Iterator[tuple[str, str | None, str | None]]:
    """The template's pieces as (literal text, slot name, fault): a slot or a fault has its
    name or its message set; a piece with neither is literal text."""
    at = 0
    for m in _TOKEN.finditer(template):
        if m.start() > at:
            yield template[at : m.start()], None, None
        at = m.end()
        token = m.group()
        if token in ("{{", "}}"):
            yield token[0], None, None
        elif m.group(1) is not None:
            field = m.group(1)
            if _NAME.fullmatch(field) and field not in _RESERVED:
                yield "", field, None
            else:
                yield "", None, _fault(token, field)
        elif token == "{" and (nested := _NESTED.match(template, m.start())):  # {x:{y}}
            yield "", None, _fault(nested.group(), nested.group()[1:-1])
        else:
            yield "", None, _stray(token, m.start())
    if at < len(template):
        yield template[at:], None, None


def _stray(brace: str, at: int) -> str:
    what = "is never closed" if brace == "{" else "closes no slot"
    return f"the '{brace}' at character {at + 1} {what}; write {brace * 2} for a literal brace"


def _fault(slot: str, field: str) -> str:
    shown = slot if len(slot) <= _SHOWN else slot[: _SHOWN - 1] + "…"
    head = re.match(r"[^.\[!:]*", field).group()  # type: ignore[union-attr]
    rest = field[len(head) :]
    plain = f"{{{head}}}" if _NAME.fullmatch(head) and head not in _RESERVED else "{name}"
    if field in _RESERVED:
        return f"the slot {shown} is reserved: it is this node's template input; use another name"
    if head == "" or head.isdigit():
        return f"the slot {shown} is positional; give it a name, like {{text}}"
    if rest.startswith("."):
        return f"the slot {shown} uses attribute access; write {plain}"
    if rest.startswith("["):
        return f"the slot {shown} uses index access; write {plain}"
    if rest.startswith("!"):
        return f"the slot {shown} has a conversion; write {plain}"
    if rest.startswith(":"):
        return f"the slot {shown} has a format spec; write {plain}"
    return f"the slot {shown} is not a plain name (a letter or _, then letters, digits or _), like {{text}}"


def parse(template: str) -> list[str]:
    """The template as literal text and slot names, alternating: ``[text, name, text, ...]``
    (even positions literal, odd positions names). Raise TemplateError at the first fault."""
    parts: list[str] = []
    literal: list[str] = []
    for text, name, fault in _tokens(template):
        if fault is not None:
            raise TemplateError(fault)
        if name is None:
            literal.append(text)
        else:
            parts += ["".join(literal), name]
            literal = []
    return [*parts, "".join(literal)]


def slots(template: str) -> list[str]:
    """The named ``{slots}`` of a template, in order of first appearance; faults are skipped
    (the validator reports them), so the ports of a half-typed template stay usable."""
    seen: dict[str, None] = {}
    for _, name, _ in _tokens(template):
        if name is not None:
            seen.setdefault(name, None)
    return list(seen)


def fill(parts: list[str], values: Mapping[str, str], limit: int | None = None) -> str:
    """Put ``values`` into the slots of ``parse``'s ``parts``. With ``limit``, refuse before
    building a text longer than that: one slot repeated many times multiplies its input."""
    names = Counter(parts[1::2])
    if limit is not None:
        size = sum(map(len, parts[0::2])) + sum(
            len(values[n]) * count for n, count in names.items()
        )
        if size > limit:
            why = ""
            if names:
                top = max(names, key=lambda n: len(values[n]) * names[n])
                why = f"; most of it is {{{top}}}, filled {names[top]:,} time(s) with {len(values[top]):,} characters"
            raise NodeError(
                f"the prompt would be {size:,} characters long, over the limit of {limit:,} bytes "
                f"(GENAISYS_MAX_TEXT_OUTPUT_BYTES){why}"
            )
    return "".join(values[p] if i % 2 else p for i, p in enumerate(parts))


class PromptTemplate(Node):
    """Fills ``{named}`` slots in a template. Each slot becomes an input port, as in LangFlow;
    write ``{{`` and ``}}`` for literal braces. A slot is a plain name: no format specs,
    conversions, attribute or index access."""

    type_id = "utility.prompt_template"
    title = "Prompt template"
    inline = True
    inputs = (
        Input(
            "template",
            "Text",
            default="Answer the question using the context.\n\nContext: {context}\n\nQuestion: {question}",
            widget="multiline",
        ),
    )
    outputs = (Output("prompt", "Text"),)

    @classmethod
    def ports(cls, params: Mapping[str, Any]) -> Ports:
        template = params.get("template")
        if not isinstance(template, str):
            template = cls.input("template").default
        extra = [Input(name, "Text", default="", widget=None) for name in slots(template)]
        return Ports.of((*cls.inputs, *extra), cls.outputs)

    @classmethod
    def validate_params(cls, params: Mapping[str, Any]) -> dict[str, Any]:
        checked = super().validate_params(params)
        template = checked.get("template")
        if isinstance(template, str):
            try:
                parse(template)
            except TemplateError as exc:
                error = PydanticCustomError("bad_template", "{reason}", {"reason": str(exc)})
                raise ValidationError.from_exception_data(
                    cls.__name__, [{"type": error, "loc": ("template",), "input": template}]
                ) from None
        return checked

    def run(self, ctx: Context, template: str, **values: Any) -> dict[str, Any]:
        try:
            parts = parse(template)
        except TemplateError as exc:
            raise NodeError(str(exc)) from None
        texts = {k: "" if v is None else str(v) for k, v in values.items()}
        missing = [n for n in dict.fromkeys(parts[1::2]) if n not in texts]
        if missing:
            have = ", ".join(f"{{{n}}}" for n in texts) or "none"
            raise NodeError(
                f"the template's slot {{{missing[0]}}} is not an input of this node; its slots: {have}"
            )
        # the executor puts its text bound on the context; a bare context has none
        limit = ctx.max_text_output_bytes
        return {"prompt": fill(parts, texts, limit)}
