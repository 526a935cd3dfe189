"""Shared test data for the storage tests (a unique module name: tests/ has several conftests)."""

from __future__ import annotations

from typing import Any

DOCUMENT: dict[str, Any] = {
    "schema": "genaisys.graph/1",
    "name": "RAG over my notes",
    "description": "",
    "nodes": [{"id": "q", "type": "io.text_input", "params": {}, "position": {"x": 0, "y": 0}}],
    "edges": [],
}


def document(label: str) -> dict[str, Any]:
    """A distinct graph document, so tests can tell versions apart."""
    doc = dict(DOCUMENT)
    doc["nodes"] = [{**DOCUMENT["nodes"][0], "params": {"label": label}}]
    return doc
