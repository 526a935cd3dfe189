"""Demo uploads, bounded before Gradio sees them: ``UploadGuard`` wraps a demo's
``/gradio_api/upload`` route; it reads the body into a nameless temporary file, counting its
files (at most ``MAX_UPLOAD_FILES``), and hands it on only if ``UploadQuota`` — the demo
uploads folder's bytes and files, uploads under way included — has room. A refused upload
leaves nothing behind."""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
from pathlib import Path
from typing import Any

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.errors import refuse

MAX_UPLOAD_FILES = 16
"""Files one demo upload request may carry; a demo form has a few file inputs at most."""

_CHUNK = 1 << 20
Refusal = tuple[int, str, str]
"""(status, code, message) of a refused upload."""


class UploadQuota:
    """The demo uploads folder (Gradio's, shared by every demo) stays within ``max_bytes``
    and ``max_files``, counting the uploads under way. Nothing empties it on its own: once
    full, demo uploads are refused until the owner clears the folder or raises the limits."""

    def __init__(self, folder: Path, max_bytes: int, max_files: int) -> None:
        self.folder, self.max_bytes, self.max_files = folder, max_bytes, max_files
        self.pending_bytes = self.pending_files = 0
        self.lock = asyncio.Lock()

    def usage(self) -> tuple[int, int]:
        """(bytes, files) the folder holds now."""
        size = count = 0
        stack = [self.folder]
        while stack:
            with contextlib.suppress(OSError), os.scandir(stack.pop()) as entries:
                for entry in entries:
                    with contextlib.suppress(OSError):
                        if entry.is_dir(follow_symlinks=False):
                            stack.append(Path(entry.path))
                        else:
                            size, count = size + entry.stat(follow_symlinks=False).st_size, count + 1
        return size, count

    def refusal(self, used: tuple[int, int], nbytes: int, nfiles: int) -> Refusal | None:
        """Why ``nbytes`` more (in ``nfiles`` more files) do not fit; None if they do."""
        size, count = used[0] + self.pending_bytes, used[1] + self.pending_files
        if size + nbytes <= self.max_bytes and count + nfiles <= self.max_files:
            return None
        return 429, "uploads_full", (
            f"the demo uploads folder is full ({size:,} of {self.max_bytes:,} bytes, {count:,} of "
            f"{self.max_files:,} files); the studio's owner can clear it or raise "
            "GENAISYS_DEMO_UPLOADS_MAX_BYTES / GENAISYS_DEMO_UPLOADS_MAX_FILES")


class UploadGuard:
    """In front of Gradio's upload route, which takes up to 1,000 files a request and keeps
    them all: a request must say its length and fit in what is left of the ``UploadQuota``;
    it is read into a nameless spool file, its files counted as they come, before Gradio sees
    a byte. More than ``MAX_UPLOAD_FILES`` files or no room left, and it is refused (413/429)
    once the spool is gone: a refused upload leaves nothing behind."""

    def __init__(self, app: ASGIApp, path: str, quota: UploadQuota, spool_dir: Path) -> None:
        self.app, self.path, self.quota, self.spool_dir = app, path, quota, spool_dir

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or not scope["path"].startswith(self.path):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        kind, params = parse_options_header(headers.get(b"content-type", b""))
        length = headers.get(b"content-length", b"")
        quota, nbytes = self.quota, int(length) if length.isdigit() else -1
        if kind != b"multipart/form-data" or not params.get(b"boundary"):
            await refuse(scope, send, 400, "bad_request", "a demo upload is a multipart/form-data form of files")
        elif nbytes < 0:
            await refuse(scope, send, 411, "length_required", "a demo upload must say its length (Content-Length)")
        elif nbytes > quota.max_bytes:
            await refuse(scope, send, 413, "too_large", f"this upload is {nbytes:,} bytes; the demo uploads folder "
                         f"takes {quota.max_bytes:,} bytes in all")
        else:
            async with quota.lock:
                used = await asyncio.to_thread(quota.usage)
                refusal = quota.refusal(used, nbytes, 1)
                if refusal is None:
                    quota.pending_bytes += nbytes
            if refusal is not None:
                await refuse(scope, send, *refusal)
                return
            try:
                await self._pass(scope, receive, send, used, params[b"boundary"], nbytes)
            finally:
                quota.pending_bytes -= nbytes

    async def _pass(self, scope: Scope, receive: Receive, send: Send, used: tuple[int, int], boundary: bytes,
                    nbytes: int) -> None:
        """Spool and count the body; hand it on to Gradio if it may go in. The spool file has no
        name (the system frees it when it is closed, or if the server dies)."""
        self.spool_dir.mkdir(parents=True, exist_ok=True)
        nfiles, refusal = 0, None
        try:
            with tempfile.TemporaryFile(dir=self.spool_dir, prefix="upload-") as spool:
                counted = await _spool(receive, spool, boundary, nbytes)
                if counted is None:  # the client went away
                    return
                if isinstance(counted, tuple):
                    refusal = counted
                else:
                    refusal = self.quota.refusal(used, 0, counted)
                    if refusal is None:
                        nfiles = counted
                        self.quota.pending_files += nfiles
                        size = spool.tell()
                        spool.seek(0)
                        await self.app(scope, _replay(spool, size, receive), send)
            if refusal is not None:  # answered once the spool is gone
                await refuse(scope, send, *refusal)
        finally:
            self.quota.pending_files -= nfiles


async def _spool(receive: Receive, spool: Any, boundary: bytes, nbytes: int) -> int | Refusal | None:
    """Read the body into ``spool``: how many parts (files) it has, why it is refused, or None
    if the client disconnected. Stops at the first part past ``MAX_UPLOAD_FILES``."""
    parts = 0

    def begin() -> None:
        nonlocal parts
        parts += 1

    parser = MultipartParser(boundary, {"on_part_begin": begin})
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > nbytes:
            return 400, "bad_request", f"the upload is longer than the {nbytes:,} bytes it announced"
        try:
            parser.write(chunk)
        except MultipartParseError:
            return 400, "bad_request", "the upload is not a well-formed multipart form"
        if parts > MAX_UPLOAD_FILES:
            return 413, "too_many_files", (f"this upload has more than {MAX_UPLOAD_FILES} files; a demo takes at "
                                           f"most {MAX_UPLOAD_FILES} files in one upload")
        await asyncio.to_thread(spool.write, chunk)
        if not message.get("more_body", False):
            return parts


def _replay(spool: Any, size: int, receive: Receive) -> Receive:
    """A ``receive`` that hands on the ``size`` spooled bytes, then the client's own messages."""
    left, done = size, False

    async def replay() -> Message:
        nonlocal left, done
        if done:
            return await receive()
        chunk = await asyncio.to_thread(spool.read, min(_CHUNK, left))
        left -= len(chunk)
        done = left <= 0 or not chunk
        return {"type": "http.request", "body": chunk, "more_body": not done}

    return replay
