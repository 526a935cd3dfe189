from nodes.api import Input, Output
from nodes.io._base import InputNode, label_input


class BooleanInput(InputNode):
    """A yes/no switch given to the graph."""

    type_id = "io.boolean_input"
    title = "Boolean input"
    output_name = "value"
    inputs = (
        label_input("Switch"),
        Input("value", "Boolean", default=False, connectable=False),
    )
    outputs = (Output("value", "Boolean"),)
