"""SQLite's WAL checkpoints moved off the commits, for a long-lived process (the studio).

In WAL mode SQLite copies the log back into the database file every thousand pages by
default, inside whichever commit crosses the mark, and syncs the file there: on a run of
1,000 nodes (about 2 MiB of node results and events) every second run's final commit took
14 ms instead of 0.2 ms, and the run's ``run_finished`` waited for it. Here the engine's
connections check-point only as a safety net (``SAFETY_PAGES``, ten times SQLite's mark);
a thread of ours check-points (``PASSIVE``: it never blocks a reader or the writer) shortly
after commits, on its own connection. The sqlite3 module lets go of the interpreter lock
while SQLite works, so the copy and the sync overlap the next request's Python.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable

from sqlalchemy import Engine, event

from storage.db import is_sqlite_file

log = logging.getLogger("genaisys.storage")

SAFETY_PAGES = 10_000
"""The connections' own auto-checkpoint mark: reached only if the thread falls behind."""

SETTLE_S = 0.25
"""How long after a commit the thread waits for more before it check-points (a burst of
commits, one checkpoint)."""


def background_checkpoints(engine: Engine) -> Callable[[], None] | None:
    """Check-point ``engine``'s WAL in a thread of its own from now on; the function that stops
    it (a last checkpoint first). None for a database that is not a SQLite file."""
    if not is_sqlite_file(engine.url):
        return None
    database = engine.url.database or ""

    def tune(dbapi_connection: object, _record: object) -> None:
        cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
        try:
            cursor.execute(f"PRAGMA wal_autocheckpoint = {SAFETY_PAGES}")
        finally:
            cursor.close()

    due, stopping = threading.Event(), threading.Event()

    def committed(_connection: object) -> None:
        due.set()

    def loop() -> None:
        connection = sqlite3.connect(database, timeout=30, check_same_thread=False)
        try:
            while not stopping.is_set():
                due.wait()
                stopping.wait(SETTLE_S)  # more commits may follow: one checkpoint for the lot
                due.clear()
                try:
                    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error as exc:  # busy or gone: the next commit tries again
                    log.debug("background checkpoint skipped: %s", exc)
        finally:
            connection.close()

    event.listen(engine, "connect", tune)
    event.listen(engine, "commit", committed)
    engine.dispose()  # pooled connections reopen with the pragma above
    thread = threading.Thread(target=loop, name="genaisys-checkpoint", daemon=True)
    thread.start()

    def stop() -> None:
        event.remove(engine, "commit", committed)
        stopping.set()
        due.set()
        thread.join(timeout=30)

    return stop
