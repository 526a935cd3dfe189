from pathlib import Path
from typing import Any

from nodes.api import Context, Input, NodeError, Output
from nodes.io._base import InputNode, label_input


class FileInput(InputNode):
    """A path to a file on this machine (the canvas uploads one into the data directory)."""

    type_id = "io.file_input"
    title = "File input"
    inputs = (
        label_input("File"),
        Input("value", "Text", default="", widget="file", connectable=False, help="Path to the file"),
    )
    outputs = (Output("file", "File"),)

    def run(self, ctx: Context, value: Any = "", label: str = "") -> dict[str, Any]:
        if not value:
            raise NodeError("no file was given: choose a file or pass one as an input")
        path = Path(str(value)).expanduser()
        if not path.is_file():
            raise NodeError(f"file not found: {path}")
        return {"file": str(path.resolve())}
