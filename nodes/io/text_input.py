from nodes.api import Input, Output
from nodes.io._base import InputNode, label_input


class TextInput(InputNode):
    """A text the user types, or that a run passes in as an input."""

    type_id = "io.text_input"
    title = "Text input"
    output_name = "text"
    inputs = (
        label_input("Text"),
        Input("value", "Text", default="", widget="multiline", connectable=False),
    )
    outputs = (Output("text", "Text"),)
