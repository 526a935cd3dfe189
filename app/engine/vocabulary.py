"""The studio's vocabulary: every status, event type and failure code a run can carry.

One set of names end to end: the executor writes them, storage keeps them (a CHECK
constraint on runs' status), the API's schemas type their fields with them (so OpenAPI and
the canvas's generated TypeScript carry the unions) and the canvas shows them. They are
``StrEnum``s: a member is its string, in JSON, in SQL and in comparisons.
"""

from __future__ import annotations

from enum import StrEnum


class RunStatus(StrEnum):
    """Life of a run; ``interrupted`` marks runs a crash or restart cut short."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"


TERMINAL_RUN_STATUSES = frozenset(
    {RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED, RunStatus.INTERRUPTED}
)


class NodeStatus(StrEnum):
    """Life of one node in a run. A node that did not run because an upstream node failed is
    ``failed`` with the code ``upstream_failed``."""

    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    CACHED = "cached"
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"
    """Stored only: the server stopped while the node was pending or running."""


class EventType(StrEnum):
    """What a run tells its watchers (the websocket, the CLI's bars, the stored record)."""

    RUN_STARTED = "run_started"
    NODE_STARTED = "node_started"
    NODE_PROGRESS = "node_progress"
    NODE_CACHED = "node_cached"
    NODE_FINISHED = "node_finished"
    NODE_FAILED = "node_failed"
    RUN_FINISHED = "run_finished"


class FailureCode(StrEnum):
    """Why a node or a run failed (``error.code``)."""

    NODE_ERROR = "node_error"
    """The node refused its work on purpose (``NodeError``): its message is for the user."""
    NODE_CRASHED = "node_crashed"
    """The node raised something else: a bug or a broken model; the traceback is logged."""
    TIMEOUT = "timeout"
    """The node ran longer than the node timeout and was stopped."""
    WORKER_LOST = "worker_lost"
    """The worker process running the node died (Ray backend); the next run gets a new one."""
    UPSTREAM_FAILED = "upstream_failed"
    """Not run: a node it depends on did not finish."""
    CANCELLED = "cancelled"
    """The run was cancelled (a node's, or the run's, code)."""
    NOT_STORED = "not_stored"
    """The node's work succeeded but its result could not be stored."""
    NODE_FAILED = "node_failed"
    """The run's code when one of its nodes failed (the message names it)."""
    INTERNAL_ERROR = "internal_error"
    """The run stopped on an error of the studio's own; it is logged."""
    INTERRUPTED = "interrupted"
    """The server stopped before the run finished."""


class ReplayVerdict(StrEnum):
    """What a replay says of a node: its outputs hash as before, or not (and why), or it
    cannot tell (no stored hash), or the node did not finish in the replay."""

    IDENTICAL = "identical"
    DIFFERS = "differs"
    NOT_COMPARABLE = "not_comparable"
    FAILED = "failed"


class CaseStatus(StrEnum):
    """How one evaluation case ended: every check it has passed, or not (a failed run fails it)."""

    PASSED = "passed"
    FAILED = "failed"


class EvalEventType(StrEnum):
    """What an evaluation tells its watchers (``WS /api/evals/{id}/events``)."""

    EVALUATION_STARTED = "evaluation_started"
    CASE_STARTED = "case_started"
    CASE_FINISHED = "case_finished"
    EVALUATION_FINISHED = "evaluation_finished"
