"""Run events: one shape for the websocket, the CLI's progress bars and the run record.

Their types are `app.engine.vocabulary.EventType`: ``run_started``, ``node_started``,
``node_progress`` (fraction, message, optional preview), ``node_cached``, ``node_finished``,
``node_failed``, ``run_finished`` (``succeeded`` / ``failed`` / ``cancelled``). Events of one run carry increasing ``seq`` numbers, so a late
subscriber can be given what it missed and then follow live.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.engine.vocabulary import EventType


@dataclass(frozen=True, slots=True)
class Event:
    type: EventType
    run_id: str
    seq: int
    ts: float
    node_id: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type, "run_id": self.run_id, "seq": self.seq, "ts": self.ts}
        if self.node_id is not None:
            out["node_id"] = self.node_id
        if self.data:
            out["data"] = self.data
        return out


EventSink = Callable[[Event], None]


class Emitter:
    """Numbers a run's events and hands them to every sink; safe from any thread.

    A sink that raises is dropped from the run (a closed websocket must not stop the
    work), and the run goes on."""

    def __init__(self, run_id: str, sinks: list[EventSink]) -> None:
        self.run_id = run_id
        self._sinks = list(sinks)
        self._seq = 0
        self._lock = threading.Lock()

    def __call__(self, type_: EventType, node_id: str | None = None, **data: Any) -> Event:
        with self._lock:
            self._seq += 1
            event = Event(type_, self.run_id, self._seq, time.time(), node_id, data)
            for sink in tuple(self._sinks):
                try:
                    sink(event)
                except Exception:
                    self._sinks.remove(sink)
        return event
