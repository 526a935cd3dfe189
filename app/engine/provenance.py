"""What a run depended on, beyond its document and inputs: the versions of the libraries
that ran its nodes, and per node its version, models (with their sha256, device and dtype),
seeds and the hashes of its outputs. A replay compares these to say why an output changed."""

from __future__ import annotations

from functools import lru_cache
from importlib import metadata
from typing import Any

from app.engine.records import NodeRecord

LIBRARIES = ("torch", "transformers", "diffusers", "peft", "faster-whisper", "ctranslate2", "chromadb",
             "tokenizers", "safetensors", "gguf", "numpy", "pillow")
"""The distributions whose version can change what a node computes."""


@lru_cache(maxsize=1)
def library_versions() -> dict[str, str | None]:
    """Each library's installed version (None: not installed), read from its metadata, so
    nothing is imported; asked once per process (a library cannot change under it)."""
    found: dict[str, str | None] = {}
    for name in LIBRARIES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def node_provenance(record: NodeRecord) -> dict[str, Any] | None:
    """The node's stored provenance: what it recorded, its version, its outputs' hashes."""
    out = dict(record.provenance)
    if record.output_hashes:
        out["output_hashes"] = record.output_hashes
    return out or None
