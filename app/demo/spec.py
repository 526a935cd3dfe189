"""A live Gradio demo built on the fly from a saved graph: its io nodes become the form.

One component per io input node, in graph order (text -> Textbox, integer/number -> Number,
boolean -> Checkbox, file -> File, audio -> Audio, image -> Image), one per io output node
(text -> Textbox, image -> Image, JSON -> JSON, audio -> Audio), the graph's name and
description as header, a Run button and the graph's own input values as the example.

The Run button submits through the studio's RunManager, so a demo run is queued, executed,
stored and listed like any other run (graph, version, inputs, provenance). A demo can only
set the io inputs' values: the handler takes exactly one value per input node, and the
document it runs is the saved version's, so no param or structure can be changed from the
page or from ``gradio_client``. Inputs are bounded (texts, files) before anything is queued.

``demo_spec`` and ``prepare_inputs`` are plain Python; gradio is imported by ``app.demo.blocks``
only, on the first request for a demo (see ``app.api.routes.demos``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import mimetypes
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.engine.validate import CheckedGraph, validate
from app.engine.vocabulary import EventType, RunStatus
from app.services.errors import InvalidGraph, InvalidInputs, TooManyQueued
from app.services.graphs import submit_run
from nodes.registry import Registry
from nodes.runtime.sources import file_sha256
from storage import repo

MAX_TEXT_CHARS = 100_000
"""The longest text a demo input takes."""

API_NAME = "run"
"""The demo's one endpoint: ``Client(url).predict(*inputs, api_name="/run")``."""

INPUT_KINDS = {
    "io.text_input": "text", "io.integer_input": "integer", "io.number_input": "number",
    "io.boolean_input": "boolean", "io.file_input": "file", "io.audio_input": "audio",
    "io.image_input": "image",
}
OUTPUT_KINDS = {"io.text_output": "text", "io.image_output": "image", "io.json_output": "json", "io.audio_output": "audio"}
_KIND_BY_TYPE = {"Text": "text", "Integer": "integer", "Number": "number", "Boolean": "boolean",
                 "File": "file", "Audio": "audio", "Image": "image", "Json": "json"}
_FILE_KINDS = ("file", "audio", "image")


class DemoInputError(ValueError):
    """An input the demo refuses before anything runs; its message is shown to the user."""


@dataclass(frozen=True)
class DemoField:
    node_id: str
    kind: str
    """text, integer, number, boolean, file, audio, image (inputs); text, image, json, audio (outputs)."""
    label: str
    default: Any = None
    multiline: bool = True
    minimum: float | None = None
    maximum: float | None = None


@dataclass(frozen=True)
class DemoSpec:
    """What the demo page shows, read from a graph document without gradio."""

    name: str
    description: str
    inputs: tuple[DemoField, ...]
    outputs: tuple[DemoField, ...]
    problems: tuple[str, ...] = ()
    """Why the graph cannot run (invalid graph); the page then shows these and no Run button."""


@dataclass
class DemoContext:
    """What a demo's Run button needs from the server: the run queue, the database, where files go."""

    runs: Any  # app.services.run_queue.RunManager
    sessions: Any  # session factory
    registry: Registry
    data_dir: Path
    max_upload_bytes: int
    document: dict[str, Any]
    graph_id: str
    version_id: Any
    version_number: int
    spec: DemoSpec
    default_digests: dict[str, str] = field(default_factory=dict)
    """file input node -> sha256 of its default file: an unchanged default runs with the saved value."""
    upload_root: Path | None = None
    """Gradio's upload folder: a file input must lie in it (never a path a request names)."""

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"

    @property
    def outputs_dir(self) -> Path:
        return self.data_dir / "demo" / "outputs"


# -- reading the graph ---------------------------------------------------------------------


