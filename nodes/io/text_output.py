from nodes.api import Input
from nodes.io._base import OutputNode, label_input


class TextOutput(OutputNode):
    """Shows a text result of the graph and returns it from runs, demos and the API."""

    type_id = "io.text_output"
    title = "Text output"
    inputs = (label_input("Answer"), Input("value", "Text", widget=None, label="text"))
