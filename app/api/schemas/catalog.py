"""The node catalog (``GET /api/nodes``): the payload the canvas lives on. Every field the
registry's catalog carries is declared (``extra="forbid"``: a key added there and not here
fails the round-trip test); the canvas's TypeScript types are generated from it."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

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
