"""Nodes for the Ray backend's tests: a model-like node (``uses_gpu``, so it runs in an actor)
that reports progress, can be slow, tells its process, and makes a large array."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from nodes.api import Context, Input, Node, Output


class Probe(Node):
    type_id = "test.ray_probe"
    title = "Ray probe"
    uses_gpu = True
    inputs = (Input("x", "Number", default=1.0), Input("seconds", "Number", default=0.0),
              Input("size", "Integer", default=0))
    outputs = (Output("y", "Number"), Output("pid", "Integer"), Output("array", "Any"))

    def run(self, ctx: Context, x: float = 1.0, seconds: float = 0.0, size: int = 0) -> dict[str, Any]:
        ctx.progress(0.0, f"pid {os.getpid()}")
        if seconds:
            ctx.sleep(seconds)
        ctx.progress(1.0, "done")
        return {"y": x + 1, "pid": os.getpid(), "array": np.arange(size, dtype=np.float64)}


class Total(Node):
    type_id = "test.ray_total"
    title = "Ray total"
    uses_gpu = True
    inputs = (Input("array", "Any"), Input("y", "Number", default=0.0))
    outputs = (Output("total", "Number"), Output("pid", "Integer"))

    def run(self, ctx: Context, array: Any, y: float = 0.0) -> dict[str, Any]:
        return {"total": float(np.asarray(array).sum()) + y, "pid": os.getpid()}
