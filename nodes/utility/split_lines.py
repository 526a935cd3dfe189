from typing import Any

from nodes.api import Context, Input, Node, Output


class SplitLines(Node):
    """Splits a text into its lines."""

    type_id = "utility.split_lines"
    title = "Split lines"
    inline = True
    inputs = (
        Input("text", "Text"),
        Input("skip_empty", "Boolean", default=True, help="Drop blank lines"),
        Input("strip", "Boolean", default=True, help="Trim spaces around each line"),
    )
    outputs = (Output("lines", "List[Text]"),)

    def run(self, ctx: Context, text: str, skip_empty: bool, strip: bool) -> dict[str, Any]:
        lines = text.splitlines()
        if strip:
            lines = [line.strip() for line in lines]
        if skip_empty:
            lines = [line for line in lines if line.strip()]
        return {"lines": lines}
