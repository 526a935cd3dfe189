"""Test-wide settings: never reach for the network, keep models built by tests in one place."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from pg_server import PostgresServer

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
# Models converted or built by tests (the GGUF -> folder conversion, the tiny diffusion
# pipeline) are kept for the whole session, so each is made once.
os.environ.setdefault("GENAISYS_DATA_DIR", str(Path(tempfile.gettempdir()) / "genaisys-test-data"))


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL server of the test session's own (started on first use, stopped at the end)."""
    server = PostgresServer().start()
    yield server
    server.stop()