def demo_spec(document: dict[str, Any], registry: Registry, checked: CheckedGraph | None = None) -> DemoSpec:
    """The demo's inputs and outputs: the io nodes of ``document``, in graph order."""
    checked = checked or validate(document, registry)
    name = str(document.get("name") or checked.name or "Untitled graph")
    description = str(document.get("description") or "")
    inputs: list[DemoField] = []
    outputs: list[DemoField] = []
    for nid, node in checked.nodes.items():
        role = getattr(node.cls, "role", None)
        if role not in ("input", "output"):
            continue
        value_input = node.ports.by_name.get("value")
        value_type = getattr(getattr(value_input, "type", None), "name", "")
        label = str(node.params.get("label") or _default(node, "label") or nid)
        if role == "input":
            kind = INPUT_KINDS.get(node.cls.type_id) or _KIND_BY_TYPE.get(value_type, "text")
            if kind == "json":
                kind = "text"
            default = node.params.get("value", _default(node, "value"))
            inputs.append(DemoField(
                nid, kind, label, default,
                multiline=getattr(value_input, "widget", None) == "multiline",
                minimum=getattr(value_input, "min", None), maximum=getattr(value_input, "max", None),
            ))
        else:
            kind = OUTPUT_KINDS.get(node.cls.type_id) or _KIND_BY_TYPE.get(value_type, "json")
            if kind not in ("text", "image", "json", "audio"):
                kind = "json"
            outputs.append(DemoField(nid, kind, label))
    problems = tuple(f"{p.node_id + ': ' if p.node_id else ''}{p.message}" for p in checked.problems)
    return DemoSpec(name, description, tuple(inputs), tuple(outputs), problems)


def _default(node: Any, name: str) -> Any:
    spec = node.ports.by_name.get(name)
    return spec.default if spec is not None and spec.has_default else None


def default_file(value: Any) -> Path | None:
    """The existing file a file/audio/image input's saved value names, if any."""
    if not value or not isinstance(value, str):
        return None
    from nodes.api import NodeError
    from nodes.runtime.paths import resolve_path

    try:
        return resolve_path(value, what="file", must_be="file")
    except (NodeError, OSError):
        return None


# -- inputs ----------------------------------------------------------------------------------


def prepare_inputs(ctx: DemoContext, values: Sequence[Any]) -> dict[str, Any]:
    """The run's inputs from the form's values (one per input node): bounded, files stored
    under the data directory like the canvas's uploads. Raises DemoInputError."""
    fields = ctx.spec.inputs
    if len(values) != len(fields):
        raise DemoInputError(f"this demo takes {len(fields)} input(s), not {len(values)}")
    inputs: dict[str, Any] = {}
    for fld, value in zip(fields, values, strict=True):
        if fld.kind == "text":
            text = "" if value is None else value if isinstance(value, str) else str(value)
            if len(text) > MAX_TEXT_CHARS:
                raise DemoInputError(f"{fld.label!r} is {len(text):,} characters long; this demo takes at most "
                                     f"{MAX_TEXT_CHARS:,} characters")
            inputs[fld.node_id] = text
        elif fld.kind in ("integer", "number"):
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise DemoInputError(f"{fld.label!r} needs a number") from None
            if not math.isfinite(number):
                raise DemoInputError(f"{fld.label!r} must be a finite number")
            if fld.kind == "integer" and number.is_integer():
                inputs[fld.node_id] = int(number)
            else:  # a fraction for an integer input is refused by the node's own check, with its words
                inputs[fld.node_id] = value if isinstance(value, int | float) and not isinstance(value, bool) else number
        elif fld.kind == "boolean":
            inputs[fld.node_id] = bool(value)
        elif fld.kind in _FILE_KINDS:
            inputs[fld.node_id] = _store_file(ctx, fld, value)
        else:
            inputs[fld.node_id] = value
    return inputs


