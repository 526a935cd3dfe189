from typing import Any

from nodes.api import Context, Input, Node, NodeError, Output


class JsonField(Node):
    """Reads one field of a JSON value by a dotted path such as ``choices.0.text``."""

    type_id = "utility.json_field"
    title = "JSON field"
    inline = True
    inputs = (
        Input("data", "Json"),
        Input("path", "Text", default="", help="Dotted path; list positions are numbers"),
    )
    outputs = (Output("value", "Any"),)

    def run(self, ctx: Context, data: Any, path: str) -> dict[str, Any]:
        value = data
        walked: list[str] = []
        for part in [p for p in path.split(".") if p]:
            if isinstance(value, dict) and part in value:
                value = value[part]
            elif isinstance(value, list) and part.lstrip("-").isdigit() and -len(value) <= int(part) < len(value):
                value = value[int(part)]
            else:
                at = ".".join(walked) or "the top level"
                raise NodeError(f"no field {part!r} at {at} of the JSON value")
            walked.append(part)
        return {"value": value}
