"""The studio's SQLite WAL is copied back into the database file by a thread of its own, not
inside whichever commit crosses SQLite's mark (a run's final commit had waited 14 ms for it)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from sqlalchemy import text

from storage.checkpoint import SAFETY_PAGES, background_checkpoints
from storage.db import make_engine


def _write_mebibytes(engine, count: int) -> None:
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS filler (id INTEGER PRIMARY KEY, body BLOB)"))
    for _ in range(count):  # a commit a MiB, as a run's batches are
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO filler (body) VALUES (randomblob(1048576))"))


def test_commits_leave_the_wal_to_the_checkpoint_thread(tmp_path: Path) -> None:
    database = tmp_path / "studio.db"
    engine = make_engine(f"sqlite:///{database}")
    stop = background_checkpoints(engine)
    assert stop is not None
    try:
        with engine.connect() as conn:  # the connections' own mark is only a safety net
            assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == SAFETY_PAGES
        _write_mebibytes(engine, 8)  # 2,048 pages: past SQLite's own mark of 1,000, under ours
        deadline = time.monotonic() + 120
        while database.stat().st_size < 8 << 20 and time.monotonic() < deadline:
            time.sleep(0.1)
        # only a checkpoint moves pages into the database file; no connection of the engine
        # reached its mark, so the thread did it
        assert database.stat().st_size >= 8 << 20
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM filler")).scalar() == 8
    finally:
        stop()
        engine.dispose()
    assert not any(t.name == "genaisys-checkpoint" and t.is_alive() for t in threading.enumerate())


def test_without_the_thread_the_wal_stays_unmerged_under_the_mark(tmp_path: Path) -> None:
    """The test above would pass without the thread if the connections still check-pointed at
    1,000 pages: with the mark raised and no thread, the same writes stay in the WAL."""
    database = tmp_path / "plain.db"
    engine = make_engine(f"sqlite:///{database}")
    try:
        with engine.connect() as conn:  # one connection: the pragma holds for all its writes
            conn.exec_driver_sql(f"PRAGMA wal_autocheckpoint = {SAFETY_PAGES}")
            conn.execute(text("CREATE TABLE filler (id INTEGER PRIMARY KEY, body BLOB)"))
            conn.commit()
            for _ in range(8):
                conn.execute(text("INSERT INTO filler (body) VALUES (randomblob(1048576))"))
                conn.commit()
        assert database.stat().st_size < 1 << 20
    finally:
        engine.dispose()


def test_other_databases_get_no_thread() -> None:
    assert background_checkpoints(make_engine("sqlite://")) is None