def _store_file(ctx: DemoContext, fld: DemoField, value: Any) -> str:
    path = _file_path(value)
    if path is None:
        raise DemoInputError(f"{fld.label!r} needs a file: upload one")
    if ctx.upload_root is not None and not path.resolve().is_relative_to(ctx.upload_root.resolve()):
        raise DemoInputError(f"{fld.label!r}: only files uploaded to this demo can be used")
    try:
        size = path.stat().st_size
    except OSError:
        raise DemoInputError(f"{fld.label!r}: the uploaded file is gone; upload it again") from None
    if size > ctx.max_upload_bytes:
        raise DemoInputError(f"{fld.label!r} is {size:,} bytes; this demo takes files of at most {ctx.max_upload_bytes:,} bytes")
    if size == 0:
        raise DemoInputError(f"{fld.label!r} is an empty file")
    sha = file_sha256(path)
    if ctx.default_digests.get(fld.node_id) == sha:  # the graph's own example file, unchanged
        return str(fld.default)
    from app.services.uploads import sniff

    with path.open("rb") as handle:
        head = handle.read(64)
    try:
        _mime, ext = sniff(head, path.name)
    except ValueError:
        raise DemoInputError(f"{path.name!r} is not a file type the studio reads (audio: wav, flac, ogg, mp3; images: png, "
                             "jpeg, gif, webp; documents: pdf, txt, md, html, json, csv)") from None
    ctx.uploads_dir.mkdir(parents=True, exist_ok=True)
    final = ctx.uploads_dir / f"{sha}{ext}"
    if not final.is_file():
        tmp = final.with_name(f".demo-{os.getpid()}-{sha}{ext}")
        shutil.copyfile(path, tmp)
        os.replace(tmp, final)
    return f"uploads/{final.name}"  # as the canvas's uploads answer: no server folder in the run's inputs


def _file_path(value: Any) -> Path | None:
    if value is None or value == "":
        return None
    if isinstance(value, dict):  # a FileData dict
        value = value.get("path")
    value = getattr(value, "path", None) or getattr(value, "name", None) or value
    return Path(str(value)) if value else None


# -- outputs ---------------------------------------------------------------------------------


def output_value(ctx: DemoContext, fld: DemoField, summary: Any) -> Any:
    """What the output component shows for a stored output summary."""
    if summary is None:
        return None
    ref = summary if isinstance(summary, dict) and "$artifact" in summary else None
    if fld.kind in ("image", "audio"):
        return str(_artifact_file(ctx, ref)) if ref else None
    if fld.kind == "text":
        if isinstance(summary, str):
            return summary
        if ref and str(ref.get("mime", "")).startswith("text/"):
            return _artifact_path(ctx, ref).read_text(encoding="utf-8", errors="replace")
        return json.dumps(summary, indent=2, ensure_ascii=False) if isinstance(summary, dict | list) else str(summary)
    value = summary
    if ref and str(ref.get("mime", "")).startswith("application/json"):
        value = json.loads(_artifact_path(ctx, ref).read_text(encoding="utf-8"))
    elif ref and str(ref.get("mime", "")).startswith("text/"):
        value = _artifact_path(ctx, ref).read_text(encoding="utf-8", errors="replace")
    # gr.JSON parses a str as JSON text: anything but an object or a list goes as JSON text
    return value if isinstance(value, dict | list) else json.dumps(value, ensure_ascii=False)


def _artifact_path(ctx: DemoContext, ref: dict[str, Any]) -> Path:
    return ctx.runs.artifacts.path_for(str(ref["$artifact"]))


def _artifact_file(ctx: DemoContext, ref: dict[str, Any]) -> Path:
    """The artifact under a name with its type's extension (gradio and browsers go by it):
    a hard link next to the store (a copy where links are not possible)."""
    source = _artifact_path(ctx, ref)
    mime = str(ref.get("mime") or "").split(";")[0].strip()
    ext = {"image/png": ".png", "audio/wav": ".wav", "image/jpeg": ".jpg"}.get(mime) or mimetypes.guess_extension(mime) or ""
    target = ctx.outputs_dir / f"{source.name}{ext}"
    if not target.is_file():
        ctx.outputs_dir.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.part")
        try:
            os.link(source, tmp)
        except OSError:
            shutil.copyfile(source, tmp)
        os.replace(tmp, target)
    return target


