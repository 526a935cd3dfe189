"""An uploaded file: the path nodes read it by, and what it is."""

from __future__ import annotations

from pydantic import BaseModel


class UploadPublic(BaseModel):
    path: str
    sha256: str
    size: int
    mime: str
    filename: str
