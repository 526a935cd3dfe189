"""A node the replica tests load as a custom node: it writes a line to a file each time it
really runs (the run's id and the process's), so a test can count executions across servers."""

import os
from typing import Any

from nodes.api import Context, Input, Node, Output


class Mark(Node):
    """Notes that it ran (appends ``RUN_ID PID`` to ``log``), waits, then passes its text on."""

    type_id = "test.mark"
    inputs = (Input("text", "Text", default="marked"), Input("log", "Text", default=""),
              Input("seconds", "Number", default=1.0, min=0))
    outputs = (Output("text", "Text"),)

    def run(self, ctx: Context, text: str, log: str, seconds: float) -> dict[str, Any]:
        with open(log, "a", encoding="utf-8") as f:
            f.write(f"{ctx.run_id} {os.getpid()}\n")
        steps = max(1, int(seconds * 10))
        for _ in range(steps):
            ctx.sleep(seconds / steps)
        return {"text": text}
