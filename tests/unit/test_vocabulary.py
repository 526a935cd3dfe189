"""One vocabulary end to end: the statuses, event types, failure codes and share modes the
engine writes are enums, OpenAPI carries them (so the canvas's generated types do), and no
module spells one as a bare string."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from app.engine.executor import Executor
from app.engine.vocabulary import EventType, FailureCode, NodeStatus, RunStatus
from nodes.registry import default_registry
from storage.models import ShareMode

ROOT = Path(__file__).resolve().parents[2]
OPENAPI = json.loads((ROOT / "frontend" / "openapi.json").read_text(encoding="utf-8"))["components"]["schemas"]


@pytest.mark.parametrize("enum", [RunStatus, NodeStatus, EventType, FailureCode, ShareMode], ids=lambda e: e.__name__)
def test_openapi_carries_each_enum_as_a_union(enum):
    assert OPENAPI[enum.__name__]["enum"] == [m.value for m in enum]


def _refs(schema: dict) -> set[str]:
    return set(re.findall(r'"#/components/schemas/(\w+)"', json.dumps(schema)))


def test_the_response_fields_are_typed_by_the_enums():
    assert "RunStatus" in _refs(OPENAPI["RunPublic"]["properties"]["status"])
    assert "NodeStatus" in _refs(OPENAPI["NodeResultPublic"]["properties"]["status"])
    assert "FailureCode" in _refs(OPENAPI["Failure"]["properties"]["code"])
    assert "EventType" in _refs(OPENAPI["RunEventPublic"]["properties"]["type"])
    assert "ShareMode" in _refs(OPENAPI["SharePublic"]["properties"]["mode"])


WORDS = {m.value for e in (RunStatus, NodeStatus, EventType, FailureCode) for m in e} - {"timeout", "pending", "running"}
"""Words that mean nothing else in this code (``timeout``, ``running`` and ``pending`` also
name arguments and messages, so they are left out of the search)."""


def test_no_module_spells_a_status_event_or_code_as_a_string():
    words = "|".join(sorted(WORDS))
    pattern = re.compile(r'''(?<![\w.])["'](''' + words + r''')["']''')
    hits = []
    for path in [*(ROOT / "app").rglob("*.py"), *(ROOT / "storage").glob("*.py")]:
        if path.name == "vocabulary.py":
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            # HTTP error bodies have codes of their own (``internal_error`` among them), and
            # log lines are prose
            if pattern.search(code) and not re.search(r"error_body\(|log\.\w+\(", code):
                hits.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not hits, "use app.engine.vocabulary:\n" + "\n".join(hits)


def test_a_run_speaks_the_vocabulary():
    doc = {"schema": "genaisys.graph/1", "nodes": [
        {"id": "a", "type": "io.text_input", "params": {"value": "x"}},
        {"id": "b", "type": "utility.concat", "params": {"b": "y"}},
        {"id": "out", "type": "io.text_output", "params": {}}],
        "edges": [{"id": "e1", "source": "a", "source_port": "text", "target": "b", "target_port": "a"},
                  {"id": "e2", "source": "b", "source_port": "text", "target": "out", "target_port": "value"}]}
    events = []
    result = Executor(default_registry()).run(doc, on_event=events.append)
    assert isinstance(result.status, RunStatus) and result.status is RunStatus.SUCCEEDED
    assert all(isinstance(r.status, NodeStatus) for r in result.nodes.values())
    assert all(isinstance(e.type, EventType) for e in events)
    assert json.loads(json.dumps([e.to_json() for e in events]))[0]["type"] == "run_started"  # a member is its string
