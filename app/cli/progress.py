"""Terminal progress for `genaisys run`: one bar per node, fed by the run's events."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from app.engine.events import Event
from app.engine.vocabulary import EventType

_STATUS = {
    EventType.NODE_CACHED: "[cyan]cached[/cyan]",
    EventType.NODE_FINISHED: "[green]done[/green]",
    EventType.NODE_FAILED: "[red]failed[/red]",
}


class ProgressView:
    def __init__(self, console: Console | None = None) -> None:
        self.progress = Progress(
            TextColumn("{task.description}", justify="left"),
            BarColumn(),
            TextColumn("{task.fields[status]}"),
            TimeElapsedColumn(),
            console=console or Console(stderr=True),
            transient=False,
        )
        self.tasks: dict[str, TaskID] = {}

    def __enter__(self) -> ProgressView:
        self.progress.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.progress.stop()

    def _task(self, node_id: str) -> TaskID:
        if node_id not in self.tasks:
            self.tasks[node_id] = self.progress.add_task(node_id, total=1.0, status="")
        return self.tasks[node_id]

    def on_event(self, event: Event) -> None:
        if event.node_id is None:
            return
        task = self._task(event.node_id)
        if event.type == EventType.NODE_STARTED:
            self.progress.update(task, status=f"running ({event.data.get('reason', '')})")
        elif event.type == EventType.NODE_PROGRESS:
            message = event.data.get("message", "")
            self.progress.update(task, completed=event.data["fraction"], status=message[-40:] or "running")
        elif event.type in _STATUS:
            status = _STATUS[event.type]
            if event.type == EventType.NODE_FAILED:
                status += f" {event.data.get('message', '')[:60]}"
            self.progress.update(task, completed=1.0, status=status)
