"""Replay's verdicts: a stored run and its re-run compared node by node.

A node is ``identical`` when every output hashes the same as the stored run's; else it
``differs``, and the verdict says what changed in what the node depended on: a model's
sha256, device or dtype, the node's version, a seed, a library's version, or an input that
itself came out different. When nothing it depended on changed, the difference is the node's
own: "same provenance, different output" (non-determinism). A node the stored run kept no
hashes for is ``not_comparable``; one that did not finish in the replay is ``failed``.

Pure: both sides come in as plain dicts, so the server, the CLI and the tests share it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.engine.provenance import with_all_hashes
from app.engine.vocabulary import NodeStatus, ReplayVerdict

MODEL_PREFIX = "model:"
MODEL_FIELDS = ("sha256", "device", "dtype", "compute_type")
FINISHED = (NodeStatus.SUCCEEDED, NodeStatus.CACHED)


@dataclass(frozen=True)
class NodeSide:
    """One node in one run: how it ended, what it recorded, its outputs' hashes."""

    status: str
    provenance: Mapping[str, Any] = field(default_factory=dict)
    output_hashes: Mapping[str, str | None] = field(default_factory=dict)
    error: str | None = None

    @classmethod
    def stored(cls, status: str, provenance: Mapping[str, Any] | None, error: Mapping[str, Any] | None = None,
               outputs: Mapping[str, Any] | None = None) -> NodeSide:
        """A node result as the database keeps it: hashes inside its provenance, but for the
        outputs stored as themselves, whose hashes are computed from them here."""
        prov = with_all_hashes(provenance, outputs) or {}
        hashes = prov.pop("output_hashes", None) or {}
        return cls(status, prov, hashes, (error or {}).get("message"))


@dataclass
class NodeVerdict:
    node_id: str
    verdict: ReplayVerdict
    changes: list[dict[str, str]] = field(default_factory=list)
    """Each ``{"kind", "message"}``; kinds: model_sha256, model_device, model_dtype,
    model_compute_type, model_added, model_removed, node_version, seed, library, input,
    nondeterministic."""
    outputs: dict[str, dict[str, str | None]] = field(default_factory=dict)
    """The ports that differ: ``{"before": hash, "after": hash}``."""

    @property
    def message(self) -> str:
        if self.verdict is ReplayVerdict.IDENTICAL:
            return "identical"
        return "; ".join(c["message"] for c in self.changes) or self.verdict.value

    def to_json(self) -> dict[str, Any]:
        return {"verdict": self.verdict, "message": self.message, "changes": self.changes, "outputs": self.outputs}


def compare(
    order: Sequence[str],
    upstream: Mapping[str, Sequence[str]],
    before: Mapping[str, NodeSide],
    after: Mapping[str, NodeSide],
    *,
    libraries_before: Mapping[str, Any] | None = None,
    libraries_after: Mapping[str, Any] | None = None,
    random: Mapping[str, str] | None = None,
) -> dict[str, NodeVerdict]:
    """The verdict of each node in ``order`` (upstream first). ``upstream`` maps a node to
    the nodes feeding it; ``random`` a node to why its values make it non-deterministic."""
    library_changes = _library_changes(libraries_before or {}, libraries_after or {})
    verdicts: dict[str, NodeVerdict] = {}
    for nid in order:
        new, old = after.get(nid), before.get(nid)
        if new is None or new.status not in FINISHED:
            why = (new.error if new is not None else None) or "it did not run in the replay"
            verdicts[nid] = NodeVerdict(nid, ReplayVerdict.FAILED, [{"kind": "did_not_finish", "message": why}])
            continue
        if old is None or not old.output_hashes:
            why = ("the stored run did not finish this node" if old is None or old.status not in FINISHED
                   else "the stored run kept no hashes of its outputs (it ran before they were kept)")
            verdicts[nid] = NodeVerdict(nid, ReplayVerdict.NOT_COMPARABLE, [{"kind": "no_hash", "message": why}])
            continue
        verdicts[nid] = _verdict(nid, old, new, [u for u in upstream.get(nid, ()) if u in verdicts], verdicts,
                                 library_changes, (random or {}).get(nid))
    return verdicts


