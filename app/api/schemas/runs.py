"""Runs: queueing one, reading one and its nodes' results, and running a graph as an API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AliasChoices, BaseModel, Field, field_validator

from app.api.schemas.common import MAX_INT, In, Row


class RunCreate(In):
    graph_id: str | None = None
    version: int | None = Field(None, ge=1, le=MAX_INT, description="a version of graph_id; the latest if unset")
    document: dict[str, Any] | None = Field(None, description="run this document (with graph_id: an unsaved edit of that graph)")
    inputs: dict[str, Any] = Field(default_factory=dict, description="io input node id -> value")


class NodeResultPublic(Row):
    node_id: str
    type: str
    status: str
    reason: str | None = None
    cache_key: str | None = None
    started_at: datetime | None = None
    duration_s: float | None = None
    outputs: Any = None
    error: dict[str, Any] | None = None
    provenance: dict[str, Any] | None = None


class RunPublic(Row):
    id: str
    graph_id: str | None
    graph_version: int | None = Field(validation_alias=AliasChoices("graph_version", "graph_version_number"))
    status: str
    inputs: dict[str, Any]
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    duration_s: float | None
    error: dict[str, Any] | None
    outputs: dict[str, Any] | None

    @field_validator("inputs", mode="before")
    @classmethod
    def _no_inputs(cls, value: Any) -> Any:
        return value or {}


class RunDetail(RunPublic):
    nodes: list[NodeResultPublic] = Field(validation_alias=AliasChoices("nodes", "node_results"))
    provenance: dict[str, Any] | None


class RunsPublic(Row):
    data: list[RunPublic]
    count: int


class RunAccepted(BaseModel):
    id: str
    status: str
    events_url: str


class GraphRun(In):
    inputs: dict[str, Any] = Field(default_factory=dict, description="io input node id -> value")
    version: int | None = Field(None, ge=1, le=MAX_INT, description="a version; the latest if unset")
    timeout_s: float = Field(30.0, ge=0, le=600, description="how long to wait for the outputs")


class GraphRunResult(BaseModel):
    run_id: str
    status: str
    outputs: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    run_url: str
    events_url: str
