"""A stand-in embedder for the store tests: one Document and one 4-dimensional vector per
line of text, derived from the line's hash. Chroma needs real vectors; loading MiniLM for
each server of the fence tests would cost seconds that prove nothing about ownership."""

import hashlib
from typing import Any

from nodes.api import Context, Input, Node, Output


class TinyVectors(Node):
    """Each line becomes a document and a unit-length 4-d vector (the same line, the same vector)."""

    type_id = "test.tiny_vectors"
    inputs = (Input("text", "Text", default="a line"),)
    outputs = (Output("documents", "List[Document]"), Output("embeddings", "Embedding[4]"))

    def run(self, ctx: Context, text: str) -> dict[str, Any]:
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        vectors = []
        for line in lines:
            raw = [b / 255 + 0.01 for b in hashlib.sha256(line.encode()).digest()[:4]]
            norm = sum(x * x for x in raw) ** 0.5
            vectors.append([x / norm for x in raw])
        documents = [{"text": line, "metadata": {"source": "typed", "chunk": i}} for i, line in enumerate(lines)]
        return {"documents": documents, "embeddings": vectors}
