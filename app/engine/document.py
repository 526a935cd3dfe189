"""The graph document, ``genaisys.graph/1``: one format for the canvas, the API, files,
the CLI and the database. Unknown fields are rejected, the ``schema`` field is required."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA = "genaisys.graph/1"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Position(_Strict):
    x: float = 0.0
    y: float = 0.0


class NodeSpec(_Strict):
    id: str = Field(min_length=1, max_length=200)
    type: str = Field(min_length=1, max_length=200)
    version: int | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    position: Position = Field(default_factory=Position)
    title: str | None = None
    """A user's own name for this node on the canvas."""


class EdgeSpec(_Strict):
    id: str = Field(min_length=1, max_length=200)
    source: str
    source_port: str
    target: str
    target_port: str


class GraphDocument(_Strict):
    schema_: Literal["genaisys.graph/1"] = Field(alias="schema")
    name: str = ""
    description: str = ""
    nodes: list[NodeSpec] = Field(default_factory=list)
    edges: list[EdgeSpec] = Field(default_factory=list)
    meta: dict[str, Any] = Field(default_factory=dict)
    """Free-form data of the canvas (viewport, groups); not read by the engine."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, mode="json")
