"""Analysis before running: what a graph's models will weigh, which of its outputs repeat
from run to run, and what each output depends on — all read from the document and the model
files' headers, with nothing loaded and nothing run.

- **Memory.** Each model node answers ``memory_estimate(values)`` (``nodes.memory``): the
  bytes its model will take on the device the runtime will pick. Nodes whose estimates share
  a runtime key share one loaded model and count once. The total is set against the model
  budget (``GENAISYS_MODEL_BUDGET_BYTES``) and the device's memory (the RAM, on the CPU);
  going over either is a warning pinned to the model nodes, before any load.
- **Determinism.** Each node answers ``nondeterminism(values)``: a reason, or None. An
  output is deterministic iff neither it nor any node upstream of it answers a reason; a
  non-deterministic output names the nodes that make it so.
- **Lineage.** Each output lists the io inputs and the model nodes upstream of it.

A graph with subgraphs is analysed flattened (``subgraphs.flatten``), so inner models count
and inner nodes are named by their paths (``answer/llm``). ``values`` are a node's params,
with a wired input taken from the io input that feeds it directly (its current value: a run
may give another); an input wired from any other node is unknown and left out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from app.engine.checked import CheckedGraph
from app.engine.problems import Problem
from app.engine.subgraphs import Resolver, flatten, has_subgraphs
from app.engine.validate import validate
from nodes.api import NodeError
from nodes.memory import MemoryEstimate, human_bytes, unknown
from nodes.registry import Registry
from nodes.runtime.config import current
from nodes.runtime.device import device_memory, planned_device

WARNING_CODES = {
    "over_model_budget": "the models a graph loads weigh more than the model budget",
    "over_device_memory": "the models a graph loads weigh more than the device's memory has free",
    "memory_unknown": "a model's size cannot be known before it loads",
}


@dataclass(frozen=True)
class ModelUse:
    node_id: str
    estimate: MemoryEstimate
    shared_with: str | None = None
    """The first node that loads the same model (same runtime key): this one adds nothing."""

    def to_json(self) -> dict[str, Any]:
        return {"node_id": self.node_id, **self.estimate.to_json(), "shared_with": self.shared_with}


@dataclass(frozen=True)
class OutputFacts:
    node_id: str
    label: str
    nondeterministic: tuple[tuple[str, str], ...]
    """(node id, reason) of each node at or upstream of the output that makes it vary."""
    inputs: tuple[str, ...]
    models: tuple[tuple[str, str], ...]
    """(node id, model name) of each model node upstream."""

    @property
    def deterministic(self) -> bool:
        return not self.nondeterministic

    def to_json(self) -> dict[str, Any]:
        return {
            "node_id": self.node_id,
            "label": self.label,
            "deterministic": self.deterministic,
            "nondeterministic": [{"node_id": n, "reason": r} for n, r in self.nondeterministic],
            "inputs": list(self.inputs),
            "models": [{"node_id": n, "model": m} for n, m in self.models],
        }


@dataclass
class Analysis:
    checked: CheckedGraph
    device: str = ""
    memory_kind: str = ""
    memory_total: int | None = None
    memory_available: int | None = None
    budget_bytes: int = 0
    models: list[ModelUse] = field(default_factory=list)
    outputs: list[OutputFacts] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.checked.ok

    @property
    def total_bytes(self) -> int:
        """The known models' bytes together, each shared model once."""
        return sum(m.estimate.bytes or 0 for m in self.models if m.shared_with is None)

    def report(self) -> dict[str, Any]:
        """The JSON ``POST /api/analyze`` and ``genaisys analyze --json`` return."""
        device = {"name": self.device, "memory": self.memory_kind, "total_bytes": self.memory_total,
                  "available_bytes": self.memory_available} if self.ok else None
        return {
            "valid": self.ok,
            "problems": [p.to_json() for p in self.checked.problems],
            "warnings": [w.to_json() for w in self.warnings],
            "device": device,
            "budget_bytes": self.budget_bytes,
            "total_bytes": self.total_bytes,
            "models": [m.to_json() for m in self.models],
            "outputs": [o.to_json() for o in self.outputs],
        }


def analyze(document: Any, registry: Registry, *, subgraphs: Resolver | None = None,
            budget_bytes: int | None = None) -> Analysis:
    """Validate ``document`` (subgraphs resolved as ``validate`` does) and, if it is valid,
    analyse it. Never raises for a bad document: its problems are the report."""
    checked = validate(document, registry, subgraphs=subgraphs)
    budget = current().model_budget_bytes if budget_bytes is None else budget_bytes
    if not checked.ok:
        return Analysis(checked, budget_bytes=budget)
    params = {nid: node.params for nid, node in checked.nodes.items()}
    flat, flat_params = flatten(checked, params) if has_subgraphs(checked) else (checked, params)
    try:
        device = planned_device()
        total, available, kind = device_memory(device)
    except NodeError as exc:  # a configured device this machine lacks: every model would fail to load
        device, total, available, kind = current().device, None, None, str(exc)
    analysis = Analysis(checked, device, kind, total, available, budget)
    order = list(nx.topological_sort(flat.graph))
    values = {nid: _values(flat, flat_params, nid) for nid in order}
    analysis.models = _models(flat, order, values)
    reasons = {nid: why for nid in order if (why := _reason(flat, nid, values[nid])) is not None}
    top = [nid for nid in checked.nodes if nid in flat.nodes and flat.nodes[nid].cls.role == "output"]
    analysis.outputs = [_output(flat, flat_params, nid, order, reasons, analysis.models) for nid in top]
    analysis.warnings = _warnings(analysis)
    return analysis


