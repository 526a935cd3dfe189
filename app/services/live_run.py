"""A run this process is executing: its events so far, what is not written yet, and its
watchers, each on its own event loop, fed in batches from the run's worker thread."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from app.engine.context import CancelToken
from app.engine.validate import CheckedGraph
from app.engine.vocabulary import EventType
from storage.repo import Settled

DONE = None
"""What ends a watcher's stream, after the last event."""


@dataclass
class LiveRun:
    """A run this process is executing or about to: its events so far and its watchers."""

    id: str
    graph_id: str | None
    checked: CheckedGraph
    inputs: dict[str, Any]
    owner_id: str | None = None
    """Whose run it is (a demo's run: its graph's owner); its nodes see it, its store is theirs."""
    listener: Any = None
    """Called with each event on the run's thread (the CLI's progress bars), or None."""
    result: Any = None
    """The executor's ``RunResult`` once the run has ended."""
    replay: Any = None
    """A ``ReplayPlan`` when this run replays a stored one (past the cache, compared at the end)."""
    started: bool = False
    """Recorded as started when it was recorded (it skipped the line), so not started again."""
    cancel: CancelToken = field(default_factory=CancelToken)
    events: list[dict[str, Any]] = field(default_factory=list)
    unsaved: list[dict[str, Any]] = field(default_factory=list)
    watchers: list[Watcher] = field(default_factory=list)
    rows: list[Settled] = field(default_factory=list)
    """Settled node results not written yet."""
    flushed_at: float = field(default_factory=time.monotonic)
    ended: tuple[str, Any, Any] | None = None
    """The run's status, outputs and error as its last transaction recorded them."""
    ending: dict[str, Any] | None = None
    """``run_finished``, held back from watchers until the run's row says so."""
    finished: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)
    write_lock: threading.Lock = field(default_factory=threading.Lock)
    """Held while a batch of its events is taken and written, so batches are committed in order."""

    def publish(self, event: dict[str, Any] | None, *, saved: bool = False) -> None:
        with self.lock:
            if event is None:
                self.finished = True
            else:
                self.events.append(event)
                if event["type"] != EventType.NODE_PROGRESS and not saved:
                    self.unsaved.append(event)
            for watcher in self.watchers:
                watcher.push(event)

    def hold_ending(self, event: dict[str, Any]) -> None:
        """Keep ``run_finished`` for the last transaction, unseen until it is committed."""
        with self.lock:
            self.ending = event
            self.unsaved.append(event)

    def take_rows(self) -> list[Settled]:
        with self.lock:
            out, self.rows = self.rows, []
            self.flushed_at = time.monotonic()
        return out

    def watch(self, loop: asyncio.AbstractEventLoop, *, end_only: bool = False) -> Watcher:
        """A watcher on ``loop`` whose first batch is every event so far, then the live ones;
        with ``end_only``, one told only that the stream ended (a caller that waits for the
        run's end, not its events, and should not wake for every batch of them)."""
        watcher = Watcher(loop, end_only=end_only)
        with self.lock:
            if not end_only:
                watcher.pending.extend(self.events)
            if self.finished:
                watcher.pending.append(DONE)
            else:
                self.watchers.append(watcher)
        return watcher

    def snapshot(self) -> list[dict[str, Any]]:
        """Every event so far (``run_finished`` once its row is committed)."""
        with self.lock:
            return list(self.events)

    def unwatch(self, watcher: Watcher) -> None:
        with self.lock:
            self.watchers = [w for w in self.watchers if w is not watcher]

    def take_unsaved(self, *, before_end: bool = False) -> list[dict[str, Any]]:
        """The events not written yet; with ``before_end``, none once ``run_finished`` is
        among them (the run's last transaction writes that with its row)."""
        with self.lock:
            if before_end and self.ending is not None:
                return []
            out, self.unsaved = self.unsaved, []
        return out


class Watcher:
    """One watcher of a run, on its event loop, fed from the run's worker thread: events wait
    in ``pending``, and the loop is woken once for all that arrived meanwhile and takes them
    as one batch (a wake-up, or a queue operation, per event made the worker and the loop
    trade the interpreter lock thousands of times a run)."""

    __slots__ = ("loop", "pending", "lock", "ready", "end_only")

    def __init__(self, loop: asyncio.AbstractEventLoop, *, end_only: bool = False) -> None:
        self.loop = loop
        self.end_only = end_only
        self.pending: list[Any] = []
        self.lock = threading.Lock()
        self.ready = asyncio.Event()  # made on the loop's thread; set only there
        self.ready.set()  # what ``watch`` put in first

    def push(self, item: Any) -> None:
        if self.end_only and item is not DONE:
            return
        with self.lock:
            self.pending.append(item)
            if len(self.pending) > 1:
                return  # a wake-up is on its way and will take this one too
        with contextlib.suppress(RuntimeError):  # the watcher's loop is closed: it is gone
            self.loop.call_soon_threadsafe(self.ready.set)

    async def next(self) -> tuple[list[dict[str, Any]], bool]:
        """The events that arrived since the last call, waiting for one if there are none;
        and whether the run's stream ended with them (nothing follows then)."""
        while True:
            await self.ready.wait()
            with self.lock:
                items, self.pending = self.pending, []
                self.ready.clear()
            if items:
                break
        if items[-1] is DONE:
            return [e for e in items if e is not DONE], True
        return items, False
