"""What `genaisys serve` prints on start is for a person: the address and the data folder,
not the database tooling's own set-up lines."""

from __future__ import annotations

import pytest
from studio_server import Server

pytestmark = pytest.mark.slow


def test_start_prints_the_address_and_data_folder_and_no_migration_chatter(server: Server) -> None:
    printed = server.log.read_text()
    assert f"http://127.0.0.1:{server.port}/" in printed and str(server.data_dir) in printed
    assert "alembic" not in printed.lower(), printed
    assert len([line for line in printed.splitlines() if line.strip()]) <= 3, printed
