"""Domain errors: what the services refuse, in words a user can act on.

They know nothing of HTTP. The API maps each to a status (``app.api.errors``), the CLI to an
exit code and the demo to a message in its form; each carries the ``code`` and ``details``
every client shows.
"""

from __future__ import annotations

from typing import Any


class Refused(Exception):
    """A request the studio turns down for a reason the user can fix."""

    code = "refused"

    def __init__(self, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.message, self.details = message, details


class UnsaveableGraph(Refused):
    """A document that is not a graph document at all, could not be read back, or is over the
    size bounds; ``details`` is the validator's report."""

    code = "invalid_document"


class InvalidGraph(Refused):
    """A graph with problems asked to run; nothing ran. ``details`` is the validator's report."""

    code = "invalid_graph"

    def __init__(self, message: str, checked: Any) -> None:
        super().__init__(message, checked.report())
        self.problems = list(checked.problems)


class InvalidInputs(Refused):
    """Inputs the graph's input nodes refuse; nothing was recorded."""

    code = "invalid_inputs"

    def __init__(self, message: str, problems: list[Any]) -> None:
        super().__init__(message, {"problems": [p.to_json() for p in problems]})
        self.problems = problems


class TooManyQueued(Refused):
    """An owner already has ``limit`` runs waiting; nothing was recorded."""

    code = "too_many_runs"

    def __init__(self, waiting: int, limit: int) -> None:
        super().__init__(f"you have {waiting} runs waiting; wait for one to finish or cancel one",
                         {"waiting": waiting, "limit": limit})
        self.waiting, self.limit = waiting, limit


class ReplayImpossible(Refused):
    """A stored run that cannot be replayed as it ran (a model it used is gone); nothing ran.
    ``details.models`` names each node, model and file."""

    code = "replay_impossible"
