"""File uploads for the canvas's file, audio and image inputs.

The body is the file itself (``fetch(url, {method: "POST", body: file})``), streamed to disk
under the data directory with its own size limit, and named by its sha256, so the same file
uploaded twice is stored once and no name a client sends can choose where it lands. The
type is decided by the content, not by the name. The answer's ``path`` is
``uploads/<sha256>.<ext>``, which every loader node resolves in the data directory's uploads
folder: it names no folder of the server (an absolute upload path, as older graphs saved
it, still loads)."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from fastapi import APIRouter, Query, Request

from app.api.body import ParsedBodyRoute
from app.api.deps import SettingsDep
from app.api.errors import ApiError
from app.api.schemas.uploads import UploadPublic
from app.services.uploads import sniff

router = APIRouter(prefix="/api/uploads", tags=["uploads"], route_class=ParsedBodyRoute)

@router.post("", response_model=UploadPublic, status_code=201)
async def create_upload(request: Request, settings: SettingsDep,
                        filename: str = Query("upload", max_length=255, description="the file's name, for its type and display")) -> UploadPublic:
    """Store an uploaded file (the request body) and return the path nodes can read."""
    folder = settings.uploads_dir
    folder.mkdir(parents=True, exist_ok=True)
    limit = settings.max_upload_bytes
    digest, size, head = hashlib.sha256(), 0, b""
    fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=".upload-")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise ApiError(413, "too_large", f"the upload is over the limit of {limit} bytes")
                if len(head) < 64:
                    head += chunk[: 64 - len(head)]
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise ApiError(422, "empty_upload", "the upload is empty: send the file as the request body")
        try:
            mime, ext = sniff(head, filename)
        except ValueError:
            raise ApiError(415, "unsupported_media_type",
                           f"{filename!r} is not a file type the studio reads (audio: wav, flac, ogg, mp3; images: png, "
                           "jpeg, gif, webp; documents: pdf, txt, md, html, json, csv; evaluation cases: jsonl)") from None
        sha = digest.hexdigest()
        final = folder / f"{sha}{ext}"
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)
    return UploadPublic(path=f"uploads/{final.name}", sha256=sha, size=size, mime=mime, filename=Path(filename).name)
