"""The analysis report (``POST /api/analyze``): a graph's models' memory, its outputs'
determinism and lineage, before anything runs (``app.engine.analysis``)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class AnalysisDevice(BaseModel):
    name: str = Field(description="the device the runtime will pick: cuda, mps or cpu")
    memory: str = Field(description="which memory holds the models there, in words (the RAM, on the CPU)")
    total_bytes: int | None
    available_bytes: int | None = Field(description="free now; None where it cannot be read")


class ModelMemory(BaseModel):
    node_id: str = Field(description="the node, by its path inside subgraphs (answer/llm)")
    model: str
    key: str = Field(description="what the model runtime shares the model by: nodes with the same key load it once")
    device: str
    dtype: str = Field(description="the dtype of its weights in memory")
    bytes: int | None = Field(description="estimated memory once loaded; None: not known before it loads (see note)")
    parameters: int | None
    source: str = Field(description="what the estimate was read from")
    note: str
    shared_with: str | None = Field(description="the node that loads the same model first: this one adds nothing")


class NodeReason(BaseModel):
    node_id: str
    reason: str


class NodeModel(BaseModel):
    node_id: str
    model: str


class OutputAnalysis(BaseModel):
    node_id: str = Field(description="an io output node of the graph")
    label: str
    deterministic: bool = Field(description="true iff no node at or upstream of it may vary between runs")
    nondeterministic: list[NodeReason] = Field(description="the nodes that make it vary, and why")
    inputs: list[str] = Field(description="the io input nodes it depends on")
    models: list[NodeModel] = Field(description="the model nodes it depends on")


class AnalysisReport(BaseModel):
    valid: bool
    problems: list[dict[str, Any]] = Field(description="the validation problems, as POST /api/validate reports them")
    warnings: list[dict[str, Any]] = Field(
        description="code (over_model_budget, over_device_memory, memory_unknown), message, and node_id or nodes")
    device: AnalysisDevice | None = Field(description="None for an invalid graph")
    budget_bytes: int = Field(description="the model budget (GENAISYS_MODEL_BUDGET_BYTES)")
    total_bytes: int = Field(description="the known models' memory together, each shared model once")
    models: list[ModelMemory]
    outputs: list[OutputAnalysis]
