"""Runs: queueing one, reading one and its nodes' results, and running a graph as an API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator, model_validator

from app.api.schemas.common import MAX_INT, In, Row
from app.engine.provenance import with_all_hashes
from app.engine.vocabulary import EventType, FailureCode, NodeStatus, ReplayVerdict, RunStatus


class RunCreate(In):
    graph_id: str | None = None
    version: int | None = Field(None, ge=1, le=MAX_INT, description="a version of graph_id; the latest if unset")
    document: dict[str, Any] | None = Field(None, description="run this document (with graph_id: an unsaved edit of that graph)")
    inputs: dict[str, Any] = Field(default_factory=dict, description="io input node id -> value")


class NodeResultPublic(Row):
    node_id: str
    type: str
    status: NodeStatus
    reason: str | None = None
    cache_key: str | None = None
    started_at: datetime | None = None
    duration_s: float | None = None
    outputs: Any = None
    error: Failure | None = None
    provenance: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _every_output_hashed(self) -> NodeResultPublic:
        """The hashes of outputs stored as themselves are not stored, but shown all the same."""
        if self.status in (NodeStatus.SUCCEEDED, NodeStatus.CACHED):
            self.provenance = with_all_hashes(self.provenance, self.outputs)
        return self


class Failure(BaseModel):
    """Why a node or a run failed; a run's failure also names the node (``node_id``)."""

    model_config = ConfigDict(extra="allow")
    code: FailureCode
    message: str


class RunEventPublic(BaseModel):
    """One run event, as the websocket sends it and ``GET /api/runs/{id}/events`` lists it."""

    type: EventType
    run_id: str
    seq: int
    ts: float | None = None
    node_id: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)


class RunPublic(Row):
    id: str
    graph_id: str | None
    graph_version: int | None = Field(validation_alias=AliasChoices("graph_version", "graph_version_number"))
    status: RunStatus
    inputs: dict[str, Any]
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    duration_s: float | None
    error: Failure | None
    outputs: dict[str, Any] | None
    replay_of: str | None = Field(None, description="the run this one replays, if it is a replay")

    @field_validator("inputs", mode="before")
    @classmethod
    def _no_inputs(cls, value: Any) -> Any:
        return value or {}


class NodeVerdictPublic(BaseModel):
    """What a replay says of one node: identical, or what changed (``changes``: kind and
    message each; ``outputs``: the ports whose hashes differ, before and after)."""

    verdict: ReplayVerdict
    message: str
    changes: list[dict[str, str]] = Field(default_factory=list)
    outputs: dict[str, dict[str, str | None]] = Field(default_factory=dict)


class ReplayReport(BaseModel):
    """A replay run's comparison with the run it replays (``summary`` and ``nodes`` once it
    has finished; ``preflight``: models that changed on disk since, found before it ran)."""

    of: str
    preflight: list[dict[str, Any]] = Field(default_factory=list)
    summary: dict[str, Any] | None = None
    nodes: dict[str, NodeVerdictPublic] = Field(default_factory=dict)


class RunDetail(RunPublic):
    nodes: list[NodeResultPublic] = Field(validation_alias=AliasChoices("nodes", "node_results"))
    provenance: dict[str, Any] | None
    replay: ReplayReport | None = Field(None, description="for a replay: each node's verdict")


class RunsPublic(Row):
    data: list[RunPublic]
    count: int


class RunAccepted(BaseModel):
    id: str
    status: RunStatus
    events_url: str


class ReplayAccepted(RunAccepted):
    """A replay queued as a run of its own; ``preflight`` lists the models that changed on
    disk since the stored run (the replay's verdicts will show what that did)."""

    replay_of: str
    preflight: list[dict[str, Any]]


class GraphRun(In):
    inputs: dict[str, Any] = Field(default_factory=dict, description="io input node id -> value")
    version: int | None = Field(None, ge=1, le=MAX_INT, description="a version; the latest if unset")
    timeout_s: float = Field(30.0, ge=0, le=600, description="how long to wait for the outputs")


class GraphRunResult(BaseModel):
    run_id: str
    status: RunStatus
    outputs: dict[str, Any] | None = None
    error: Failure | None = None
    run_url: str
    events_url: str
