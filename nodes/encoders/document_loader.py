"""Reads txt, md, html and pdf files — one, or every supported file of a folder — into
Documents: ``{"text": ..., "metadata": {"source": file name, "type": ..., "page": n}}``."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from nodes.api import Context, Input, Node, NodeError, Output
from nodes.runtime.paths import check_allowed, resolve_path

SUFFIXES = {".txt": "text", ".md": "markdown", ".markdown": "markdown", ".html": "html", ".htm": "html", ".pdf": "pdf"}


class DocumentLoader(Node):
    """Loads documents from a file or a folder (txt, md, html, pdf)."""

    type_id = "encoders.document_loader"
    title = "Document loader"
    inputs = (
        Input("path", "Text", default="", help="A file or a folder; a relative path is also looked up in examples/"),
        Input("recursive", "Boolean", default=False, help="Include sub-folders"),
    )
    outputs = (Output("documents", "List[Document]"),)

    def run(self, ctx: Context, path: str, recursive: bool) -> dict[str, Any]:
        root = resolve_path(path, what="file or folder")
        given = path.strip().rstrip("/")
        if root.is_file():
            files = [(root, root)]
        else:  # each file found is checked too, after its links: one may point outside the fence
            pattern = "**/*" if recursive else "*"
            found = sorted(p for p in root.glob(pattern) if p.is_file() and p.suffix.lower() in SUFFIXES)
            files = [(p, check_allowed(p, "file", f"{given}/{p.relative_to(root).as_posix()}")) for p in found]
            if not files:
                raise NodeError(f"no {', '.join(sorted(SUFFIXES))} files in {given!r}")
        documents: list[dict[str, Any]] = []
        for i, (file, real) in enumerate(files):
            ctx.progress(i / len(files), f"reading {file.name}")
            documents.extend(load_file(file, base=root if root.is_dir() else root.parent, real=real))
        return {"documents": documents}


def load_file(path: Path, base: Path, real: Path | None = None) -> list[dict[str, Any]]:
    """``path``'s documents, named by its place under ``base``; read from ``real`` (the file
    the fence checked, its links already followed) when given."""
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise NodeError(f"{path.name}: unsupported file type {path.suffix!r}; supported: {', '.join(sorted(SUFFIXES))}")
    source = str(path.relative_to(base)) if path.is_relative_to(base) else path.name
    real = real or path
    if kind == "pdf":
        return _pdf(real, source)
    try:
        text = real.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise NodeError(f"cannot read {source}: {exc.strerror}") from None
    if kind == "html":
        text = html_to_text(text)
    return [{"text": text.strip(), "metadata": {"source": source, "type": kind}}]


def _pdf(path: Path, source: str) -> list[dict[str, Any]]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(path)
        pages = [(page.extract_text() or "").strip() for page in reader.pages]
    except (PdfReadError, OSError, ValueError) as exc:
        raise NodeError(f"cannot read the PDF {source}: {exc}") from None
    return [{"text": text, "metadata": {"source": source, "type": "pdf", "page": n}}
            for n, text in enumerate(pages, start=1) if text]


class _TextOnly(HTMLParser):
    SKIP = {"script", "style", "head", "noscript", "template"}
    BLOCK = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section", "article", "pre"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in self.SKIP:
            self._skipping += 1
        elif tag in self.BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and self._skipping:
            self._skipping -= 1
        elif tag in self.BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _TextOnly()
    parser.feed(html)
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)
