from typing import Any

from nodes.api import Context, Input, NodeError, Output
from nodes.io._base import InputNode, label_input
from nodes.runtime.paths import portable, resolve_path


class FileInput(InputNode):
    """A path to a file on this machine (the canvas uploads one into the data directory).

    The path goes through the file fence like every loader's, so on a shared server it
    answers alike for a file outside that exists and one that does not. It is passed on as
    the user wrote it (an upload as ``uploads/<name>``): the loaders downstream resolve it
    the same way, and no run output names the server's folders."""

    type_id = "io.file_input"
    title = "File input"
    inputs = (
        label_input("File"),
        Input("value", "Text", default="", widget="file", connectable=False, help="Path to the file"),
    )
    outputs = (Output("file", "File"),)

    def run(self, ctx: Context, value: Any, label: str) -> dict[str, Any]:
        if not value:
            raise NodeError("no file was given: choose a file or pass one as an input")
        path = resolve_path(str(value), what="file", must_be="file")
        return {"file": portable(path, str(value))}
