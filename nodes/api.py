"""The node definition API: a port is one object; a node is a small class with a `run`.

Like ComfyUI's V3 schema, each input carries its own name, type, default, limits, choices
and widget hint, so nothing has to line up by index. Like Haystack, `run` takes the inputs
as keyword arguments and returns a dict keyed by output name, and the class is cheap to
import: anything heavy (torch, models) is imported inside `run`, through the context.

An input with a scalar type doubles as a parameter: the canvas shows a widget for it, its
value is stored in the node's ``params``, and an edge wired into it takes precedence (as
ComfyUI's widget inputs do). Inputs with ``connectable=False`` are parameters only
(a model name, a label); inputs with ``widget=None`` and a non-scalar type are ports only.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, create_model

from nodes.types import Bindings, Type, Var, parse_type

if TYPE_CHECKING:
    from nodes.memory import MemoryEstimate

__all__ = ["Input", "Output", "Node", "Context", "NodeCancelled", "NodeError"]

_SCALAR_PYTHON: dict[str, Any] = {
    "Text": str,
    "Integer": int,
    "Number": float,
    "Boolean": bool,
    "Json": Any,
}
_DEFAULT_WIDGET = {"Text": "text", "Integer": "number", "Number": "number", "Boolean": "checkbox", "Json": "json"}
Widget = Literal["text", "multiline", "number", "slider", "select", "checkbox", "json", "file", "audio", "image"]
_ID = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
_PORT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_MISSING: Any = object()


class NodeError(Exception):
    """An error a node raises on purpose: its message is shown to the user as it is."""


class NodeCancelled(Exception):
    """Raised inside a node when the run was cancelled; the executor stops cleanly."""


@dataclass(frozen=True)
class Input:
    name: str
    type: Type | Var | str
    default: Any = _MISSING
    required: bool | None = None
    help: str = ""
    min: float | None = None
    max: float | None = None
    step: float | None = None
    choices: Sequence[Any] | None = None
    widget: Widget | None | Literal["auto"] = "auto"
    connectable: bool = True
    label: str = ""

    @property
    def shown(self) -> str:
        """The name the canvas shows on the node, which every message names it by."""
        return self.label or self.name.replace("_", " ")

    def __post_init__(self) -> None:
        if not _PORT.match(self.name):
            raise ValueError(f"input name {self.name!r} must be an identifier")
        if isinstance(self.type, str):
            object.__setattr__(self, "type", parse_type(self.type))
        if self.widget == "auto":
            widget = "select" if self.choices else _DEFAULT_WIDGET.get(self.type.name)  # type: ignore[union-attr]
            object.__setattr__(self, "widget", widget)
        if self.required is None:
            object.__setattr__(self, "required", self.default is _MISSING)
        if not self.connectable and self.widget is None:
            raise ValueError(f"input {self.name!r} is neither connectable nor editable")

    @property
    def port_type(self) -> Type | Var:
        return self.type  # type: ignore[return-value]

    @property
    def has_default(self) -> bool:
        return self.default is not _MISSING

    @property
    def is_param(self) -> bool:
        """Does this input take a value from the node's params (a widget)?"""
        return self.widget is not None and self.port_type.name in _SCALAR_PYTHON

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.shown,
            "type": self.port_type.to_json(),
            "required": self.required,
            "default": self.default if self.has_default else None,
            "has_default": self.has_default,
            "help": self.help,
            "min": self.min,
            "max": self.max,
            "step": self.step,
            "choices": list(self.choices) if self.choices is not None else None,
            "widget": self.widget if self.is_param else None,
            "connectable": self.connectable,
        }


@dataclass(frozen=True)
class Output:
    name: str
    type: Type | Var | str
    help: str = ""
    label: str = ""

    @property
    def shown(self) -> str:
        """The name the canvas shows on the node, which every message names it by."""
        return self.label or self.name.replace("_", " ")

    def __post_init__(self) -> None:
        if not _PORT.match(self.name):
            raise ValueError(f"output name {self.name!r} must be an identifier")
        if isinstance(self.type, str):
            object.__setattr__(self, "type", parse_type(self.type))

    @property
    def port_type(self) -> Type | Var:
        return self.type  # type: ignore[return-value]

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.shown,
            "type": self.port_type.to_json(),
            "help": self.help,
        }


class Context(Protocol):
    """What a running node may ask of the executor (see app.engine.context)."""

    node_id: str
    run_id: str
    owner_id: str | None
    """The user whose run this is, on a studio with users (``--auth``); None without. A node
    that keeps data between runs (a vector store) keeps each owner's apart by it."""
    max_text_output_bytes: int | None
    """The bound on one text output (None: none). A node that multiplies text checks the
    projected size against it before building the text."""

    def progress(self, fraction: float, message: str = "", preview: Any = None) -> None: ...

    def check_cancelled(self) -> None: ...

    @property
    def cancelled(self) -> bool: ...

    def sleep(self, seconds: float) -> None:
        """Wait, waking at once (with NodeCancelled) if the run is cancelled."""
        ...

    def log(self, message: str) -> None: ...

    def record(self, key: str, value: Any) -> None:
        """Add a fact to the run's provenance (a model identity, a seed)."""
        ...


