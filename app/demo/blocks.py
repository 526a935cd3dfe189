"""The Gradio side of a live demo: the Blocks, its components and its one handler.

Split from ``app.demo.spec`` (which reads the graph, checks inputs and runs it, with no gradio
import) so that this module is the only one that touches gradio's API.
"""

from __future__ import annotations

import inspect
import keyword
from pathlib import Path
from typing import Any

from app.demo.spec import (
    _FILE_KINDS,
    API_NAME,
    MAX_TEXT_CHARS,
    DemoContext,
    DemoField,
    DemoInputError,
    DemoRunError,
    DemoSpec,
    default_file,
    run_demo,
)

# -- the Blocks --------------------------------------------------------------------------------


def allowed_files(spec: DemoSpec) -> list[Path]:
    """Default files the page may show (the graph's own example inputs)."""
    out = []
    for fld in spec.inputs:
        if fld.kind in _FILE_KINDS and (path := default_file(fld.default)) is not None:
            out.append(path)
    return out


def build_blocks(ctx: DemoContext) -> Any:
    """The ``gr.Blocks`` of the demo (imports gradio)."""
    import gradio as gr

    spec = ctx.spec
    with gr.Blocks(title=spec.name, analytics_enabled=False) as blocks:
        gr.Markdown(f"# {spec.name}\n\n{spec.description}".strip())
        if spec.problems:
            gr.Markdown("**This graph cannot run as saved:**\n\n" + "\n".join(f"- {p}" for p in spec.problems))
            return blocks
        with gr.Row():
            with gr.Column():
                inputs = [_input_component(gr, fld) for fld in spec.inputs]
                button = gr.Button("Run", variant="primary")
            with gr.Column():
                outputs = [_output_component(gr, fld) for fld in spec.outputs]
        if inputs:
            example = [_example_value(fld) for fld in spec.inputs]
            gr.Examples(examples=[example], inputs=inputs, label="Example (the graph's saved inputs)")
        button.click(_handler(gr, ctx), inputs=inputs, outputs=outputs, api_name=API_NAME)
    return blocks


def _handler(gr: Any, ctx: DemoContext) -> Any:
    """An async function with one positional parameter per input and a ``progress`` default,
    as gradio reads the signature to find where to put its progress tracker."""
    n_out = len(ctx.spec.outputs)

    async def handler(*args: Any) -> Any:
        *values, progress = args
        try:
            results = await run_demo(ctx, values, progress)
        except (DemoInputError, DemoRunError) as exc:
            raise gr.Error(str(exc), print_exception=False) from None
        if n_out == 0:
            return None
        return results[0] if n_out == 1 else tuple(results)

    params = [inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD) for name in parameter_names(ctx.spec)]
    params.append(inspect.Parameter("progress", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=gr.Progress()))
    handler.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    handler.__name__ = "run"
    return handler


def parameter_names(spec: DemoSpec) -> list[str]:
    """The handler's parameter names, which ``gradio_client`` shows and takes as keywords:
    each input node's id where it is a Python identifier, ``input_<i>`` otherwise."""
    names: list[str] = []
    for i, fld in enumerate(spec.inputs):
        name = fld.node_id
        if not name.isidentifier() or keyword.iskeyword(name) or name in names or name == "progress":
            name = f"input_{i}"
        names.append(name)
    return names


def _input_component(gr: Any, fld: DemoField) -> Any:
    if fld.kind == "text":
        lines = 4 if fld.multiline else 1
        return gr.Textbox(label=fld.label, value=str(fld.default or ""), lines=lines, max_lines=20 if fld.multiline else 1,
                          max_length=MAX_TEXT_CHARS)
    if fld.kind in ("integer", "number"):
        default = fld.default if isinstance(fld.default, int | float) and not isinstance(fld.default, bool) else 0
        return gr.Number(label=fld.label, value=default, precision=0 if fld.kind == "integer" else None,
                         minimum=fld.minimum, maximum=fld.maximum)
    if fld.kind == "boolean":
        return gr.Checkbox(label=fld.label, value=bool(fld.default))
    path = default_file(fld.default)
    value = str(path) if path else None
    if fld.kind == "audio":
        return gr.Audio(label=fld.label, value=value, type="filepath", sources=["upload", "microphone"])
    if fld.kind == "image":
        return gr.Image(label=fld.label, value=value, type="filepath")
    return gr.File(label=fld.label, value=value, type="filepath")


def _output_component(gr: Any, fld: DemoField) -> Any:
    if fld.kind == "image":
        return gr.Image(label=fld.label, type="filepath", interactive=False)
    if fld.kind == "audio":
        return gr.Audio(label=fld.label, type="filepath", interactive=False)
    if fld.kind == "json":
        return gr.JSON(label=fld.label)
    return gr.Textbox(label=fld.label, lines=4, interactive=False)


def _example_value(fld: DemoField) -> Any:
    if fld.kind in _FILE_KINDS:
        path = default_file(fld.default)
        return str(path) if path else None
    if fld.kind in ("integer", "number"):
        return fld.default if isinstance(fld.default, int | float) and not isinstance(fld.default, bool) else 0
    if fld.kind == "boolean":
        return bool(fld.default)
    return "" if fld.default is None else str(fld.default)
