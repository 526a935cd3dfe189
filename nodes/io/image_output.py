from nodes.api import Input
from nodes.io._base import OutputNode, label_input


class ImageOutput(OutputNode):
    """Shows an image result of the graph and returns it from runs, demos and the API."""

    type_id = "io.image_output"
    title = "Image output"
    inputs = (label_input("Image"), Input("value", "Image", widget=None, label="image"))