@dataclass(frozen=True)
class Ports:
    inputs: tuple[Input, ...]
    outputs: tuple[Output, ...]
    by_name: Mapping[str, Input] = field(default_factory=dict)
    outputs_by_name: Mapping[str, Output] = field(default_factory=dict)

    @classmethod
    def of(cls, inputs: Sequence[Input], outputs: Sequence[Output]) -> Ports:
        return cls(
            tuple(inputs),
            tuple(outputs),
            {i.name: i for i in inputs},
            {o.name: o for o in outputs},
        )


class Node:
    """Base class of every node. Subclasses set the class attributes and write `run`."""

    type_id: ClassVar[str]
    version: ClassVar[int] = 1
    title: ClassVar[str] = ""
    category: ClassVar[str] = ""
    description: ClassVar[str] = ""
    inputs: ClassVar[Sequence[Input]] = ()
    outputs: ClassVar[Sequence[Output]] = ()
    role: ClassVar[Literal["input", "output", None]] = None
    """``input``/``output`` mark the graph's io nodes, read by the demo builder and the API."""
    uses_gpu: ClassVar[bool] = False
    """GPU work is serialised by one lock; everything else may run in parallel."""
    inline: ClassVar[bool] = False
    """Trivial nodes run on the scheduler's own thread: dispatching costs more than running."""
    cacheable: ClassVar[bool] = True

    _ports: ClassVar[Ports]
    _params_model: ClassVar[type[BaseModel]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "type_id" not in cls.__dict__:
            return  # an abstract helper base
        if not _ID.match(cls.type_id):
            raise ValueError(f"node id {cls.type_id!r} must be dotted lower-case, like 'kind.name'")
        if not cls.category:
            cls.category = cls.type_id.split(".", 1)[0]
        cls.title = cls.__dict__.get("title") or cls.type_id.rsplit(".", 1)[1].replace("_", " ").capitalize()
        names = [i.name for i in cls.inputs]
        if len(set(names)) != len(names):
            raise ValueError(f"{cls.type_id}: two inputs share a name")
        cls._ports = Ports.of(cls.inputs, cls.outputs)
        cls._params_model = params_model(cls.type_id, cls.inputs)
        _check_run_signature(cls)

    @classmethod
    def overrides(cls, hook: str) -> bool:
        """Does this node define its own ``hook`` (a classmethod of ``Node``), rather than the
        base's do-nothing one? The executor and warm start ask only the nodes that do."""
        return bool(getattr(cls, hook).__func__ is not getattr(Node, hook).__func__)

    @classmethod
    def input(cls, name: str) -> Input:
        """The declared input ``name`` (KeyError naming the node otherwise)."""
        for port in cls.inputs:
            if port.name == name:
                return port
        raise KeyError(f"{cls.type_id} has no input {name!r}")

    # -- ports that depend on params ----------------------------------------------------

    @classmethod
    def ports(cls, params: Mapping[str, Any]) -> Ports:
        """The ports for these params. Most nodes have fixed ports; override to add some
        (the prompt template grows one input per ``{slot}``). Must never raise."""
        return cls._ports

    @classmethod
    def upgrade(cls, params: dict[str, Any], from_version: int) -> dict[str, Any]:
        """Params saved by version ``from_version`` of this node, made valid for the next
        version. Override when a version renames or changes params (see app.engine.migrate)."""
        return params

    @classmethod
    def nondeterminism(cls, values: Mapping[str, Any]) -> str | None:
        """Why two runs with these input values may give different outputs, in words (say,
        "samples at temperature 0.7 without a fixed seed"), or None when they give the same.
        ``values`` holds what is known of the node's inputs by name (an unset one is absent:
        its default applies). A node that answers is never served from the result cache, and
        the analysis and replay report its outputs as non-deterministic."""
        return None

    @classmethod
    def memory_estimate(cls, values: Mapping[str, Any]) -> MemoryEstimate | None:
        """The memory this node's model will take once loaded, read from the model files'
        headers on the device the runtime will pick (see ``nodes.memory``); None for a node
        that loads no model. ``values`` as for ``nondeterminism``. Must never raise nor load
        anything: an estimate it cannot make has ``bytes=None`` and says why."""
        return None

    @classmethod
    def content_identity(cls, values: Mapping[str, Any]) -> str | None:
        """What the outputs depend on beyond the params and inputs — a model's weights, by
        their sha256 — or None. It is part of the node's cache key: a model file swapped under
        the same name runs the node again, saying "model changed". Asked for every run of the
        node, so keep it cheap (``nodes.runtime.sources.model_sha256`` remembers hashes)."""
        return None

    @classmethod
    def warm_up(cls, values: Mapping[str, Any]) -> bool:
        """Load what a run with these values will need (its model) into the shared model
        runtime, without running (Haystack's ``warm_up``): after a restart the studio does it
        for the models its latest runs used, so the next run finds them loaded. True if it
        loaded something; never called for a node that does not override it."""
        return False

    @classmethod
    def still_valid(cls, outputs: Mapping[str, Any], owner_id: str | None) -> bool:
        """Are these cached outputs still good, for the run's owner? For outputs that are
        handles rather than values (a vector store's collection): the handle names something
        outside the cache, which may have changed or gone since. False makes the node run
        again. Asked when a result is read back from the persistent cache (after a restart,
        or written by another process), once: a result this process made or checked is trusted."""
        return True

    @classmethod
    def type_bindings(cls, params: Mapping[str, Any]) -> Bindings:
        """Type variables the params already decide, e.g. ``{"d": 384}`` for an embedder
        whose model is known. The validator starts each node's inference from these."""
        return {}

    @classmethod
    def validate_params(cls, params: Mapping[str, Any]) -> dict[str, Any]:
        """Return the params that were set, coerced to their types (defaults stay out, so
        the cache key changes only when a user changes something); raise pydantic's error."""
        model = cls._params_model.model_validate(dict(params))
        return model.model_dump(exclude_unset=True)

    @classmethod
    def describe(cls) -> dict[str, Any]:
        """The catalog entry the canvas and `genaisys nodes --json` show."""
        return {
            "type": cls.type_id,
            "version": cls.version,
            "title": cls.title,
            "category": cls.category,
            "description": (cls.description or (cls.__doc__ or "")).strip(),
            "inputs": [i.to_json() for i in cls._ports.inputs],
            "outputs": [o.to_json() for o in cls._ports.outputs],
            "role": cls.role,
            "uses_gpu": cls.uses_gpu,
            "dynamic_ports": cls.overrides("ports"),
        }

    def run(self, ctx: Context, *args: Any, **inputs: Any) -> dict[str, Any]:
        """Compute the outputs: called as ``run(ctx, **inputs)``, the node's inputs by name;
        returns a dict keyed by output name. Subclasses name their inputs as parameters (or
        take ``**inputs`` for dynamic ports); ``*args`` is here only so that an override with
        named parameters type-checks (the executor never passes inputs by position)."""
        raise NotImplementedError


def params_model(type_id: str, inputs: Sequence[Input]) -> type[BaseModel]:
    """A pydantic model of a node's editable inputs, with their limits and choices."""
    fields: dict[str, Any] = {}
    for port in inputs:
        if not port.is_param:
            continue
        py: Any = _SCALAR_PYTHON[port.port_type.name]
        if port.choices is not None:
            py = Literal[tuple(port.choices)]
        constraints: dict[str, Any] = {"description": port.help or None}
        if port.min is not None:
            constraints["ge"] = port.min
        if port.max is not None:
            constraints["le"] = port.max
        default = port.default if port.has_default else None
        fields[port.name] = (py | None, Field(default, **constraints))
    name = "Params_" + type_id.replace(".", "_")
    return create_model(name, __config__=ConfigDict(extra="forbid", strict=False), **fields)


def _check_run_signature(cls: type[Node]) -> None:
    """A node's inputs are declared once, as ``Input`` objects: ``run()`` takes each by name,
    and a default it repeats must be the declared one (None for an input without one, which
    arrives as None when unwired). A node that disagrees with itself is refused when its
    module loads, naming the input."""
    try:
        signature = inspect.signature(cls.run)
    except (TypeError, ValueError):
        return
    params = list(signature.parameters.values())[2:]  # self, ctx
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return  # dynamic ports (the template's slots): names are the node's own business
    named = {p.name: p for p in params if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)}
    declared = {i.name: i for i in cls.inputs}
    missing, extra = sorted(set(declared) - set(named)), sorted(set(named) - set(declared))
    if missing or extra:
        parts = ([f"run() does not take the input(s) {', '.join(missing)}"] if missing else []) + (
            [f"run() takes {', '.join(extra)}, which is not a declared input"] if extra else [])
        raise ValueError(f"{cls.type_id}: {'; '.join(parts)}")
    for name, param in named.items():
        if param.default is inspect.Parameter.empty:
            continue
        port = declared[name]
        expected = port.default if port.has_default else None
        if param.default != expected or type(param.default) is not type(expected):
            raise ValueError(f"{cls.type_id}: run() gives input {name!r} the default {param.default!r}, but the input "
                             f"declares {expected!r}: declare it once, on the Input")
