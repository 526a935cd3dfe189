"""A fingerprint of what requests change in a server's SQLite database, read read-only from
its data directory: a request that answers an error must leave it as it was.

Only what a request writes is in it. A run's status, node results, events and artifacts
change in the background as queued runs finish, and a token's ``last_used_at`` on every
signed-in request, so those are left out; which runs exist, and with what inputs, is in.
"""

from __future__ import annotations

import hashlib
import sqlite3
from contextlib import closing
from pathlib import Path

QUERIES = (
    "SELECT id, name, description, latest_version, created_at, updated_at, deleted_at, owner_id FROM graphs ORDER BY id",
    "SELECT id, graph_id, number, document, message FROM graph_versions ORDER BY id",
    "SELECT id, graph_id, graph_version_number, document, inputs, owner_id FROM runs ORDER BY id",
    "SELECT token, graph_id, mode, version, expires_at, revoked_at FROM shares ORDER BY token",
    "SELECT id, name FROM users ORDER BY id",
    "SELECT id, user_id, token_hash, revoked_at FROM api_tokens ORDER BY id",
)


def fingerprint(data_dir: Path) -> str:
    """SHA-256 of every row above; opened read-only, so it never takes a write lock."""
    digest = hashlib.sha256()
    uri = f"file:{data_dir / 'genaisys.db'}?mode=ro"
    with closing(sqlite3.connect(uri, uri=True, timeout=30)) as db:
        for query in QUERIES:
            for row in db.execute(query):
                digest.update(repr(row).encode("utf-8", "backslashreplace"))
            digest.update(b"|")
    return digest.hexdigest()
