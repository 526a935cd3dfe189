from nodes.api import Input
from nodes.io._base import OutputNode, label_input


class JsonOutput(OutputNode):
    """Shows any value of the graph as JSON and returns it from runs, demos and the API."""

    type_id = "io.json_output"
    title = "JSON output"
    inputs = (label_input("Result"), Input("value", "Any", widget=None, label="json"))
