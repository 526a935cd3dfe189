"""What an uploaded file is, decided by its content (never by its name alone): the canvas's
uploads and a demo's files go through the same check."""

from __future__ import annotations

from pathlib import Path

# magic bytes -> (mime, extension); text files are recognised by decoding as UTF-8
_MAGIC: tuple[tuple[bytes, int, str, str], ...] = (
    (b"RIFF", 0, "audio/wav", ".wav"),  # checked further below: WAVE at 8
    (b"fLaC", 0, "audio/flac", ".flac"),
    (b"OggS", 0, "audio/ogg", ".ogg"),
    (b"ID3", 0, "audio/mpeg", ".mp3"),
    (b"\xff\xfb", 0, "audio/mpeg", ".mp3"),
    (b"\xff\xf3", 0, "audio/mpeg", ".mp3"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png", ".png"),
    (b"\xff\xd8\xff", 0, "image/jpeg", ".jpg"),
    (b"GIF8", 0, "image/gif", ".gif"),
    (b"%PDF-", 0, "application/pdf", ".pdf"),
)
_TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".html", ".htm", ".json", ".jsonl", ".csv"}



def sniff(head: bytes, filename: str) -> tuple[str, str]:
    """(mime, extension) from the first bytes; ValueError if it is no type we take."""
    for magic, offset, mime, ext in _MAGIC:
        if head[offset:offset + len(magic)] == magic:
            if magic == b"RIFF":
                if head[8:12] == b"WAVE":
                    return mime, ext
                if head[8:12] == b"WEBP":
                    return "image/webp", ".webp"
                continue
            return mime, ext
    suffix = Path(filename).suffix.lower()
    if suffix in _TEXT_SUFFIXES and b"\x00" not in head:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            if exc.start < len(head) - 4:  # a cut multi-byte character at the end is fine
                raise ValueError("not UTF-8 text") from None
        mime = {".html": "text/html", ".htm": "text/html", ".json": "application/json", ".md": "text/markdown", ".jsonl": "application/x-ndjson",
                ".markdown": "text/markdown", ".csv": "text/csv"}.get(suffix, "text/plain")
        return mime, suffix
    raise ValueError("unsupported file type")
