"""The API's request and response shapes, one family per resource (separate from the
SQLAlchemy tables, as FastAPI's full-stack template does)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

MAX_INT = 2**31 - 1
"""The largest number a version, offset or count may be: what every database stores."""


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- graphs ------------------------------------------------------------------------------


class GraphCreate(_In):
    document: dict[str, Any] = Field(description="a genaisys.graph/1 document")
    message: str = Field("", max_length=2000)


class GraphUpdate(_In):
    document: dict[str, Any]
    based_on: int = Field(ge=1, le=MAX_INT, description="the version this edit started from")
    message: str = Field("", max_length=2000)


class GraphRestore(_In):
    message: str | None = Field(None, max_length=2000)


class GraphPublic(BaseModel):
    id: str
    name: str
    description: str
    latest_version: int
    created_at: datetime
    updated_at: datetime
    deleted: bool = False


class GraphDetail(GraphPublic):
    version: int
    document: dict[str, Any]
    problems: list[dict[str, Any]] = Field(default_factory=list, description="validator findings; saving does not need a valid graph")


class GraphsPublic(BaseModel):
    data: list[GraphPublic]
    count: int


class VersionPublic(BaseModel):
    number: int
    message: str
    created_at: datetime


class VersionDetail(VersionPublic):
    graph_id: str
    document: dict[str, Any]


class VersionsPublic(BaseModel):
    data: list[VersionPublic]
    count: int


# -- validation --------------------------------------------------------------------------


class ValidationReport(BaseModel):
    valid: bool
    problems: list[dict[str, Any]]
    types: dict[str, dict[str, dict[str, str]]]


# -- runs --------------------------------------------------------------------------------


class RunCreate(_In):
    graph_id: str | None = None
    version: int | None = Field(None, ge=1, le=MAX_INT, description="a version of graph_id; the latest if unset")
    document: dict[str, Any] | None = Field(None, description="run this document (with graph_id: an unsaved edit of that graph)")
    inputs: dict[str, Any] = Field(default_factory=dict, description="io input node id -> value")


class NodeResultPublic(BaseModel):
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


class RunPublic(BaseModel):
    id: str
    graph_id: str | None
    graph_version: int | None
    status: str
    inputs: dict[str, Any]
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    duration_s: float | None
    error: dict[str, Any] | None
    outputs: dict[str, Any] | None


class RunDetail(RunPublic):
    nodes: list[NodeResultPublic]
    provenance: dict[str, Any] | None


class RunsPublic(BaseModel):
    data: list[RunPublic]
    count: int


class RunAccepted(BaseModel):
    id: str
    status: str
    events_url: str


# -- the node catalog (GET /api/nodes) -----------------------------------------------------
# The payload the canvas lives on. Every field the registry's catalog carries is declared
# (``extra="forbid"``: a key added there and not here fails the round-trip test).

Widget = Literal["text", "multiline", "number", "slider", "select", "checkbox", "json", "file", "audio", "image"]


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PortTypeJson(_Out):
    """A port's type, as ``nodes.types`` serialises it; ``var`` marks a bare variable (``T``)."""

    name: str
    label: str
    args: list[PortTypeJson | TypeVarJson | int | None] = Field(
        description="type arguments: types, variables, known dimensions, or null for an unknown one")
    color: str
    var: str | None = Field(None, description="the variable's name, for a bare variable port")


class TypeVarJson(_Out):
    var: str


class CatalogInput(_Out):
    name: str
    label: str = Field(description="what the node shows; problems name the port by it")
    type: PortTypeJson
    required: bool
    default: Any = Field(description="the value when unset (JSON); meaningful when has_default")
    has_default: bool
    help: str
    min: int | float | None
    max: int | float | None
    step: int | float | None
    choices: list[Any] | None
    widget: Widget | None = Field(description="the editor the canvas shows; null for a port without one")
    connectable: bool


class CatalogOutput(_Out):
    name: str
    label: str
    type: PortTypeJson
    help: str


class CatalogNode(_Out):
    type: str
    version: int
    title: str
    category: str
    description: str
    inputs: list[CatalogInput]
    outputs: list[CatalogOutput]
    role: Literal["input", "output"] | None
    uses_gpu: bool
    dynamic_ports: bool = Field(description="its ports depend on its params (the validator reports them)")


class CatalogType(_Out):
    name: str
    color: str
    args: list[Literal["type", "dim"]] = Field(description="the kind of each type argument")
    widens_to: list[str] = Field(description="types a value of this type may also feed")
    takes_single_item: bool = Field(description="an input of this type takes one value of its item type (lifting)")
    liftable: bool = Field(description="a value of this type may be lifted into a list input")


class CatalogLoadError(_Out):
    module: str
    error: str


class Catalog(_Out):
    nodes: list[CatalogNode]
    types: list[CatalogType]
    categories: list[str]
    load_errors: list[CatalogLoadError]
