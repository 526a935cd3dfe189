from typing import Any

from nodes.api import Context, Input, Node, NodeError, Output


class PickItem(Node):
    """Takes one item of a list by position; negative positions count from the end."""

    type_id = "utility.pick_item"
    title = "Pick list item"
    inline = True
    inputs = (
        Input("items", "List[T]"),
        Input("index", "Integer", default=0),
    )
    outputs = (Output("item", "T"),)

    def run(self, ctx: Context, items: list[Any], index: int) -> dict[str, Any]:
        if not -len(items) <= index < len(items):
            raise NodeError(f"index {index} is out of range for a list of {len(items)} item(s)")
        return {"item": items[index]}
