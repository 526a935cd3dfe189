"""Paths that users and example graphs give to nodes, and the one fence every such path goes through.

A path is taken as the user wrote it: environment variables are never expanded (``$HOME/x``
is a folder named ``$HOME``), and ``~`` names the user's home only on a local, unfenced
studio. A relative path is looked up from the working directory first, then from the
shipped ``examples/`` folder, so an example graph that names ``assets/docs`` runs from
anywhere; ``uploads/<sha256>.<ext>`` (what ``POST /api/uploads`` answers) is looked up in
the data directory's uploads folder first.

The file roots (``GENAISYS_FILE_ROOTS``, folders separated by ``os.pathsep``, or the
server's configuration: ``nodes.runtime.config``) fence what graphs may read: when there are
any — the server sets them in ``--auth`` mode to its uploads, models and examples folders —
a path that resolves (symbolic links and ``..`` followed) outside every root is refused, and
so is a file found inside an allowed folder that links outside. The refusal is the same
whether or not the path exists, so it is no oracle of the server's files, and no error names a server folder the user did not type."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from nodes.api import NodeError
from nodes.runtime.config import DEFAULT_DATA_DIR as DEFAULT_DATA_DIR
from nodes.runtime.config import current

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "examples"
UPLOADS = "uploads"
MAX_TREE_ENTRIES = 100_000
"""A folder whose files are checked one by one (a model, an adapter) may hold at most this many."""


def data_dir() -> Path:
    return current().data_dir


def uploads_dir() -> Path:
    return data_dir() / UPLOADS


def file_roots() -> list[Path]:
    """The folders graphs may read from; empty when unfenced (a local, single-user server)."""
    return [p.resolve() for p in current().file_roots]


def fenced() -> bool:
    return bool(file_roots())


def is_allowed(real: Path) -> bool:
    """Is the resolved path ``real`` inside a root (always, when unfenced)?"""
    roots = file_roots()
    return not roots or any(real == root or real.is_relative_to(root) for root in roots)


def outside(given: str, what: str = "file") -> NodeError:
    """The fence's refusal, naming the path as the user wrote it and the roots in words."""
    return NodeError(f"{what} {given!r} is outside the folders this server lets graphs read "
                     f"({_root_names()}); upload the file instead")


def _root_names() -> str:
    """The roots in words ("the uploads, models and examples folders"): their absolute
    paths are the server's layout, which a user of a shared server has no need to see."""
    named = {uploads_dir().resolve(): "uploads", (data_dir() / "models").resolve(): "models", EXAMPLES_DIR: "examples"}
    roots = file_roots()
    known = list(dict.fromkeys(named[root] for root in roots if root in named))
    phrase = f"the {', '.join(known[:-1])} and {known[-1]} folders" if len(known) > 1 else f"the {known[0]} folder" if known else ""
    if any(root not in named for root in roots):
        phrase = f"{phrase} and others the server's admin chose" if phrase else "the folders the server's admin chose"
    return phrase


def _real(path: Path) -> Path | None:
    """``path`` with links and ``..`` followed, whether or not it exists; None for a link loop."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return None


def candidates(given: str, what: str = "file") -> list[Path]:
    """Where ``given`` may be, in lookup order. ``~`` on a fenced server is refused."""
    raw = Path(given)
    if given.startswith("~"):
        if fenced():  # it would name the server's own home (or another account's)
            raise outside(given, what)
        with contextlib.suppress(RuntimeError):  # "~nobody": no such account; taken as written
            raw = raw.expanduser()
    if raw.is_absolute():
        return [raw]
    found = [Path.cwd() / raw, EXAMPLES_DIR / raw]
    if raw.parts and raw.parts[0] == UPLOADS:
        found.insert(0, uploads_dir().joinpath(*raw.parts[1:]))
    return found


def find_path(value: str, *, what: str = "file") -> Path | None:
    """The resolved, allowed path ``value`` names, or None if none exists inside the fence.

    Raises the fence's refusal when every place it may be is outside the fence, existing or
    not: what lies outside is never looked at."""
    given = str(value or "").strip()
    if not given:
        return None
    inside = False
    for path in candidates(given, what):
        real = _real(path)
        if real is None or not is_allowed(real):
            continue
        inside = True
        if real.exists():
            return real
    if not inside:
        raise outside(given, what)
    return None


def resolve_path(value: str, *, what: str = "file", must_be: str | None = None) -> Path:
    """The existing, allowed path ``value`` names (resolved); NodeError in the user's words otherwise."""
    given = str(value or "").strip()
    if not given:
        raise NodeError(f"no {what} given: choose one or type its path")
    real = find_path(given, what=what)
    if real is None:
        if Path(given).is_absolute():
            raise NodeError(f"{what} not found: {given!r}")
        where = "the uploads folder, the working directory" if Path(given).parts[0] == UPLOADS else "the working directory"
        raise NodeError(f"{what} not found: {given!r} (a relative path is looked up in {where} and the examples folder)")
    if must_be == "file" and not real.is_file():
        raise NodeError(f"{given!r} is a folder, not a {what}")
    if must_be == "dir" and not real.is_dir():
        raise NodeError(f"{given!r} is a file, not a folder")
    return real


def check_allowed(path: Path, what: str = "file", given: str | None = None) -> Path:
    """``path`` resolved; the fence's refusal (in the words ``given``) if it lies outside."""
    real = _real(path)
    if real is None or not is_allowed(real):
        raise outside(given if given is not None else str(path), what)
    return real


def check_tree(folder: Path, given: str, what: str = "folder") -> None:
    """Refuse ``folder`` if anything inside it, links followed, lies outside the fence: a
    model or adapter folder is opened file by file by libraries that follow every link."""
    if not fenced() or not folder.is_dir():
        return
    seen: set[Path] = set()
    stack: list[tuple[Path, str]] = [(folder, given.rstrip("/"))]
    count = 0
    while stack:
        current, shown = stack.pop()
        real = check_allowed(current, what, shown)
        if real in seen:
            continue
        seen.add(real)
        try:
            entries = sorted(os.scandir(real), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            count += 1
            if count > MAX_TREE_ENTRIES:
                raise NodeError(f"{what} {given!r} holds more than {MAX_TREE_ENTRIES:,} files: give a smaller folder")
            path, name = Path(entry.path), f"{shown}/{entry.name}"
            entry_real = check_allowed(path, what, name)
            if entry_real.is_dir():
                stack.append((path, name))


def portable(real: Path, given: str) -> str:
    """How a node passes an opened path on: ``uploads/<name>`` for an upload (whatever the
    server's layout), else the path as the user wrote it, which every node resolves alike."""
    uploads = uploads_dir().resolve()
    if real.is_relative_to(uploads) and real != uploads:
        return f"{UPLOADS}/{real.relative_to(uploads).as_posix()}"
    return given.strip()
