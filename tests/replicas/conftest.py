"""Two `genaisys serve` replicas on one PostgreSQL database and one data directory, as
docs/deploy.md runs them behind a proxy, with a short run lease so a dead one is noticed fast."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.integration.studio_server import HERE as INTEGRATION
from tests.integration.studio_server import Server

LEASE_S = float(os.environ.get("REPLICAS_TEST_LEASE_S", "2"))
"""The replicas' run lease in these tests (the default is 15 s; ``REPLICAS_TEST_LEASE_S=15``
measures the default's figures for docs/deploy.md)."""

CUSTOM_NODES = os.pathsep.join([str(INTEGRATION / "custom_nodes"), str(Path(__file__).parent / "custom_nodes")])


@pytest.fixture
def replicas(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[int], list[Server]]]:
    """``replicas(n)``: n servers on a fresh database of the session's PostgreSQL server."""
    postgres = request.getfixturevalue("postgres")
    url = postgres.create_database()
    started: list[Server] = []

    def start(n: int) -> list[Server]:
        env = {"GENAISYS_DATABASE_URL": url, "GENAISYS_RUN_LEASE_S": str(LEASE_S),
               "GENAISYS_CUSTOM_NODES": CUSTOM_NODES, "GENAISYS_WARM_START": "0"}
        for _ in range(n):
            started.append(Server(tmp_path / "data", env=env).start())
        return started[-n:]

    yield start
    for server in started:
        server.stop()
    postgres.drop_database(url)