def _values(flat: CheckedGraph, params: Mapping[str, dict[str, Any]], nid: str) -> dict[str, Any]:
    """What is known of ``nid``'s inputs before a run (see the module's docstring)."""
    values = dict(params.get(nid, {}))
    for port, (src, _) in flat.nodes[nid].incoming.items():
        values.pop(port, None)
        source = flat.nodes[src]
        if source.cls.role == "input":
            given = params.get(src, {})
            if "value" in given:
                values[port] = given["value"]
            elif any(i.name == "value" and i.has_default for i in source.cls.inputs):
                values[port] = source.cls.input("value").default
    return values


def _reason(flat: CheckedGraph, nid: str, values: Mapping[str, Any]) -> str | None:
    try:
        return flat.nodes[nid].cls.nondeterminism(values)
    except Exception as exc:  # a node's hook that fails cannot vouch for its output
        return f"its nondeterminism check failed ({type(exc).__name__}: {exc})"


def _models(flat: CheckedGraph, order: list[str], values: Mapping[str, Mapping[str, Any]]) -> list[ModelUse]:
    uses: list[ModelUse] = []
    first: dict[str, str] = {}
    for nid in order:
        cls = flat.nodes[nid].cls
        try:
            estimate = cls.memory_estimate(values[nid])
        except Exception as exc:  # a hook must not raise; if one does, its size is unknown
            estimate = unknown(str(values[nid].get("model", "")), f"{cls.type_id}:{nid}", "", "",
                               f"its estimate failed ({type(exc).__name__}: {exc})")
        if estimate is None:
            continue
        uses.append(ModelUse(nid, estimate, first.get(estimate.key)))
        first.setdefault(estimate.key, nid)
    return uses


def _output(flat: CheckedGraph, params: Mapping[str, dict[str, Any]], nid: str, order: list[str],
            reasons: Mapping[str, str], models: list[ModelUse]) -> OutputFacts:
    upstream = nx.ancestors(flat.graph, nid) | {nid}
    label = params.get(nid, {}).get("label") or _default_label(flat, nid)
    return OutputFacts(
        node_id=nid,
        label=str(label),
        nondeterministic=tuple((n, reasons[n]) for n in order if n in upstream and n in reasons),
        inputs=tuple(n for n in order if n in upstream and flat.nodes[n].cls.role == "input"),
        models=tuple((m.node_id, m.estimate.model) for m in models if m.node_id in upstream),
    )


def _default_label(flat: CheckedGraph, nid: str) -> str:
    try:
        return str(flat.nodes[nid].cls.input("label").default)
    except KeyError:
        return nid


def _warnings(analysis: Analysis) -> list[Problem]:
    out = [Problem("memory_unknown", f"the memory of model {m.estimate.model!r} on node {m.node_id!r} is not known "
                   f"before it loads: {m.estimate.note}", node_id=m.node_id)
           for m in analysis.models if m.estimate.bytes is None and m.shared_with is None]
    pinned = tuple(m.node_id for m in analysis.models)
    total, budget = analysis.total_bytes, analysis.budget_bytes
    loaded = [m for m in analysis.models if m.shared_with is None and m.estimate.bytes is not None]
    if total > budget:
        if len(loaded) == 1:
            message = (f"model {loaded[0].estimate.model!r} needs about {human_bytes(total)} on the {analysis.device}, more "
                       f"than the model budget of {human_bytes(budget)}: the runtime loads it anyway, after unloading every "
                       "other model; raise GENAISYS_MODEL_BUDGET_BYTES or pick a smaller model")
        else:
            each = ", ".join(f"{m.estimate.model} {human_bytes(m.estimate.bytes)}" for m in loaded)
            message = (f"the models of this graph need about {human_bytes(total)} together ({each}), more than the model "
                       f"budget of {human_bytes(budget)}: the runtime will unload one to load the next, so every run reloads "
                       "models; raise GENAISYS_MODEL_BUDGET_BYTES or use fewer or smaller models")
        out.append(Problem("over_model_budget", message, node_id=pinned[0] if len(pinned) == 1 else None, nodes=pinned))
    room = analysis.memory_available if analysis.memory_available is not None else analysis.memory_total
    here = sum(m.estimate.bytes or 0 for m in loaded if m.estimate.device.split(":")[0] == analysis.device.split(":")[0])
    if room is not None and here > room:
        out.append(Problem("over_device_memory", f"the models of this graph need about {human_bytes(here)} on the "
                           f"{analysis.device}, more than the "
                           f"{human_bytes(room)} of {analysis.memory_kind} free now: loading them may fail or swap; free "
                           "memory, or use fewer or smaller models", node_id=pinned[0] if len(pinned) == 1 else None,
                           nodes=pinned))
    return out
