"""A throw-away PostgreSQL server for the tests: Debian's ``postgresql`` binaries, a fresh
cluster in a temporary folder, started once per test session and a database per test.

The server refuses to run as root, so under root (CI) the cluster belongs to the
``postgres`` user the Debian package creates and every server command runs through
``runuser``; otherwise it runs as the current user. It listens on 127.0.0.1 only, on a free
port, with ``trust`` authentication: nothing outside the machine can reach it and it lives
only as long as the test session. ``fsync`` is off (a crash of the *machine* could lose
it, which a throw-away cluster does not mind); a killed client or server process still
loses nothing committed, which is what the crash tests check.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

MISSING = ("PostgreSQL's server is not installed, and the storage and API tests run on it too: "
           "`make system-deps` installs it (Debian: apt-get install postgresql)")


def find_bindir() -> Path:
    """The folder of ``initdb``, ``pg_ctl`` and ``postgres``: Debian keeps them under
    ``/usr/lib/postgresql/<version>/bin`` (the newest wins); elsewhere they are on PATH."""
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                    key=lambda p: [int(x) for x in re.findall(r"\d+", p.parts[-3])], reverse=True)
    for initdb in [*debian, *(Path(w) for w in [shutil.which("initdb")] if w)]:
        bindir = initdb.resolve().parent
        if (bindir / "pg_ctl").is_file() and (bindir / "postgres").is_file():
            return bindir
    raise RuntimeError(MISSING)


def _ppid(proc: Path) -> int | None:
    try:
        return int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def _alive(pid: int) -> bool:
    """Running, or stopped but not yet dead; a zombie (state Z) counts as dead."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresServer:
    """One cluster; ``create_database`` hands each test an empty (or migrated) database."""

    def __init__(self) -> None:
        self.bindir = find_bindir()
        self.as_root = os.geteuid() == 0
        if self.as_root:
            try:
                self.owner = pwd.getpwnam("postgres")
            except KeyError:
                raise RuntimeError("running as root, the tests start PostgreSQL as the `postgres` user, "
                                   "which does not exist: install Debian's postgresql package") from None
        self.root = Path(tempfile.mkdtemp(prefix="genaisys-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = _free_port()
        self.templates: dict[str, str] = {}

    def _run(self, *args: str, timeout: float = 120) -> None:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            log = self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""
            raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}{done.stderr}\n{log}")

    def start(self) -> PostgresServer:
        if self.as_root:
            os.chown(self.root, self.owner.pw_uid, self.owner.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--no-locale", "--no-sync")
        self.start_again()
        return self

    def kill(self) -> None:
        """SIGKILL the server and every backend at once, as an OOM killer or a crashed
        machine's supervisor would; ``start_again`` then recovers it from its WAL."""
        pid = int((self.data / "postmaster.pid").read_text().split()[0])
        children = [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit() and _ppid(p) == pid]
        for victim in (pid, *children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 60
        while any(_alive(v) for v in (pid, *children)) and time.monotonic() < deadline:
            time.sleep(0.05)
        # A killed postmaster may stay a zombie (a container's PID 1 need not reap it), which
        # PostgreSQL would take for a running server: its lock files go, as after any crash.
        for lock in (self.data / "postmaster.pid", self.root / f".s.PGSQL.{self.port}.lock"):
            lock.unlink(missing_ok=True)

    def start_again(self) -> None:
        options = (f"-k {self.root} -p {self.port} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c full_page_writes=off -c max_connections=200")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "120", "start")

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def _admin(self) -> psycopg.Connection[Any]:
        return psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="postgres",
                               autocommit=True, connect_timeout=30)

    def create_database(self, template: str | None = None) -> str:
        """A new database (a copy of ``template``'s, else empty); its SQLAlchemy URL."""
        name = f"t_{uuid.uuid4().hex[:16]}"
        query = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
            sql.Identifier(name), sql.Identifier(template or "template0"))
        with self._admin() as conn:
            conn.execute(query)
        return self.url(name)

    def drop_database(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        with self._admin() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    def template(self, name: str, build: Callable[[str], None]) -> str:
        """The database ``name``, made once by ``build(url)``, to copy with ``create_database``."""
        if name not in self.templates:
            url = self.create_database()
            build(url)
            with self._admin() as conn:
                conn.execute(sql.SQL("ALTER DATABASE {} RENAME TO {}").format(
                    sql.Identifier(url.rsplit("/", 1)[1]), sql.Identifier(name)))
            self.templates[name] = name
        return self.templates[name]
