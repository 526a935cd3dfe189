"""Nodes the integration tests load as custom nodes (GENAISYS_CUSTOM_NODES), the way a user
adds their own: a slow node to watch and cancel, and one whose output is too big to inline."""

from typing import Any

from nodes.api import Context, Input, Node, Output


class Sleep(Node):
    """Waits, reporting progress ten times a second, then passes its text on."""

    type_id = "test.sleep"
    inputs = (Input("text", "Text", default="slept"), Input("seconds", "Number", default=1.0, min=0))
    outputs = (Output("text", "Text"),)

    def run(self, ctx: Context, text: str, seconds: float) -> dict[str, Any]:
        steps = max(1, int(seconds * 10))
        for i in range(steps):
            ctx.sleep(seconds / steps)
            ctx.progress((i + 1) / steps, f"{i + 1}/{steps}")
        return {"text": text}


class BigText(Node):
    """Repeats a text many times: an output larger than the inline limit."""

    type_id = "test.big_text"
    inputs = (Input("text", "Text", default="abc"), Input("times", "Integer", default=100_000, min=1))
    outputs = (Output("text", "Text"),)

    def run(self, ctx: Context, text: str, times: int) -> dict[str, Any]:
        return {"text": text * times}


class Stuck(Node):
    """Blocks without ever polling for cancel: a node that hangs."""

    type_id = "test.stuck"
    inputs = (Input("text", "Text", default="stuck"), Input("seconds", "Number", default=30.0, min=0))
    outputs = (Output("text", "Text"),)

    def run(self, ctx: Context, text: str, seconds: float) -> dict[str, Any]:
        import time

        time.sleep(seconds)
        return {"text": text}


class Hog(Node):
    """Asks for far more memory than the process may have."""

    type_id = "test.hog"
    inputs = (Input("text", "Text", default="hog"), Input("gigabytes", "Number", default=64.0, min=0))
    outputs = (Output("text", "Text"),)

    def run(self, ctx: Context, text: str, gigabytes: float) -> dict[str, Any]:
        block = bytearray(int(gigabytes * 1024**3))
        return {"text": f"{text} {len(block)}"}
