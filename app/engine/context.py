"""What a running node sees of the executor: progress, cancellation, provenance."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from app.engine.events import Emitter
from app.engine.vocabulary import EventType
from nodes.api import NodeCancelled

log = logging.getLogger("genaisys.nodes")


class CancelToken:
    """Set once to stop a run: no new node starts, and running nodes see it when they poll."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.reason = ""

    def cancel(self, reason: str = "cancelled by the user") -> None:
        self.reason = reason
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def wait(self, timeout: float) -> bool:
        """Sleep up to ``timeout`` seconds, waking at once on cancel; True if cancelled."""
        return self._event.wait(timeout)


class RunContext:
    def __init__(self, node_id: str, run_id: str, emit: Emitter | Callable[..., Any], cancel: CancelToken, *,
                 owner_id: str | None = None, max_text_output_bytes: int | None = None) -> None:
        self.node_id = node_id
        self.run_id = run_id
        self.owner_id = owner_id
        self.max_text_output_bytes = max_text_output_bytes
        self._emit = emit
        self._cancel = cancel
        self.provenance: dict[str, Any] = {}
        self._expired = False

    def expire(self) -> None:
        """This node ran out of time: its next poll or progress report stops it."""
        self._expired = True

    def progress(self, fraction: float, message: str = "", preview: Any = None) -> None:
        data: dict[str, Any] = {"fraction": max(0.0, min(1.0, float(fraction)))}
        if message:
            data["message"] = message
        if preview is not None:
            data["preview"] = preview
        self._emit(EventType.NODE_PROGRESS, self.node_id, **data)
        self.check_cancelled()

    def relay_progress(self, data: dict[str, Any]) -> None:
        """Pass on progress a worker elsewhere reported for this node (the Ray backend)."""
        self._emit(EventType.NODE_PROGRESS, self.node_id, **data)

    @property
    def cancelled(self) -> bool:
        return self._cancel.cancelled or self._expired

    @property
    def cancel_reason(self) -> str:
        return self._cancel.reason or "the node ran out of time"

    def check_cancelled(self) -> None:
        if self._cancel.cancelled or self._expired:
            raise NodeCancelled(self.cancel_reason)

    def sleep(self, seconds: float) -> None:
        """Wait, but stop soon after the run is cancelled or the node runs out of time."""
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            if self._cancel.wait(min(left, 0.1)) or self._expired:
                raise NodeCancelled(self._cancel.reason or "the node ran out of time")

    def log(self, message: str) -> None:
        log.info("[%s] %s", self.node_id, message)

    def record(self, key: str, value: Any) -> None:
        self.provenance[key] = value
