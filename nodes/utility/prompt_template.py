import re
import string
from collections.abc import Mapping
from typing import Any

from nodes.api import Context, Input, Node, NodeError, Output, Ports

_SLOT = re.compile(r"(?<!\{)\{([A-Za-z_][A-Za-z0-9_]*)\}(?!\})")
_RESERVED = {"template"}


def slots(template: str) -> list[str]:
    """The named ``{slots}`` of a template, in order of first appearance."""
    seen: dict[str, None] = {}
    for name in _SLOT.findall(template):
        if name not in _RESERVED:
            seen.setdefault(name, None)
    return list(seen)


class PromptTemplate(Node):
    """Fills ``{named}`` slots in a template. Each slot becomes an input port, as in LangFlow;
    write ``{{`` and ``}}`` for literal braces."""

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
            template = cls.inputs[0].default
        extra = [Input(name, "Text", default="", widget=None) for name in slots(template)]
        return Ports.of((*cls.inputs, *extra), cls.outputs)

    def run(self, ctx: Context, template: str, **values: Any) -> dict[str, Any]:
        try:
            prompt = string.Formatter().vformat(template, (), {k: "" if v is None else v for k, v in values.items()})
        except (KeyError, IndexError, ValueError) as exc:
            raise NodeError(f"the template cannot be filled: {exc}") from None
        return {"prompt": prompt}
