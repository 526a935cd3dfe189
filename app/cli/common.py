"""What every command shares: its exit codes and the one error it reports in a line."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_INVALID, EXIT_UNREADABLE = 0, 1, 2


class CliError(Exception):
    """Reported as ``genaisys: <message>`` on stderr, exiting with ``code``; never a traceback."""

    def __init__(self, message: str, code: int = EXIT_UNREADABLE) -> None:
        super().__init__(message)
        self.code = code


def read_document(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CliError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"{path}: cannot read it ({exc.__class__.__name__}: {exc})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CliError(f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None


def report_invalid(where: str, problems: list[Any], as_json: bool) -> int:
    """A graph that did not pass validation, said once for every command: its problems as
    JSON on stdout, or a line each on stderr; the exit code is EXIT_INVALID."""
    found = [p if isinstance(p, dict) else p.to_json() for p in problems]  # a studio's refusal: JSON already
    if as_json:
        print(json.dumps({"status": "invalid", "problems": found}, indent=2))
    else:
        print(f"{where}: {len(found)} problem(s), nothing ran", file=sys.stderr)
        for p in found:
            print(f"  [{p.get('code')}] {p.get('message')}", file=sys.stderr)
    return EXIT_INVALID


def add_backend_arguments(parser: Any) -> None:
    """``--backend`` and ``--ray-address``, for the commands that run nodes (serve, run)."""
    parser.add_argument("--backend", choices=("thread", "ray"), default=None,
                        help="where node work runs (default: GENAISYS_BACKEND, else thread); "
                             "ray puts model nodes in Ray actors (docs/ray.md)")
    parser.add_argument("--ray-address", default=None, metavar="ADDR",
                        help="the Ray cluster to join with --backend ray (default: start a local one)")


def backend_overrides(args: Any) -> dict[str, Any]:
    """The settings the backend arguments override (those given)."""
    return {"backend": getattr(args, "backend", None), "ray_address": getattr(args, "ray_address", None)}


def media_file(folder: Path, node_id: str, suffix: str) -> Path:
    """Where ``--out FOLDER`` writes a node's image or audio output (the folder made if needed)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CliError(f"--out {folder}: cannot make the folder: {exc.strerror or exc}") from None
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in node_id).strip(".") or "output"
    return folder / f"{safe}.{suffix}"


def print_run(nodes: Iterable[tuple[str, str, Mapping[str, Any] | None]], outputs: Mapping[str, Any], summary: str) -> None:
    """A finished run in the terminal, wherever it ran: each node that failed of itself
    (``nodes``: id, status, error), each output (a written file by its path), then ``summary``."""
    from app.engine.vocabulary import FailureCode, NodeStatus

    for nid, status, error in nodes:
        if status == NodeStatus.FAILED and error and error.get("code") != FailureCode.UPSTREAM_FAILED:
            print(f"node {nid!r} failed: {error.get('message')}", file=sys.stderr)
    for nid, value in outputs.items():
        if isinstance(value, dict) and set(value) == {"file"}:
            value = value["file"]
        text = value if isinstance(value, str) else json.dumps(value, indent=2, default=_describe)
        print(f"── {nid} ──\n{text}")
    print(summary, file=sys.stderr)


def _describe(value: Any) -> str:
    """What an output that is not JSON is, in words (an image, a sound): no Python repr."""
    from app.services.outputs import _is_audio, _is_image

    if _is_image(value):
        return f"<image {value.size[0]}x{value.size[1]}: write it with --out DIR>"
    if _is_audio(value):
        return f"<audio {len(value['samples']) / max(1, int(value['sample_rate'])):.1f} s: write it with --out DIR>"
    return f"<{type(value).__name__}>"
