"""Document loading and splitting, on files the tests write (txt, md, html, pdf)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.engine.context import CancelToken, RunContext
from app.engine.events import Emitter
from nodes.api import NodeError
from nodes.encoders.document_loader import DocumentLoader, html_to_text
from nodes.encoders.text_splitter import TextSplitter, char_spans

EXAMPLE_DOCS = Path(__file__).resolve().parents[2] / "examples" / "assets" / "docs"


def ctx() -> RunContext:
    return RunContext("n", "r", Emitter("r", []), CancelToken())


def make_pdf(path: Path, pages: list[str]) -> None:
    """A minimal valid PDF with one line of text per page, written by hand."""
    objects = ["<< /Type /Catalog /Pages 2 0 R >>", ""]
    kids = []
    for text in pages:
        content = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
        page_no, content_no = len(objects) + 1, len(objects) + 2
        kids.append(f"{page_no} 0 R")
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {content_no} 0 R "
                       f"/Resources << /Font << /F1 {len(pages) * 2 + 3} 0 R >> >> >>")
        objects.append(f"<< /Length {len(content)} >>\nstream\n{content.decode()}\nendstream")
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(pages)} >>"
    objects.append("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out, offsets = b"%PDF-1.4\n", []
    for i, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n{obj}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    path.write_bytes(out)


def test_loads_every_supported_file_of_a_folder(tmp_path):
    (tmp_path / "a.txt").write_text("plain text")
    (tmp_path / "b.md").write_text("# Title\n\nmarkdown body")
    (tmp_path / "c.html").write_text("<html><head><style>x{}</style></head><body><p>web</p><script>no()</script><p>page</p></body></html>")
    make_pdf(tmp_path / "d.pdf", ["first page", "second page"])
    (tmp_path / "e.bin").write_bytes(b"\x00\x01")
    docs = DocumentLoader().run(ctx(), path=str(tmp_path), recursive=False)["documents"]
    by_source = {(d["metadata"]["source"], d["metadata"].get("page")): d for d in docs}
    assert by_source[("a.txt", None)]["text"] == "plain text"
    assert by_source[("b.md", None)]["metadata"]["type"] == "markdown"
    assert by_source[("c.html", None)]["text"] == "web\npage"
    assert by_source[("d.pdf", 1)]["text"] == "first page"
    assert by_source[("d.pdf", 2)]["text"] == "second page"
    assert len(docs) == 5


def test_relative_paths_also_look_in_examples():
    docs = DocumentLoader().run(ctx(), path="assets/docs", recursive=False)["documents"]
    assert {d["metadata"]["source"] for d in docs} == {p.name for p in EXAMPLE_DOCS.iterdir()}


def test_missing_path_and_empty_folder_are_clear_errors(tmp_path):
    with pytest.raises(NodeError, match="not found: 'nowhere'"):
        DocumentLoader().run(ctx(), path="nowhere", recursive=False)
    with pytest.raises(NodeError, match="no .* files in"):
        DocumentLoader().run(ctx(), path=str(tmp_path), recursive=False)
    bad = tmp_path / "broken.pdf"
    bad.write_bytes(b"%PDF-1.4 garbage")
    with pytest.raises(NodeError, match="broken.pdf"):
        DocumentLoader().run(ctx(), path=str(bad), recursive=False)


def test_html_to_text_drops_scripts_and_keeps_blocks():
    assert html_to_text("<h1>A</h1><div>b <i>c</i></div><script>x</script>") == "A\nb c"


def test_character_chunks_respect_size_overlap_and_word_boundaries():
    text = " ".join(f"word{i}" for i in range(200))
    spans = char_spans(text, 100, 20)
    for start, end in spans:
        assert end - start <= 100
        assert text[start:end].strip().split()[0].startswith("word")  # no word cut at the start
    assert spans[-1][1] == len(text)
    for (_, end_a), (start_b, _) in zip(spans, spans[1:], strict=False):
        assert start_b < end_a  # consecutive chunks overlap


def test_splitter_keeps_metadata_and_numbers_chunks():
    doc = {"text": "First paragraph here.\n\nSecond paragraph is here too.", "metadata": {"source": "x.md"}}
    chunks = TextSplitter().run(ctx(), documents=[doc], size=30, overlap=0, unit="characters", model="")["chunks"]
    assert [c["text"] for c in chunks] == ["First paragraph here.", "Second paragraph is here too."]
    assert [c["metadata"]["chunk"] for c in chunks] == [0, 1]
    assert all(c["metadata"]["source"] == "x.md" for c in chunks)


def test_splitter_by_tokens_counts_the_embedders_tokens():
    text = "tokenization " * 100
    chunks = TextSplitter().run(ctx(), documents=[{"text": text, "metadata": {}}], size=50, overlap=10,
                                unit="tokens", model="all-MiniLM-L6-v2")["chunks"]
    from nodes.encoders.text_splitter import load_tokenizer

    tok = load_tokenizer("all-MiniLM-L6-v2")
    assert all(len(tok.encode(c["text"], add_special_tokens=False).ids) <= 50 for c in chunks)
    assert len(chunks) >= 4


def test_overlap_not_smaller_than_size_is_refused():
    with pytest.raises(NodeError, match="overlap"):
        TextSplitter().run(ctx(), documents=[{"text": "x"}], size=10, overlap=10, unit="characters", model="")


def test_the_file_fence_refuses_paths_outside_its_roots_even_through_links(tmp_path, monkeypatch):
    import pytest

    from nodes.api import NodeError
    from nodes.runtime.paths import resolve_path

    inside, outside = tmp_path / "uploads", tmp_path / "private"
    inside.mkdir(), outside.mkdir()
    (inside / "ok.txt").write_text("fine")
    (outside / "secret.txt").write_text("no")
    (inside / "link.txt").symlink_to(outside / "secret.txt")
    (inside / "dir").symlink_to(outside)
    monkeypatch.setenv("GENAISYS_FILE_ROOTS", str(inside))
    assert resolve_path(str(inside / "ok.txt")) == (inside / "ok.txt").resolve()
    for escape in (outside / "secret.txt", inside / "link.txt", inside / "dir", inside / ".." / "private" / "secret.txt"):
        with pytest.raises(NodeError, match="outside the folders this server lets graphs read"):
            resolve_path(str(escape))
    monkeypatch.setenv("GENAISYS_FILE_ROOTS", "")  # unfenced: a local single-user server reads anything
    assert resolve_path(str(outside / "secret.txt")).read_text() == "no"
