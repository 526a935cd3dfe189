"""Graphs and their versions: requests, responses, and the one function that builds the
answer of every route that saves a version."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from app.api.schemas.common import MAX_INT, In, Row
from app.engine.subgraphs import Resolver
from app.engine.validate import CheckedGraph, validate
from nodes.registry import Registry


class GraphCreate(In):
    document: dict[str, Any] = Field(description="a genaisys.graph/1 document")
    message: str = Field("", max_length=2000)


class GraphUpdate(In):
    document: dict[str, Any]
    based_on: int = Field(ge=1, le=MAX_INT, description="the version this edit started from")
    message: str = Field("", max_length=2000)


class GraphRestore(In):
    message: str | None = Field(None, max_length=2000)


class GraphPublic(Row):
    id: str
    name: str
    description: str
    latest_version: int
    created_at: datetime
    updated_at: datetime
    deleted: bool = Field(False, validation_alias="is_deleted")


class GraphDetail(GraphPublic):
    version: int
    document: dict[str, Any]
    problems: list[dict[str, Any]] = Field(default_factory=list, description="validator findings; saving does not need a valid graph")


class GraphsPublic(Row):
    data: list[GraphPublic]
    count: int


class VersionPublic(Row):
    number: int
    message: str
    created_at: datetime


class VersionDetail(VersionPublic):
    graph_id: str
    document: dict[str, Any]


class VersionsPublic(Row):
    data: list[VersionPublic]
    count: int


class ImportReport(Row):
    graph: GraphDetail
    migrated: list[dict[str, Any]]
    missing: list[dict[str, Any]]


def graph_detail(graph: Any, version: Any, checked: CheckedGraph | None, registry: Registry,
                 subgraphs: Resolver | None = None) -> GraphDetail:
    """The response of every route that saves a version. It is serialised once here, inside the
    caller's transaction: FastAPI serialises only after the handler returns, after the commit,
    so a document that could be stored but not serialised used to answer 500 *and* stay saved,
    a graph that never opened again. Now such a failure rolls the save back."""
    checked = checked or validate(version.document, registry, subgraphs=subgraphs, graph_id=graph.id)
    detail = GraphDetail(**GraphPublic.model_validate(graph).model_dump(), version=version.number,
                         document=version.document, problems=[p.to_json() for p in checked.problems])
    detail.model_dump_json()
    return detail
