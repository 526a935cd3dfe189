"""What a run depended on, beyond its document and inputs: the versions of the libraries
that ran its nodes, and per node its version, models (with their sha256, device and dtype),
seeds and the hashes of its outputs. A replay compares these to say why an output changed."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from importlib import metadata
from typing import Any

from app.engine.hashing import output_hash
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


def node_provenance(record: NodeRecord, stored: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
    """The node's stored provenance: what it recorded, its version, its outputs' hashes.

    An output ``stored`` as the very value it is (a short text, a number: ``summarize``
    returns it unchanged) has its hash computed from the stored output when a replay asks
    (``stored_output_hash``), not here: on a run of many small nodes the hashing was a tenth of
    the server's work per node."""
    out = dict(record.provenance)
    if stored is None:
        hashes = record.output_hashes
    else:
        hashes = {port: output_hash(value) for port, value in record.outputs.items()
                  if not (port in stored and stored[port] is value and type(value) in SCALARS)}
    if hashes:
        out["output_hashes"] = hashes
    return out or None


SCALARS = (str, int, float, bool, type(None))
"""Outputs whose stored form reads back as the same value, so as the same hash."""


def with_all_hashes(provenance: Mapping[str, Any] | None, outputs: Any) -> dict[str, Any] | None:
    """A stored node provenance whose ``output_hashes`` name every output again: those of the
    outputs stored as themselves (see ``node_provenance``) computed from the stored ``outputs``."""
    derived = {port: output_hash(value) for port, value in outputs.items()
               if type(value) in SCALARS and port not in ((provenance or {}).get("output_hashes") or {})
               } if isinstance(outputs, Mapping) else {}
    if not derived:
        return dict(provenance) if provenance is not None else None
    out = dict(provenance or {})
    out["output_hashes"] = {**(out.get("output_hashes") or {}), **derived}
    return out
