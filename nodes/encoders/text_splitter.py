"""Splits documents into overlapping chunks, by characters or by the embedder's tokens.

By characters, a chunk ends at the last paragraph break, line break, sentence end or space
inside its window (as LangChain's recursive splitter does), so words are not cut. By tokens,
windows are counted in the embedding model's own tokens (MiniLM reads at most 256), then
mapped back to the original text. Each chunk keeps its document's metadata plus ``chunk``
(its number) and ``start`` (its first character)."""

from __future__ import annotations

from typing import Any

from nodes.api import Context, Input, Node, NodeError, Output

_BREAKS = ("\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " ")


class TextSplitter(Node):
    """Cuts documents into overlapping chunks for embedding."""

    type_id = "encoders.text_splitter"
    title = "Text splitter"
    version = 2
    """v1 took LangChain's names: chunk_size, chunk_overlap and by ("chars" / "tokens")."""
    inputs = (  # not inline: a corpus (and a tokenizer) is real work, and its chunks are kept on disk
        Input("documents", "List[Document]"),
        Input("size", "Integer", default=500, min=1, max=100_000, help="Chunk length, in the unit below"),
        Input("overlap", "Integer", default=50, min=0, max=100_000, help="How much consecutive chunks share"),
        Input("unit", "Text", default="characters", choices=("characters", "tokens")),
        Input("model", "Text", default="all-MiniLM-L6-v2", connectable=False, help="Whose tokens to count (unit = tokens)"),
    )
    outputs = (Output("chunks", "List[Document]"),)

    @classmethod
    def upgrade(cls, params: dict[str, Any], from_version: int) -> dict[str, Any]:
        if from_version == 1:
            params = dict(params)
            for old, new in (("chunk_size", "size"), ("chunk_overlap", "overlap")):
                if old in params:
                    params[new] = params.pop(old)
            if "by" in params:
                params["unit"] = {"chars": "characters", "tokens": "tokens"}.get(str(params.pop("by")), "characters")
        return params

    def run(self, ctx: Context, documents: list[dict[str, Any]], size: int, overlap: int, unit: str, model: str) -> dict[str, Any]:
        if overlap >= size:
            raise NodeError(f"overlap ({overlap}) must be smaller than size ({size})")
        spans = token_spans if unit == "tokens" else char_spans
        tokenizer = load_tokenizer(model) if unit == "tokens" else None
        chunks: list[dict[str, Any]] = []
        texts = [doc.get("text", "") if isinstance(doc, dict) else str(doc) for doc in documents]
        # Overlap repeats text: size 100,000 with overlap 99,999 makes each character about
        # 100,000 copies. The chunks may hold what the text-output bound allows, or 4x the input.
        limit = ctx.max_text_output_bytes
        allowed = None if limit is None else max(limit, 4 * sum(len(t) for t in texts if isinstance(t, str)))
        held = 0
        for doc, text in zip(documents, texts, strict=True):
            meta = doc.get("metadata", {}) if isinstance(doc, dict) else {}
            for n, (start, end) in enumerate(spans(text, size, overlap, tokenizer)):
                piece = text[start:end].strip()
                if piece:
                    held += len(piece)
                    if allowed is not None and held > allowed:
                        raise NodeError(f"the chunks would hold more than {allowed:,} characters (size {size} with "
                                        f"overlap {overlap} repeats the text {size / (size - overlap):,.0f} times): "
                                        "lower the overlap or raise the size")
                    chunks.append({"text": piece, "metadata": {**meta, "chunk": n, "start": start}})
        return {"chunks": chunks}


def char_spans(text: str, size: int, overlap: int, _tokenizer: Any = None) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    start = 0
    while start < len(text):
        end = min(start + size, len(text))
        if end < len(text):
            window = text[start:end]
            for sep in _BREAKS:
                cut = window.rfind(sep)
                if cut > size // 2:
                    end = start + cut + len(sep)
                    break
        spans.append((start, end))
        if end >= len(text):
            break
        nxt = max(end - overlap, start + 1)
        space = text.find(" ", nxt, end)  # begin the overlap on a word boundary
        start = space + 1 if overlap and space != -1 else nxt
    return spans


def token_spans(text: str, size: int, overlap: int, tokenizer: Any) -> list[tuple[int, int]]:
    """Windows of at most ``size`` tokens that begin and end on word boundaries, so a
    chunk re-tokenised on its own gives the same tokens."""
    encoding = tokenizer.encode(text, add_special_tokens=False)
    offsets, words = encoding.offsets, encoding.word_ids
    n = len(offsets)
    starts = [i for i in range(n) if i == 0 or words[i] != words[i - 1]] + [n]
    spans: list[tuple[int, int]] = []
    first = 0
    while first < n:
        limit = first + size
        end = max((s for s in starts if first < s <= limit), default=min(limit, n))
        spans.append((offsets[first][0], offsets[end - 1][1]))
        if end >= n:
            break
        first = min((s for s in starts if s >= max(end - overlap, first + 1)), default=end)
    return spans


def load_tokenizer(model: str) -> Any:
    from tokenizers import Tokenizer

    from nodes.runtime.sources import resolve_model

    source = resolve_model(model, "text-embedder")
    if source.path is None or not (source.path / "tokenizer.json").is_file():
        raise NodeError(f"model {model!r} has no tokenizer.json to count tokens with")
    tokenizer = Tokenizer.from_file(str(source.path / "tokenizer.json"))
    tokenizer.no_truncation()  # the file may carry the model's own limits: count every token
    tokenizer.no_padding()
    return tokenizer
