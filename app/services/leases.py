"""Run leases: how API replicas on one database share its runs without running one twice.

A run is claimed at submission by the replica that accepted it (``runs.claimed_by``, with a
lease ``runs.lease_until`` on the database's clock) and only that replica starts it, with a
compare-and-set (``queued -> running WHERE claimed_by = me``). Each process that executes
runs — every ``genaisys serve`` replica, and ``genaisys run`` while its run lasts — keeps a
``LeaseKeeper`` thread that, about once a second:

- renews the leases of every queued or running run it holds (every third of a lease);
- writes the events its running runs have not written yet (a slow node's ``node_started``
  waits for the node's end otherwise), for watchers on other replicas;
- stops the runs it executes that were cancelled through another replica
  (``runs.cancel_requested``) or settled by another replica meanwhile (it had lost the
  database for longer than a lease: its work would be recorded nowhere);
- settles as ``interrupted`` the runs of replicas that stopped renewing (every third of a
  lease): a replica killed mid-run leaves no run ``running`` for longer than about 4/3 of a
  lease. A replica that starts again under its id settles its own old runs at once
  (``app.main``), as a studio alone on its database always did.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Protocol

from sqlalchemy.orm import Session

from app.engine.vocabulary import TERMINAL_RUN_STATUSES
from app.settings import Settings
from storage import repo

fcntl: Any
try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

log = logging.getLogger("genaisys.leases")

DEFAULT_LEASE_S: float = Settings.model_fields["run_lease_s"].default
"""How long a replica's claim on a run holds without a heartbeat (``GENAISYS_RUN_LEASE_S``)."""

CHECK_EVERY_S = 1.0
"""Longest between two looks at the runs this process executes (cancels asked elsewhere)."""


def hold_replica_id(data_dir: Path) -> tuple[str, IO[str] | None]:
    """A replica id for a server that was given none, and the open lock file that holds it
    (keep it open while the server lives): this machine's name, a hash of the data directory,
    and the first slot number no live server on this machine holds (an advisory ``flock``,
    which dies with its process, SIGKILL included). A studio that restarts gets its old id
    back, so it settles the runs it was cut off from at once; two replicas on one machine
    and one data directory get two ids."""
    base = f"{socket.gethostname()}:{hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:8]}"
    if fcntl is None:  # no advisory locks here (Windows): one server per data directory
        return base, None
    folder = data_dir / "replicas"
    folder.mkdir(parents=True, exist_ok=True)
    for slot in range(1024):
        name = base if slot == 0 else f"{base}:{slot}"
        lock = open(folder / f"{hashlib.sha256(name.encode()).hexdigest()[:16]}.lock", "a")  # noqa: SIM115 - held open
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock.close()
            continue
        return name, lock
    raise RuntimeError(f"more than 1024 servers use {data_dir} on this machine; set GENAISYS_REPLICA_ID")


class LeasedRuns(Protocol):
    """What the keeper needs of the run manager."""

    replica_id: str
    lease_s: float

    def sessions(self) -> Session: ...
    def live_ids(self) -> list[str]: ...
    def flush_events(self) -> None: ...
    def cancel(self, run_id: str, reason: str = ...) -> bool: ...


class LeaseKeeper:
    """The heartbeat and reaper thread of one process that executes runs."""

    def __init__(self, runs: LeasedRuns) -> None:
        self.runs = runs
        self.period_s = runs.lease_s / 3
        self.tick_s = min(CHECK_EVERY_S, self.period_s)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._next_renew = self._next_reap = 0.0
        self._stopped: set[str] = set()

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="genaisys-leases", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    @contextlib.contextmanager
    def kept(self) -> Iterator[None]:
        """Keep the leases for the length of a block (``genaisys run``'s one run), unless
        the keeper already runs (a server)."""
        if self._thread is not None:
            yield
            return
        self.start()
        try:
            yield
        finally:
            self.stop()

    def _loop(self) -> None:
        while not self._stop.wait(self.tick_s):
            try:
                self.beat()
            except Exception:  # the database is away: try again next tick; past a lease, others settle our runs
                log.exception("run leases: heartbeat failed (retrying)")

    def beat(self) -> None:
        """One heartbeat: renew, stop what was stopped elsewhere, settle the lapsed."""
        now = time.monotonic()
        runs = self.runs
        if now >= self._next_renew:
            with runs.sessions() as session, session.begin():
                repo.renew_leases(session, replica_id=runs.replica_id, lease_s=runs.lease_s)
            self._next_renew = now + self.period_s
        runs.flush_events()
        live = runs.live_ids()
        self._stopped &= set(live)
        if live:
            with runs.sessions() as session:
                claims = repo.run_claims(session, run_ids=live)
            for run_id, (status, cancel_requested) in claims.items():
                if run_id in self._stopped:
                    continue
                if status in TERMINAL_RUN_STATUSES:
                    reason = f"another replica settled this run ({status}): this one had lost its lease"
                elif cancel_requested:
                    reason = "cancelled by the user"
                else:
                    continue
                self._stopped.add(run_id)
                runs.cancel(run_id, reason)
        if now >= self._next_reap:
            with runs.sessions() as session, session.begin():
                if settled := repo.settle_lapsed(session, spare=runs.replica_id):
                    log.warning("%d run(s) of a replica that stopped renewing its lease are now 'interrupted'", settled)
            self._next_reap = now + self.period_s