def _verdict(nid: str, old: NodeSide, new: NodeSide, feeders: list[str], verdicts: Mapping[str, NodeVerdict],
             library_changes: list[dict[str, str]], random: str | None) -> NodeVerdict:
    ports = sorted(set(old.output_hashes) | set(new.output_hashes))
    unhashable = [p for p in ports if not old.output_hashes.get(p) or not new.output_hashes.get(p)]
    differing = {p: {"before": old.output_hashes.get(p), "after": new.output_hashes.get(p)} for p in ports
                 if p not in unhashable and old.output_hashes.get(p) != new.output_hashes.get(p)}
    if not differing:
        if unhashable:
            return NodeVerdict(nid, ReplayVerdict.NOT_COMPARABLE, [{
                "kind": "no_hash", "message": f"output(s) {', '.join(unhashable)} cannot be hashed, so not compared"}])
        return NodeVerdict(nid, ReplayVerdict.IDENTICAL)
    changes = provenance_changes(old.provenance, new.provenance)
    differing_feeders = [f for f in feeders if verdicts[f].verdict is ReplayVerdict.DIFFERS]
    if not differing_feeders:  # the difference starts here: a library may be why
        changes += library_changes
    changes += [{"kind": "input", "message": f"its input from {f!r} differs"} for f in differing_feeders]
    if random:
        changes.append({"kind": "nondeterministic", "message": f"non-deterministic: {random}"})
    if not changes:
        changes.append({"kind": "nondeterministic", "message": "same provenance, different output (non-deterministic)"})
    return NodeVerdict(nid, ReplayVerdict.DIFFERS, changes, differing)


def provenance_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[dict[str, str]]:
    """What differs between two records of one node: its version, models, seed."""
    changes: list[dict[str, str]] = []
    if before.get("node_version") != after.get("node_version") and before.get("node_version") is not None:
        changes.append({"kind": "node_version",
                        "message": f"node version changed {before.get('node_version')} → {after.get('node_version')}"})
    models = sorted({k for k in (*before, *after) if k.startswith(MODEL_PREFIX)})
    for key in models:
        name = key[len(MODEL_PREFIX):]
        old, new = before.get(key), after.get(key)
        if not isinstance(old, Mapping):
            changes.append({"kind": "model_added", "message": f"model {name!r} was not used before"})
            continue
        if not isinstance(new, Mapping):
            changes.append({"kind": "model_removed", "message": f"model {name!r} is no longer used"})
            continue
        for name_of_field in MODEL_FIELDS:
            a, b = old.get(name_of_field), new.get(name_of_field)
            if a is not None and b is not None and a != b:
                shown = (str(a)[:12], str(b)[:12]) if name_of_field == "sha256" else (a, b)
                changes.append({"kind": f"model_{name_of_field}",
                                "message": f"model {name!r}: its {name_of_field} changed {shown[0]} → {shown[1]}"})
    if "seed" in before and "seed" in after and before["seed"] != after["seed"]:
        changes.append({"kind": "seed", "message": f"seed changed {before['seed']} → {after['seed']}"})
    return changes


def _library_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[dict[str, str]]:
    return [{"kind": "library", "message": f"{name} {before.get(name)} → {after.get(name)}"}
            for name in sorted(set(before) | set(after)) if before.get(name) != after.get(name)]


def summary(verdicts: Mapping[str, NodeVerdict]) -> dict[str, Any]:
    """How many nodes got each verdict, and whether the run reproduced exactly."""
    counts = {v.value: 0 for v in ReplayVerdict}
    for verdict in verdicts.values():
        counts[verdict.verdict.value] += 1
    return {**counts, "reproduced": counts[ReplayVerdict.IDENTICAL.value] == len(verdicts) and bool(verdicts)}
