"""The node result cache: bounded in entries and bytes, least recently used out first.

A node's key hashes its type, version, params and the keys of its inputs, so a key
stands for the whole upstream computation: an unchanged node hits, and anything downstream
of a change misses because its input keys changed. Next to the results the cache keeps,
per graph and node id, the signature of the node's last run, which is how the run record
can say *why* a node ran ("params changed", "input changed", "new node").
"""

from __future__ import annotations

import hashlib
import json
import sys
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

Origin = dict[str, Any]
"""What made a cached result: ``run_id`` and the node's ``provenance`` then."""


@dataclass(frozen=True, slots=True)
class Signature:
    type_id: str
    version: int
    params_hash: str
    input_keys: tuple[str, ...]
    content: str | None = None
    """What the outputs depend on beyond params and inputs (a model's weights' sha256), or None."""
    cleared: bool = field(default=False, compare=False)
    """Remembered before the cache was last cleared (read back from disk)."""
    restored: bool = field(default=False, compare=False)
    """Read back from disk: remembered by an earlier process."""

    def key(self) -> str:
        text = f"{self.type_id}|{self.version}|{self.params_hash}|{','.join(self.input_keys)}"
        if self.content is not None:
            text += f"|{self.content}"
        return hashlib.sha256(text.encode()).hexdigest()

    def why_changed(self, before: Signature | None) -> str:
        if before is None:
            return "new node"
        if before.type_id != self.type_id:
            return "node type changed"
        if before.version != self.version:
            return "node version changed"
        if before.params_hash != self.params_hash:
            return "params changed"
        if before.input_keys != self.input_keys:
            return "input changed"
        if before.content != self.content:
            return "model changed"
        return "cache cleared" if before.cleared else "evicted"


def params_hash(params: dict[str, Any]) -> str:
    if not params:
        return "-"
    text = json.dumps(params, sort_keys=True, default=repr, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


class ResultCache:
    def __init__(self, max_entries: int = 1024, max_bytes: int = 1 << 30) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._items: OrderedDict[str, tuple[dict[str, Any], int, Origin]] = OrderedDict()
        self._bytes = 0
        self._signatures: dict[tuple[str, str], Signature] = {}
        self.hits = 0
        self.misses = 0
        self._lock = threading.Lock()  # runs of several tabs share one cache

    def __len__(self) -> int:
        return len(self._items)

    @property
    def nbytes(self) -> int:
        return self._bytes

    def get(self, key: str) -> dict[str, Any] | None:
        entry = self.entry(key)
        return None if entry is None else entry[0]

    def entry(self, key: str) -> tuple[dict[str, Any], Origin] | None:
        """The outputs under ``key`` and what made them (``put``'s ``origin``), or None."""
        with self._lock:
            item = self._items.get(key)
            if item is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return item[0], item[2]

    def put(self, key: str, outputs: dict[str, Any], origin: Origin | None = None, durable: bool = True) -> None:
        """Keep ``outputs`` under ``key``; ``origin`` says what made them (the run, the node's
        provenance), so a node served from the cache can tell it too. ``durable``: worth
        keeping past the process (a persistent cache's business; this one keeps nothing)."""
        size = estimate_size(outputs)
        if size > self.max_bytes:
            return  # larger than the whole budget: never cached
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._items[key] = (outputs, size, origin or {})
            self._bytes += size
            while len(self._items) > self.max_entries or self._bytes > self.max_bytes:
                _, (_, dropped, _) = self._items.popitem(last=False)
                self._bytes -= dropped

    def last_signature(self, scope: str, node_id: str) -> Signature | None:
        return self._signatures.get((scope, node_id))

    def remember(self, scope: str, node_id: str, signature: Signature) -> None:
        self._signatures[(scope, node_id)] = signature

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0
            self._signatures.clear()


_SMALL = frozenset({int, float, bool, type(None)})


def estimate_size(value: Any, _depth: int = 0) -> int:
    """Bytes a value holds, cheaply: exact for arrays and tensors, close for the rest."""
    kind = type(value)
    if kind in _SMALL:
        return 32
    if kind is str:
        return len(value) + 49
    nbytes = getattr(value, "nbytes", None)
    if isinstance(nbytes, int):
        return nbytes
    if hasattr(value, "element_size") and hasattr(value, "nelement"):  # torch tensors
        return int(value.element_size() * value.nelement())
    if isinstance(value, str | bytes | bytearray):
        return len(value) + 49
    if _depth > 6:
        return 64
    if isinstance(value, dict):
        return 64 + sum(estimate_size(k, _depth + 1) + estimate_size(v, _depth + 1) for k, v in value.items())
    if isinstance(value, list | tuple | set | frozenset):
        return 56 + sum(estimate_size(v, _depth + 1) for v in value)
    if hasattr(value, "size") and hasattr(value, "mode"):  # PIL images
        w, h = value.size
        return w * h * max(1, len(value.mode))
    return sys.getsizeof(value)
