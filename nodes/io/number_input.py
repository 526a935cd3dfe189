from nodes.api import Input, Output
from nodes.io._base import InputNode, label_input


class NumberInput(InputNode):
    """A real number given to the graph."""

    type_id = "io.number_input"
    title = "Number input"
    output_name = "number"
    inputs = (
        label_input("Number"),
        Input("value", "Number", default=0.0, connectable=False),
    )
    outputs = (Output("number", "Number"),)
