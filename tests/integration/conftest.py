"""A real `genaisys serve` process on loopback, with its own data directory.

``server`` runs on SQLite; a module runs it on both databases with
``pytest.mark.parametrize("server", studio_server.DATABASES, indirect=True)``: on
``"postgresql"`` the server gets a fresh database of the session's PostgreSQL server.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from studio_server import Server, database_env


@pytest.fixture
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Server]:
    srv = Server(tmp_path / "data", env=database_env(request, getattr(request, "param", "sqlite"))).start()
    yield srv
    srv.stop()


@pytest.fixture
def api(server: Server) -> Iterator[httpx.Client]:
    with server.client() as client:
        yield client
