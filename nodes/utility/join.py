from typing import Any

from nodes.api import Context, Input, Node, Output


class Join(Node):
    """Joins a list of texts into one, with a separator between them."""

    type_id = "utility.join"
    title = "Join texts"
    inline = True
    inputs = (
        Input("items", "List[Any]"),
        Input("separator", "Text", default="\n\n"),
    )
    outputs = (Output("text", "Text"),)

    def run(self, ctx: Context, items: list[Any], separator: str) -> dict[str, Any]:
        return {"text": separator.join(_as_text(i) for i in items)}


def _as_text(item: Any) -> str:
    if isinstance(item, dict) and "text" in item:  # a Document
        return str(item["text"])
    return str(item)
