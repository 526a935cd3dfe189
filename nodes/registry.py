"""Find the node classes on disk and keep them by id.

Folders mirror the palette (`nodes/io`, `nodes/utility`, ...), one node per module. A
module that fails to import is recorded in ``load_errors`` and shown in the catalog;
it never stops the program (chaiNNer does the same, ComfyUI prints and moves on).
"""

from __future__ import annotations

import difflib
import importlib
import importlib.util
import inspect
import pkgutil
import sys
import traceback
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import Any

from nodes.api import Node
from nodes.types import type_catalog

KINDS = ("io", "utility", "encoders", "models", "stores", "graph")


@dataclass
class LoadError:
    module: str
    error: str
    detail: str

    def to_json(self) -> dict[str, str]:
        return {"module": self.module, "error": self.error}


@dataclass
class Registry:
    nodes: dict[str, type[Node]] = field(default_factory=dict)
    load_errors: list[LoadError] = field(default_factory=list)

    def add(self, cls: type[Node]) -> type[Node]:
        existing = self.nodes.get(cls.type_id)
        if existing is not None and existing is not cls:
            raise ValueError(f"two nodes claim the id {cls.type_id!r}: {existing} and {cls}")
        self.nodes[cls.type_id] = cls
        return cls

    def extend(self, classes: Iterable[type[Node]]) -> Registry:
        for cls in classes:
            self.add(cls)
        return self

    def get(self, type_id: str) -> type[Node] | None:
        return self.nodes.get(type_id)

    def __contains__(self, type_id: object) -> bool:
        return type_id in self.nodes

    def __iter__(self) -> Iterator[type[Node]]:
        return iter(self.nodes.values())

    def suggest(self, type_id: str) -> str | None:
        """The closest known id, for 'did you mean ...?'."""
        ids = list(self.nodes)
        close = difflib.get_close_matches(type_id, ids, n=1, cutoff=0.5)
        if close:
            return close[0]
        tail = type_id.rsplit(".", 1)[-1]
        by_tail = [i for i in ids if i.rsplit(".", 1)[-1] == tail]
        return by_tail[0] if by_tail else None

    def catalog(self) -> dict[str, Any]:
        """The JSON the canvas reads: every node, every type (with the data of the type rule
        that the canvas's local check applies), and what failed to load."""
        nodes = sorted(self.nodes.values(), key=lambda c: (KINDS.index(c.category) if c.category in KINDS else 99, c.type_id))
        return {
            "nodes": [cls.describe() for cls in nodes],
            "types": type_catalog(),
            "categories": [k for k in KINDS if any(c.category == k for c in nodes)]
            + sorted({c.category for c in nodes} - set(KINDS)),
            "load_errors": [e.to_json() for e in self.load_errors],
        }


def discover(package: str = "nodes", kinds: Iterable[str] = KINDS) -> Registry:
    """Import every module under ``package.<kind>`` and register the nodes they define."""
    registry = Registry()
    for kind in kinds:
        try:
            pkg = importlib.import_module(f"{package}.{kind}")
        except Exception as exc:  # a broken package folder: report, go on
            registry.load_errors.append(_error(f"{package}.{kind}", exc))
            continue
        for info in pkgutil.iter_modules(getattr(pkg, "__path__", [])):  # a plain module: no nodes
            if info.name.startswith("_"):
                continue
            name = f"{pkg.__name__}.{info.name}"
            try:
                module = importlib.import_module(name)
            except Exception as exc:
                registry.load_errors.append(_error(name, exc))
                continue
            _add_module_nodes(registry, module, name)
    return registry


def _add_module_nodes(registry: Registry, module: ModuleType, name: str) -> None:
    for _, obj in inspect.getmembers(module, inspect.isclass):
        if issubclass(obj, Node) and obj.__module__ == name and "type_id" in obj.__dict__:
            try:
                registry.add(obj)
            except ValueError as exc:
                registry.load_errors.append(_error(name, exc))


def _error(module: str, exc: BaseException) -> LoadError:
    return LoadError(module, f"{type(exc).__name__}: {exc}", traceback.format_exc())


@lru_cache(maxsize=1)
def default_registry() -> Registry:
    """The shipped nodes plus the configured custom node folders (``GENAISYS_CUSTOM_NODES``,
    separated by the OS path separator: ``nodes.runtime.config``)."""
    from nodes.runtime.config import current

    registry = discover()
    for folder in current().custom_nodes:
        load_folder(registry, folder)
    return registry


def load_folder(registry: Registry, folder: Path) -> Registry:
    """Load custom nodes: every ``*.py`` file in ``folder`` (ComfyUI's ``custom_nodes``).

    Each file is imported as its own module; its node classes are added, and a file that
    fails is reported in ``load_errors`` like any other node module."""
    for path in sorted(folder.glob("*.py")):
        if path.name.startswith("_"):
            continue
        name = f"genaisys_custom.{path.stem}"
        try:
            spec = importlib.util.spec_from_file_location(name, path)
            if spec is None or spec.loader is None:
                raise ImportError(f"cannot load {path}")
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            spec.loader.exec_module(module)
        except Exception as exc:
            sys.modules.pop(name, None)
            registry.load_errors.append(_error(str(path), exc))
            continue
        _add_module_nodes(registry, module, name)
    return registry
