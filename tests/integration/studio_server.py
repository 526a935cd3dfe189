"""The real server the integration tests talk to: `genaisys serve` in its own process, with
its own data directory and the test nodes of ``custom_nodes/`` loaded as custom nodes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

HERE = Path(__file__).parent
DATABASES = ("sqlite", "postgresql")
"""What a test parametrized over the databases runs on (the ``server`` fixture's params)."""


def database_env(request: pytest.FixtureRequest, database: str) -> dict[str, str]:
    """The environment that points a server at ``database``: nothing for SQLite (its file in
    the data directory), a new database of the session's PostgreSQL server (dropped after the
    test) otherwise."""
    if database == "sqlite":
        return {}
    postgres = request.getfixturevalue("postgres")
    url = postgres.create_database()
    request.addfinalizer(lambda: postgres.drop_database(url))
    return {"GENAISYS_DATABASE_URL": url}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, data_dir: Path, port: int | None = None, env: dict[str, str] | None = None,
                 memory_limit: int | None = None) -> None:
        self.extra_env = env or {}
        self.memory_limit = memory_limit
        """Bytes of address space the server process may have (RLIMIT_AS), to provoke MemoryError."""
        self.data_dir = data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = data_dir / f"server-{self.port}.log"
        self.startup_s = 0.0

    def start(self) -> Server:
        env = {**os.environ, "GENAISYS_CUSTOM_NODES": str(HERE / "custom_nodes"), "PYTHONUNBUFFERED": "1", **self.extra_env}
        t0 = time.perf_counter()
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "app.cli", "serve", "--port", str(self.port), "--data-dir", str(self.data_dir)],
                stdout=log, stderr=subprocess.STDOUT, env=env, preexec_fn=self._limit if self.memory_limit else None,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log.read_text()}")
            try:
                if httpx.get(f"{self.url}/api/health", timeout=0.5).status_code == 200:
                    self.startup_s = time.perf_counter() - t0
                    return self
            except httpx.TransportError:
                time.sleep(0.05)
        raise RuntimeError(f"server did not answer within 30 s:\n{self.log.read_text()}")

    def _limit(self) -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (self.memory_limit, self.memory_limit))

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30)
