"""Where node work runs. In-process threads now; the seam is here so that a Ray backend
can take the same calls later, for users who outgrow one machine."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Protocol

GPU_LOCK = threading.Lock()
"""One lock for the whole process: GPU work is serialised, so one GPU never holds two jobs."""


class Backend(Protocol):
    def submit(self, fn: Callable[[], Any]) -> Future[Any]: ...

    def shutdown(self) -> None: ...


class ThreadBackend:
    def __init__(self, max_workers: int | None = None) -> None:
        self._pool = ThreadPoolExecutor(
            max_workers=max_workers or max(4, (os.cpu_count() or 2) * 2),
            thread_name_prefix="genaisys-node",
        )

    def submit(self, fn: Callable[[], Any]) -> Future[Any]:
        return self._pool.submit(fn)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
