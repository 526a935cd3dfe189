"""Errors the repository raises, so that callers map them to answers without parsing text.

The HTTP layer turns ``NotFound`` into 404 and ``VersionConflict`` into 409; both carry
the facts a client needs (which thing, which numbers) as attributes, and a message that
says how to recover.
"""

from __future__ import annotations

from typing import Any


class StorageError(Exception):
    """Base class: every error raised on purpose by ``storage``."""


class NotFound(StorageError):
    """A row the caller named does not exist (or is soft-deleted and was not asked for)."""

    def __init__(self, kind: str, id: object, hint: str = "") -> None:
        self.kind = kind
        self.id = id
        self.hint = hint
        message = f"{kind} {id!r} not found"
        super().__init__(f"{message}: {hint}" if hint else message)


class VersionConflict(StorageError):
    """A save was based on a version that is no longer the latest.

    Raised instead of overwriting: the rejected ``document`` rides along so that the
    caller can hand it back to the user, and nothing already saved is touched.
    """

    def __init__(
        self,
        *,
        current: int,
        based_on: int,
        graph_id: str = "",
        document: dict[str, Any] | None = None,
    ) -> None:
        self.current = current
        self.based_on = based_on
        self.graph_id = graph_id
        self.document = document
        super().__init__(
            f"graph {graph_id!r} is at version {current}, but this save was based on version "
            f"{based_on}; load version {current}, merge your changes into it and save again"
        )


class ImmutableVersion(StorageError):
    """Someone tried to change a saved graph version; save a new version instead."""


class InvalidArtifactId(StorageError, ValueError):
    """An artifact id is not a sha256 hex digest (and so could name a path outside the store)."""

    def __init__(self, sha256: object) -> None:
        self.sha256 = sha256
        super().__init__(
            f"artifact id {sha256!r} is not a sha256 digest (64 hexadecimal characters)"
        )


class InvalidRunState(StorageError):
    """A run was asked to move to a state it cannot reach from where it is.

    Guards against a late worker resurrecting a run that was cancelled or interrupted.
    """

    def __init__(self, run_id: str, status: str, wanted: str) -> None:
        self.run_id = run_id
        self.status = status
        self.wanted = wanted
        super().__init__(f"run {run_id!r} is {status}; it cannot become {wanted}")


class UnstorableText(StorageError, ValueError):
    """A text for a column that no supported database would store as it is: a NUL character
    (PostgreSQL's text types cannot hold one) or more characters than the column holds
    (PostgreSQL refuses them; SQLite would keep them). Refused alike on every database, so a
    studio behaves the same on each and can always be copied from one to another."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"the {field} {problem}")
