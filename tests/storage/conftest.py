"""Fixtures: a real SQLite file per test, migrated to head through Alembic (no create_all)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from storage_helpers import document

from storage import repo
from storage.db import make_engine, make_session_factory, upgrade_to_head
from storage.models import Graph, GraphVersion


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'data' / 'genaisys.db'}"


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
