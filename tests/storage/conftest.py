"""Fixtures: a real database per test, migrated to head through Alembic (no create_all).

Every test that takes ``db_url`` runs twice: on a SQLite file, and on a database of the
session's PostgreSQL server (tests/pg_server.py). A test that asks for ``engine`` gets its
PostgreSQL database copied from one migrated once (Alembic from scratch takes longer than
the test); one that asks only for ``db_url`` gets an empty database.
A test about one database alone says so: ``@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pg_server import PostgresServer
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from storage_helpers import document

from storage import repo
from storage.db import make_engine, make_session_factory, upgrade_to_head
from storage.models import Graph, GraphVersion


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'data' / 'genaisys.db'}"
        return
    postgres: PostgresServer = request.getfixturevalue("postgres")
    template = postgres.template("migrated_head", upgrade_to_head) if "engine" in request.fixturenames else None
    url = postgres.create_database(template)
    yield url
    postgres.drop_database(url)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    upgrade_to_head(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture
def session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    with sessions() as session:
        yield session


@pytest.fixture
def graph(sessions: sessionmaker[Session]) -> tuple[Graph, GraphVersion]:
    with sessions() as s, s.begin():
        return repo.create_graph(s, name="Notes", description="d", document=document("v1"))
