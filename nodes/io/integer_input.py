from nodes.api import Input, Output
from nodes.io._base import InputNode, label_input


class IntegerInput(InputNode):
    """A whole number given to the graph."""

    type_id = "io.integer_input"
    title = "Integer input"
    output_name = "number"
    inputs = (
        label_input("Integer"),
        Input("value", "Integer", default=0, connectable=False),
    )
    outputs = (Output("number", "Integer"),)
