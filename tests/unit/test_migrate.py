"""Document migration: old node versions are upgraded step by step, and no input — however
malformed — makes migration or the missing-parts report raise."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from app.engine.migrate import migrate_document, missing_parts, stamp_versions
from app.engine.validate import validate
from nodes.registry import discover

REGISTRY = discover()
OLD = Path(__file__).resolve().parents[1] / "fixtures" / "old" / "splitter_v1.json"

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)
node_types = st.sampled_from(sorted(REGISTRY.nodes) + ["acme.unknown", ""])
nodes = st.fixed_dictionaries(
    {"id": st.text(max_size=5), "type": node_types},
    optional={"version": json_values, "params": json_values},
)
documents = st.one_of(json_values, st.fixed_dictionaries({"schema": st.just("genaisys.graph/1"),
                                                          "nodes": st.lists(nodes | json_values, max_size=5)}))


@settings(max_examples=300, deadline=None)
@given(documents)
def test_migration_never_raises_and_never_changes_its_input(document):
    before = json.dumps(document, sort_keys=True, default=str)
    migrated, notes = migrate_document(document, REGISTRY)
    missing_parts(migrated, REGISTRY)
    if isinstance(document, dict):
        stamp_versions(document, REGISTRY)
    validate(migrated, REGISTRY)
    assert json.dumps(document, sort_keys=True, default=str) == before
    assert all(n["to_version"] > n["from_version"] for n in notes)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["chunk_size", "chunk_overlap", "by", "size", "unit", "model"]),
                       json_values, max_size=4))
def test_v1_splitter_params_never_keep_old_names(params):
    doc = {"schema": "genaisys.graph/1",
           "nodes": [{"id": "s", "type": "encoders.text_splitter", "version": 1, "params": params}], "edges": []}
    migrated, notes = migrate_document(doc, REGISTRY)
    new = migrated["nodes"][0]["params"]
    assert not {"chunk_size", "chunk_overlap", "by"} & set(new)
    assert notes == [{"node_id": "s", "type": "encoders.text_splitter", "from_version": 1, "to_version": 2}]


def test_the_old_fixture_migrates_to_a_valid_graph():
    migrated, _ = migrate_document(json.loads(OLD.read_text()), REGISTRY)
    assert validate(migrated, REGISTRY).ok
    again, notes = migrate_document(migrated, REGISTRY)
    assert again == migrated and notes == []  # migrating twice changes nothing
