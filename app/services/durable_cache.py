"""The result cache that outlives the process: the executor's memory cache in front of the
database (``storage.result_cache``), shared by the server and ``genaisys run``.

What goes to disk: the results of nodes that do real work. A trivial node (``inline``) is
recomputed in less time than its result takes to read back, so only its signature is kept.
Entries are written with the run's node results, in the same transactions (``flush``), so a
``kill -9`` loses at most what the run itself loses; large binary parts are files under
``folder`` named by their sha256, written before the rows that name them.

Reads: a key the memory cache lacks is looked for on disk only if the disk has it (the set of
stored keys is read once, then kept up to date, and refreshed from other processes' writes
every few seconds), so a run of new nodes pays no query per node. A scope's signatures are read
the first time a node of it asks why it runs.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from app.engine.cache import Origin, ResultCache, Signature
from app.engine.codec import Unencodable, decode, encode
from storage import result_cache as disk
from storage.sqltypes import json_text, utcnow

log = logging.getLogger("genaisys.cache")

TOUCH_S = 60.0
"""How often an entry in steady use is marked used on disk (its place in the eviction order)."""

REFRESH_S = 5.0
"""How stale the set of stored keys may get before another process's writes are looked up."""


class DurableResultCache(ResultCache):
    def __init__(self, sessions: Callable[[], Session], folder: Path, *, max_entries: int = 1024,
                 max_bytes: int = 1 << 30, disk_bytes: int = 4 << 30) -> None:
        super().__init__(max_entries, max_bytes)
        self.sessions, self.folder, self.disk_bytes = sessions, folder, disk_bytes
        self._pending: list[tuple[str, dict[str, Any], Origin]] = []
        self._used: set[str] = set()
        self._on_disk: set[str] | None = None
        self._refreshed_at = 0.0
        self._since: datetime | None = None
        self._scopes_loaded: set[str] = set()
        self._dirty: dict[str, dict[str, Any]] = {}
        self._touched: dict[str, float] = {}
        """When this process last marked each entry used: at most once a ``TOUCH_S``."""
        self._io = threading.Lock()
        self.disk_hits = 0

    # -- reads ----------------------------------------------------------------------------

    def entry(self, key: str) -> tuple[dict[str, Any], Origin] | None:
        found = super().entry(key)
        if found is not None:
            if key in (self._on_disk or ()) and time.monotonic() - self._touched.get(key, -TOUCH_S) >= TOUCH_S:
                self._used.add(key)
            return found
        if not self._maybe_on_disk(key):
            return None
        loaded = self._load(key)
        if loaded is None:
            return None
        outputs, origin = loaded
        ResultCache.put(self, key, outputs, origin)
        origin = {**origin, "restored": True}  # this once: what a handle names is checked again
        with self._lock:
            self.misses -= 1  # the memory's miss was a hit after all
            self.hits += 1
        self.disk_hits += 1
        self._used.add(key)
        return outputs, origin

    def _maybe_on_disk(self, key: str) -> bool:
        on_disk = self._on_disk  # a run of new nodes asks for each: answered without the lock
        if on_disk is not None and key not in on_disk and time.monotonic() - self._refreshed_at <= REFRESH_S:
            return False
        with self._io:
            now = time.monotonic()
            if self._on_disk is None or (key not in self._on_disk and now - self._refreshed_at > REFRESH_S):
                started = utcnow()
                with self.sessions() as session:
                    found = disk.entry_keys(session, since=self._since)
                self._on_disk = (self._on_disk or set()) | set(found)
                self._refreshed_at, self._since = now, started
            return key in self._on_disk

    def _load(self, key: str) -> tuple[dict[str, Any], Origin] | None:
        try:
            with self.sessions() as session:
                row = disk.get_entry(session, key=key)
                if row is None:
                    return None
                encoded, origin = row.outputs, dict(row.origin or {})
            return decode(encoded, self._read_blob), origin
        except Exception:  # a damaged entry or a blob gone: it is a miss, and runs again
            log.warning("cache entry %s could not be read back; the node runs again", key[:12], exc_info=True)
            return None

    def _read_blob(self, sha: str) -> bytes:
        return (self.folder / sha[:2] / sha).read_bytes()

    # -- writes ---------------------------------------------------------------------------

    def put(self, key: str, outputs: dict[str, Any], origin: Origin | None = None, durable: bool = True) -> None:
        super().put(key, outputs, origin)
        if durable:
            with self._lock:
                self._pending.append((key, outputs, dict(origin or {})))

    def remember(self, scope: str, node_id: str, signature: Signature) -> None:
        before = super().last_signature(scope, node_id)
        super().remember(scope, node_id, signature)
        if before == signature and not before.cleared:
            return  # what is stored already says it: a no-change run writes no signatures
        with self._lock:
            # a tuple of texts and numbers, which the collector stops tracking (stored as a list)
            self._dirty.setdefault(scope, {})[node_id] = (signature.type_id, signature.version, signature.params_hash,
                                                         signature.input_keys, time.time(), signature.content)

    def last_signature(self, scope: str, node_id: str) -> Signature | None:
        if scope not in self._scopes_loaded:
            self._load_scope(scope)
        return super().last_signature(scope, node_id)

    def _load_scope(self, scope: str) -> None:
        self._scopes_loaded.add(scope)
        with self.sessions() as session:
            row = disk.get_scope(session, scope=scope)
            if row is None:
                return
            signatures, cleared = dict(row.signatures), row.cleared_at
        cleared_ts = cleared.timestamp() if cleared is not None else None
        for node_id, stored in signatures.items():
            type_id, version, params, inputs, at = stored[:5]
            content = stored[5] if len(stored) > 5 else None
            if super().last_signature(scope, node_id) is None:  # what this process saw is newer
                was_cleared = cleared_ts is not None and at <= cleared_ts
                ResultCache.remember(self, scope, node_id,
                                     Signature(type_id, int(version), params, tuple(inputs), content,
                                               cleared=was_cleared, restored=True))

    def flush(self, session: Session, *, signatures: bool = False) -> None:
        """Write what was put since the last flush into ``session``'s transaction (and, with
        ``signatures``, the scopes' signatures, written once a run ends); mark what was read
        from disk used; evict past the disk bound."""
        with self._lock:
            pending, self._pending = self._pending, []
            used, self._used = self._used, set()
            dirty = {}
            if signatures:
                dirty, self._dirty = self._dirty, {}
        if pending:
            rows = [row for key, outputs, origin in pending if (row := self._encode(key, outputs, origin)) is not None]
            disk.put_entries(session, entries=rows)
            with self._io:
                if self._on_disk is not None:
                    self._on_disk.update(r["key"] for r in rows)
        if used:
            disk.touch_entries(session, keys=used)
            now = time.monotonic()
            self._touched.update(dict.fromkeys(used, now))
        if dirty:
            disk.put_scopes(session, scopes=dirty)
        if pending:
            removed, freed = disk.evict(session, max_bytes=self.disk_bytes)
            if removed:
                with self._io:
                    if self._on_disk is not None:
                        self._on_disk.difference_update(removed)
                for sha in freed:
                    (self.folder / sha[:2] / sha).unlink(missing_ok=True)

    def _encode(self, key: str, outputs: dict[str, Any], origin: Origin) -> dict[str, Any] | None:
        blobs: list[str] = []
        sizes = [0]

        def put_blob(data: bytes) -> str:
            sha = hashlib.sha256(data).hexdigest()
            path = self.folder / sha[:2] / sha
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_name(f".{sha}.{os.getpid()}.tmp")
                with open(tmp, "wb") as handle:
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(tmp, path)
            blobs.append(sha)
            sizes[0] += len(data)
            return sha

        try:
            encoded = encode(outputs, put_blob)
            text = json_text(encoded)  # what the row will hold: its size, and proof that it can be written
        except (Unencodable, TypeError, ValueError) as exc:
            log.debug("result of %s kept in memory only: %s", key[:12], exc)
            return None
        return {"key": key, "outputs": encoded, "origin": origin or None, "blobs": blobs,
                "nbytes": len(text) + sizes[0]}

    def clear(self) -> None:
        super().clear()
        with self._lock:
            self._pending.clear()
            self._used.clear()
            self._dirty.clear()
        with self._io:
            self._on_disk, self._scopes_loaded = None, set()
