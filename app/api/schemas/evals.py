"""Evaluations: starting one on a saved graph version, reading one, listing a graph's."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from app.api.schemas.common import MAX_INT, In, Row
from app.engine.checks import CheckKind
from app.engine.vocabulary import EvalEventType, RunStatus


class CheckCreate(In):
    """One check on an io output, for every case (the rules: docs/decisions.md, Evaluation)."""

    output: str = Field(max_length=200, description="the io output node whose value is checked")
    kind: CheckKind
    name: str | None = Field(None, max_length=200, description="how the summary names it; `<output> <kind>` if unset")
    expected: Any = Field(None, description="the expected value for every case (or give column)")
    column: str | None = Field(None, max_length=200, description="the case column that holds the expected value")
    tolerance: float | None = Field(None, ge=0, description="number_within: the largest difference that passes")
    field: str | None = Field(None, max_length=500, description="json_field_equals: the dotted path of the field")
    max: float | None = Field(None, ge=0, description="wer_at_most: the largest word error rate that passes")


class EvalCreate(In):
    cases: list[dict[str, Any]] | None = Field(None, max_length=10_000, description="the cases inline: column -> value")
    file: str | None = Field(None, max_length=1000, description="or a cases file: an upload's path (uploads/<sha256>.csv) "
                             "or a path the server lets graphs read (.json, .jsonl, .csv)")
    checks: list[CheckCreate] = Field(default_factory=list, max_length=100,
                                      description="added after a .json file's own checks")
    version: int | None = Field(None, ge=1, le=MAX_INT, description="the graph version to evaluate; the latest if unset")


class EvalAccepted(BaseModel):
    id: str
    status: RunStatus
    graph_id: str
    version: int
    url: str
    events_url: str


class EvalPublic(Row):
    id: str
    graph_id: str
    version: int
    status: RunStatus
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    duration_s: float | None
    cases_count: int
    done_count: int
    passed_count: int
    checks: list[dict[str, Any]]
    summary: dict[str, Any] = Field(description="per check name: output, kind, passed, failed, skipped, pass_rate")
    error: dict[str, Any] | None = None


class EvalDetail(EvalPublic):
    results: list[dict[str, Any]] = Field(description="per case: id, status, inputs, outputs, checks, error, duration_s")


class EvalsPublic(BaseModel):
    data: list[EvalPublic]
    count: int


class EvalEventPublic(BaseModel):
    """One evaluation event, as its websocket sends it and ``GET /api/evals/{id}/events`` lists it."""

    type: EvalEventType
    evaluation_id: str
    seq: int
    ts: float | None = None
    data: dict[str, Any] = Field(default_factory=dict)
