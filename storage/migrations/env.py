"""Alembic environment, configured from code rather than an ``alembic.ini``.

``storage.db.upgrade_to`` hands over an open connection in ``config.attributes``; a
developer running the ``alembic`` command instead sets ``sqlalchemy.url`` or
``GENAISYS_DATABASE_URL``. Batch mode is on so that later migrations can alter tables on
SQLite, which cannot drop or change columns in place.
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import Connection

from storage.db import make_engine
from storage.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    url = config.get_main_option("sqlalchemy.url") or os.environ.get("GENAISYS_DATABASE_URL")
    context.configure(url=url, target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url") or os.environ.get("GENAISYS_DATABASE_URL")
    if not url:
        raise RuntimeError("set sqlalchemy.url or GENAISYS_DATABASE_URL to run migrations")
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            _run(conn)
            conn.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
