"""Content-addressed files for large node outputs (images, audio, arrays, files).

A file is named by the sha256 of its bytes, under ``root/ab/cd/<sha256>`` so that no
folder grows huge. It is written to a temporary file in its final folder, flushed to
disk and renamed into place, so a reader (or a crash) never sees half a file; callers
store it *before* committing any database row that names it, so every row points at a
complete file. Identical outputs are stored once. Ids are checked to be 64 hex digits
before they touch the file system, so a crafted id cannot name a path outside the root.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from storage.errors import InvalidArtifactId, NotFound

DEFAULT_MIME = "application/octet-stream"
_SHA256 = re.compile(r"[0-9a-f]{64}")
_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class ArtifactRef:
    """Where an artifact lives and what it is; ``reference()`` is what rows store."""

    sha256: str
    mime: str
    size: int
    path: Path

    def reference(self) -> dict[str, Any]:
        """The JSON value a node result keeps in place of the large output."""
        return {"artifact": self.sha256, "mime": self.mime, "size": self.size}


def check_sha256(sha256: str) -> str:
    """Return ``sha256`` lower-cased if it is a sha256 hex digest; raise otherwise."""
    if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256.lower()):
        raise InvalidArtifactId(sha256)
    return sha256.lower()


class ArtifactStore:
    """The folder of artifact files. Thread- and process-safe: writes are atomic renames."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def path_for(self, sha256: str) -> Path:
        """The file for ``sha256`` (which may not exist yet); refuses anything but a digest."""
        digest = check_sha256(sha256)
        return self.root / digest[:2] / digest[2:4] / digest

    def exists(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    def open(self, sha256: str) -> BinaryIO:
        """Open the artifact for reading; ``NotFound`` if it was never stored."""
        path = self.path_for(sha256)
        try:
            return path.open("rb")
        except FileNotFoundError:
            raise NotFound("artifact", sha256) from None

    def put_bytes(self, data: bytes, mime: str = DEFAULT_MIME) -> ArtifactRef:
        """Store ``data`` (once, however often it is put) and return its reference."""
        sha256 = hashlib.sha256(data).hexdigest()
        path = self.path_for(sha256)
        if not path.is_file():
            self._write_atomically(path, [data])
        return ArtifactRef(sha256=sha256, mime=mime, size=len(data), path=path)

    def put_file(self, source: Path | str, mime: str = DEFAULT_MIME) -> ArtifactRef:
        """Store a copy of the file at ``source``; it is read in chunks, never whole.

        The digest is computed first, so a file already stored is not copied again.
        """
        source = Path(source)
        with source.open("rb") as handle:
            sha256 = hashlib.file_digest(handle, "sha256").hexdigest()
            size = handle.tell()
        path = self.path_for(sha256)
        if not path.is_file():
            with source.open("rb") as handle:
                self._write_atomically(path, iter(lambda: handle.read(_CHUNK), b""))
        return ArtifactRef(sha256=sha256, mime=mime, size=size, path=path)

    def _write_atomically(self, path: Path, chunks: Iterable[bytes]) -> None:
        """Write ``chunks`` to ``path`` via a synced temp file, checking they hash to its name.

        The check catches a source file that changed between hashing and copying.
        """
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".part")
        try:
            digest = hashlib.sha256()
            with os.fdopen(fd, "wb") as handle:
                for chunk in chunks:
                    digest.update(chunk)
                    handle.write(chunk)
                handle.flush()
                os.fsync(handle.fileno())
            if digest.hexdigest() != path.name:
                raise RuntimeError(f"content changed while being stored as {path.name}; retry")
            os.chmod(tmp_name, 0o644)
            os.replace(tmp_name, path)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (POSIX); a no-op where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
