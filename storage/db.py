"""Engine, sessions and schema upgrades.

SQLite is the default store and is tuned here once: WAL (readers never block the one
writer, so the API answers while a run writes events), foreign keys on (SQLite leaves
them off), a busy timeout (a second writer waits instead of failing at once) and
``synchronous=NORMAL`` (safe against process crashes such as SIGKILL; a power cut can lose
the last commits but never corrupts the file).

PostgreSQL (``postgresql+psycopg://``, the ``postgres`` extra; a bare ``postgresql://``
means psycopg 3 here too) is the other tested database: connections are checked before use
(``pool_pre_ping``), so a restarted server costs no failed request. Any other SQLAlchemy URL
passes through untested.

The schema is created and changed only by Alembic (``upgrade_to_head``), never by
``create_all``; the migrations ship inside the package, so no ``alembic.ini`` is needed.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

from storage.sqltypes import json_text, json_value

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
BUSY_TIMEOUT_MS = 30_000
MIGRATION_LOCK = 0x67656E61697379  # PostgreSQL advisory lock key of schema upgrades ("genaisy")
_MIGRATING = threading.Lock()


def is_sqlite_file(url: URL) -> bool:
    """Whether ``url`` names a SQLite database in a file (not in memory)."""
    database = url.database or ""
    in_memory = database in ("", ":memory:") or database.startswith("file:")
    return url.get_backend_name() == "sqlite" and not in_memory


def _tune_sqlite(dbapi_connection: Any, connection_record: Any) -> None:
    """Set the per-connection pragmas; runs on every new DB-API connection."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()


def make_engine(url: str | URL, **kwargs: Any) -> Engine:
    """Create an engine for ``url``; SQLite files get WAL, foreign keys and a busy timeout.

    The folder of a SQLite file is created, so a fresh data directory just works.
    Extra keyword arguments go to ``sqlalchemy.create_engine``.
    """
    parsed = make_url(url)
    kwargs.setdefault("json_serializer", json_text)  # JSON columns, written fast
    kwargs.setdefault("json_deserializer", json_value)  # and read fast
    if parsed.drivername == "postgresql":  # SQLAlchemy's default is psycopg2, which we do not ship
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "postgresql":
        kwargs.setdefault("pool_pre_ping", True)
        try:
            return create_engine(parsed, **kwargs)
        except ImportError as exc:
            raise RuntimeError(f"{parsed.drivername} needs its driver ({exc}): "
                               "pip install 'genaisys-studio[postgres]'") from None
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, **kwargs)
    if is_sqlite_file(parsed):
        Path(parsed.database or "").expanduser().parent.mkdir(parents=True, exist_ok=True)
    connect_args = dict(kwargs.pop("connect_args", {}))
    # Sessions are used from FastAPI's thread pool and the executor's threads.
    connect_args.setdefault("check_same_thread", False)
    connect_args.setdefault("timeout", BUSY_TIMEOUT_MS / 1000)
    engine = create_engine(parsed, connect_args=connect_args, **kwargs)
    event.listen(engine, "connect", _tune_sqlite)
    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions whose objects stay readable after commit and after the session closes.

    The repository never commits: callers write ``with factory() as s, s.begin(): ...``.
    """
    return sessionmaker(bind=engine, expire_on_commit=False)


def _alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def upgrade_to(engine_or_url: Engine | str | URL, revision: str) -> str | None:
    """Migrate the database to ``revision`` (``"head"`` for the newest schema); returns the
    revision it was at before (None for a database never migrated).

    Several processes may start on one new database at once (two API replicas, a server and
    a CLI command): on PostgreSQL each takes an advisory lock for its migration's
    transaction, so one migrates and the others then find the schema current. Alembic's
    context is global to a process, so threads of one process take turns too.
    """
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    engine, owned = _engine(engine_or_url)
    dialect = engine.dialect.name
    try:
        with _MIGRATING, engine.connect() as connection:
            if dialect == "sqlite":
                # Batch mode rebuilds a table (copy, drop, rename); with foreign keys on,
                # dropping ``graphs`` would cascade-delete its versions. SQLite's own
                # recipe: keys off around the change, then check them before committing.
                connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
                connection.commit()  # end the autobegun (empty) transaction; the PRAGMA stays
            try:
                with connection.begin():
                    if dialect == "postgresql":
                        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
                    before = MigrationContext.configure(connection).get_current_revision()
                    config = _alembic_config()
                    config.attributes["connection"] = connection
                    command.upgrade(config, revision)
                    if dialect == "sqlite":
                        broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                        if broken:
                            raise RuntimeError(f"migration to {revision} broke foreign keys: {broken[:5]}")
            finally:
                if dialect == "sqlite":
                    connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                    connection.commit()
    finally:
        if owned:
            engine.dispose()
    return before


def upgrade_to_head(engine_or_url: Engine | str | URL) -> str | None:
    """Bring the schema up to date; safe to call on every start (a no-op when current).
    Returns the revision it was at before: None for a database this call created the schema of."""
    return upgrade_to(engine_or_url, "head")


def current_revision(engine_or_url: Engine | str | URL) -> str | None:
    """The revision the database is at, or None for a database never migrated."""
    from alembic.runtime.migration import MigrationContext

    engine, owned = _engine(engine_or_url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        if owned:
            engine.dispose()


def head_revision() -> str:
    """The newest revision shipped with this package."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations found in {MIGRATIONS_DIR}")
    return head


def _engine(engine_or_url: Engine | str | URL) -> tuple[Engine, bool]:
    if isinstance(engine_or_url, Engine):
        return engine_or_url, False
    return make_engine(engine_or_url), True
