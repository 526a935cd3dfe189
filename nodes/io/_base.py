"""Shared shape of the io nodes: an input node holds one editable ``value``, an output
node shows what reaches it. Run-time inputs (CLI ``--input``, API, demo) replace ``value``."""

from __future__ import annotations

from typing import Any, ClassVar

from nodes.api import Context, Input, Node, Output


class InputNode(Node):
    role = "input"
    inline = True
    output_name: ClassVar[str] = "value"

    def run(self, ctx: Context, value: Any, label: str) -> dict[str, Any]:  # defaults: on the Inputs
        return {self.output_name: value}


class OutputNode(Node):
    role = "output"
    inline = True

    def run(self, ctx: Context, value: Any, label: str) -> dict[str, Any]:  # defaults: on the Inputs
        return {"value": value}


def label_input(default: str) -> Input:
    return Input("label", "Text", default=default, connectable=False, help="Shown in demos and the API")


__all__ = ["InputNode", "OutputNode", "Output", "label_input"]
