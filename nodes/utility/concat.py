from typing import Any

from nodes.api import Context, Input, Node, Output


class Concat(Node):
    """Puts two texts one after the other."""

    type_id = "utility.concat"
    title = "Concatenate"
    inline = True
    inputs = (
        Input("a", "Text", default=""),
        Input("b", "Text", default=""),
        Input("separator", "Text", default=""),
    )
    outputs = (Output("text", "Text"),)

    def run(self, ctx: Context, a: str, b: str, separator: str) -> dict[str, Any]:
        return {"text": f"{a}{separator}{b}"}
