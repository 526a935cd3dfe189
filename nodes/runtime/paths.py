"""Paths that users and example graphs give to loader nodes.

A relative path is looked up from the working directory first, then from the shipped
``examples/`` folder, so an example graph that names ``assets/docs`` runs from anywhere.

``GENAISYS_FILE_ROOTS`` (folders separated by ``os.pathsep``) fences what graphs may read:
when it is set — the server sets it in ``--auth`` mode to its uploads folder and the shipped
examples — a path that resolves (symbolic links followed) outside every root is refused, so
a user of a shared server cannot read its other files through a loader node."""

from __future__ import annotations

import os
from pathlib import Path

from nodes.api import NodeError

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "examples"


def resolve_path(value: str, *, what: str = "file", must_be: str | None = None) -> Path:
    """The existing path ``value`` names; NodeError saying where it looked otherwise."""
    if not value or not str(value).strip():
        raise NodeError(f"no {what} given: choose one or type its path")
    raw = Path(os.path.expandvars(str(value).strip())).expanduser()
    candidates = [raw] if raw.is_absolute() else [Path.cwd() / raw, EXAMPLES_DIR / raw]
    for path in candidates:
        if path.exists():
            check_allowed(path, what)
            if must_be == "file" and not path.is_file():
                raise NodeError(f"{path} is a folder, not a {what}")
            if must_be == "dir" and not path.is_dir():
                raise NodeError(f"{path} is a file, not a folder")
            return path.resolve()
    looked = " or ".join(str(c) for c in candidates)
    raise NodeError(f"{what} not found: {value!r} (looked at {looked})")


def data_dir() -> Path:
    return Path(os.environ.get("GENAISYS_DATA_DIR", Path.home() / ".genaisys"))


def file_roots() -> list[Path]:
    """The folders graphs may read from; empty when unfenced (a local, single-user server)."""
    raw = os.environ.get("GENAISYS_FILE_ROOTS", "")
    return [Path(p).resolve() for p in raw.split(os.pathsep) if p.strip()]


def check_allowed(path: Path, what: str = "file") -> None:
    """NodeError if ``path`` lies outside the configured file roots."""
    roots = file_roots()
    if not roots:
        return
    real = path.resolve()
    if not any(real == root or real.is_relative_to(root) for root in roots):
        raise NodeError(f"{what} {str(path)!r} is outside the folders this server lets graphs read "
                        f"({', '.join(str(r) for r in roots)}); upload the file instead")