# -- running ---------------------------------------------------------------------------------


class DemoRunError(RuntimeError):
    """A demo run that did not succeed; the message names the failing node."""


async def run_demo(ctx: DemoContext, values: Sequence[Any], progress: Any = None) -> list[Any]:
    """Submit one run with the form's values, follow its events (into ``progress``), and
    return one value per output field. Raises DemoInputError or DemoRunError."""
    inputs = await asyncio.to_thread(prepare_inputs, ctx, values)
    try:
        run_id = await asyncio.to_thread(submit_run, ctx.runs, ctx.registry, ctx.document, inputs,
                                         graph_id=ctx.graph_id, graph_version_id=ctx.version_id)
    except InvalidGraph as exc:
        raise DemoRunError("this graph cannot run: " + "; ".join(p.message for p in exc.problems[:3])) from None
    except InvalidInputs as exc:
        raise DemoInputError("; ".join(p.message for p in exc.problems) or str(exc)) from None
    except TooManyQueued as exc:  # counted with the graph owner's own runs
        raise DemoInputError(f"{exc.waiting} runs of this demo's owner are waiting; try again when one "
                             "has finished") from None
    try:
        await _follow(ctx, run_id, progress)
    except asyncio.CancelledError:  # the page went away: the run is not needed any more
        ctx.runs.cancel(run_id)
        raise
    status, error, outputs = await asyncio.to_thread(_load_run, ctx, run_id)
    if status != RunStatus.SUCCEEDED:
        message = (error or {}).get("message") if isinstance(error, dict) else None
        raise DemoRunError(message or f"the run ended {status}")
    return await asyncio.to_thread(lambda: [output_value(ctx, f, (outputs or {}).get(f.node_id)) for f in ctx.spec.outputs])


async def _follow(ctx: DemoContext, run_id: str, progress: Any) -> None:
    live = ctx.runs.live(run_id)
    if live is None:
        return
    _report(progress, 0.0, "waiting in the run queue")
    watcher = live.watch(asyncio.get_running_loop())
    total, settled, current = max(1, len(live.checked.nodes)), 0, 0.0
    try:
        ended = False
        while not ended:
            batch, ended = await watcher.next()
            for event in batch:
                kind, data, node = event.get("type"), event.get("data") or {}, event.get("node_id")
                if kind == EventType.RUN_STARTED:
                    total = max(1, int(data.get("nodes") or total))
                    _report(progress, 0.0, "started")
                elif kind == EventType.NODE_STARTED:
                    current = 0.0
                    _report(progress, settled / total, f"{node}: running")
                elif kind == EventType.NODE_PROGRESS:
                    current = float(data.get("fraction") or 0.0)
                    message = data.get("message") or "running"
                    _report(progress, (settled + current) / total, f"{node}: {message}")
                elif kind in (EventType.NODE_FINISHED, EventType.NODE_CACHED, EventType.NODE_FAILED):
                    settled, current = settled + 1, 0.0
                    _report(progress, settled / total, f"{node}: {kind.removeprefix('node_')}")
    finally:
        live.unwatch(watcher)


def _report(progress: Any, fraction: float, desc: str) -> None:
    if progress is not None:
        with contextlib.suppress(Exception):  # progress is cosmetic: never fail a run over it
            progress(min(1.0, max(0.0, fraction)), desc=desc)


def _load_run(ctx: DemoContext, run_id: str) -> tuple[str, Any, Any]:
    with ctx.sessions() as session:
        run = repo.get_run(session, run_id=run_id)
        return run.status, run.error, run.outputs
