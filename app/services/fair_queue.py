"""The line runs wait in for a worker of this process, fair between owners."""

from __future__ import annotations

import itertools
import threading
from collections import deque

from app.services.errors import TooManyQueued


class FairQueue:
    """The runs waiting for a worker: one FIFO line per owner, and the next run taken is the
    first of the owner whose last run started longest ago (an owner none of whose runs has
    started yet goes first, in the order they came). So one owner's fifty runs take turns
    with another's one instead of going ahead of it. ``limit`` bounds each owner's line.

    ``reserve`` (before the run's row is committed) and ``put`` (after) hold a place in the
    line between them, so two requests at once cannot both take the last one.

    A run that would wait for nobody (every line empty, a worker idle) skips the line:
    ``claim`` holds an idle worker for it, its row is committed as started, and ``hand``
    gives it to that worker, which takes it before any line. So a run on an idle studio is
    recorded once, not recorded queued and then started in a second transaction.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._cond = threading.Condition()
        self._lines: dict[str | None, deque[tuple[int, str]]] = {}
        self._reserved: dict[str | None, int] = {}
        self._last_start: dict[str | None, int] = {}
        self._owner_of: dict[str, str | None] = {}
        self._ticks = itertools.count()
        self._closed = False
        self._idle = 0
        """Workers waiting in ``take``."""
        self._claimed = 0
        """Idle workers held by ``claim`` for a run not handed yet."""
        self._handed: deque[str] = deque()

    def waiting(self, owner: str | None) -> int:
        with self._cond:
            return len(self._lines.get(owner, ())) + self._reserved.get(owner, 0)

    def reserve(self, owner: str | None) -> None:
        """Hold a place in ``owner``'s line; TooManyQueued if it is full."""
        with self._cond:
            waiting = len(self._lines.get(owner, ())) + self._reserved.get(owner, 0)
            if waiting >= self.limit:
                raise TooManyQueued(waiting, self.limit)
            self._reserved[owner] = self._reserved.get(owner, 0) + 1

    def release(self, owner: str | None) -> None:
        """Give back a place ``reserve`` held for a run that was not recorded after all."""
        with self._cond:
            self._unreserve(owner)

    def put(self, owner: str | None, run_id: str) -> None:
        """Turn a reserved place into the run ``run_id``, last in its owner's line."""
        with self._cond:
            self._unreserve(owner)
            self._lines.setdefault(owner, deque()).append((next(self._ticks), run_id))
            self._owner_of[run_id] = owner
            self._cond.notify()

    def claim(self) -> bool:
        """Hold an idle worker for a run about to be recorded as started, if no run waits and
        a worker is idle; then ``hand`` (or, if the run was not recorded, ``unclaim``) follows."""
        with self._cond:
            if self._lines or self._reserved or self._closed or self._idle <= self._claimed:
                return False
            self._claimed += 1
            return True

    def unclaim(self) -> None:
        with self._cond:
            self._claimed -= 1
            self._cond.notify()  # a worker held back for the claim may take a waiting run

    def hand(self, owner: str | None, run_id: str) -> None:
        """Give the claimed worker its run (recorded as started)."""
        with self._cond:
            self._claimed -= 1
            self._handed.append(run_id)
            self._last_start[owner] = next(self._ticks)
            self._cond.notify()

    def take(self) -> str | None:
        """The next run to start (or, handed over, started), waiting for one; None once closed
        and empty."""
        with self._cond:
            self._idle += 1
            try:
                while True:
                    if self._handed:
                        return self._handed.popleft()
                    ready = [
                        (self._last_start.get(o, -1), line[0][0], o) for o, line in self._lines.items()
                    ]
                    if ready and self._idle > self._claimed:  # a worker no claim is waiting for
                        # the owner whose last start is oldest; among equals, the longest waiting
                        owner = min(ready, key=lambda r: r[:2])[2]
                        _, run_id = self._lines[owner].popleft()
                        if not self._lines[owner]:
                            del self._lines[owner]
                        del self._owner_of[run_id]
                        self._last_start[owner] = next(self._ticks)
                        return run_id
                    if self._closed and not ready and not self._claimed:
                        return None
                    self._cond.wait()
            finally:
                self._idle -= 1

    def remove(self, run_id: str) -> bool:
        """Take a run out of its line before it starts; False if it is not waiting."""
        with self._cond:
            if run_id not in self._owner_of:
                return False
            owner = self._owner_of.pop(run_id)
            line = self._lines[owner]
            line.remove(next(item for item in line if item[1] == run_id))
            if not line:
                del self._lines[owner]
            return True

    def close(self) -> None:
        """Let ``take`` answer None once the lines are empty (the workers stop)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def _unreserve(self, owner: str | None) -> None:
        left = self._reserved.get(owner, 0) - 1
        if left > 0:
            self._reserved[owner] = left
        else:
            self._reserved.pop(owner, None)
