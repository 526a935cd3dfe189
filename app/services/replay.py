"""Replay a stored run: its document as it ran, its inputs, params and seeds, every node run
again past the result cache, and each node's outputs compared with the stored hashes.

Before anything runs, the stored run's models are checked on disk: a model file that is gone
refuses the replay (``ReplayImpossible``, naming the node and the file), one whose sha256
changed is reported up front and the replay goes on, so its verdicts show what the change did.
The server queues a replay as a run of its own (``RunManager.submit(replay=...)``); the CLI
runs it in-process; both end in ``report``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.engine.executor import apply_inputs
from app.engine.records import RunResult
from app.engine.replay import MODEL_PREFIX, NodeSide, compare, summary
from app.engine.subgraphs import flatten, has_subgraphs
from app.engine.validate import CheckedGraph
from app.services.errors import ReplayImpossible
from storage import repo


@dataclass
class ReplayPlan:
    """What a replay needs of the stored run, read once in its own transaction."""

    of: str
    document: dict[str, Any]
    inputs: dict[str, Any]
    graph_id: str | None
    graph_version_id: str | None
    owner_id: str | None
    before: dict[str, NodeSide]
    libraries: dict[str, Any] = field(default_factory=dict)
    preflight: list[dict[str, Any]] = field(default_factory=list)

    def header(self) -> dict[str, Any]:
        """What the replay's run record says from the start: which run, what was found."""
        return {"of": self.of, "preflight": self.preflight}


def plan_replay(session: Any, *, run_id: str, owner_id: str | None = None) -> ReplayPlan:
    """Read stored run ``run_id`` (NotFound if missing or another user's) and check its
    models on disk. ReplayImpossible if one is gone; a changed one is in ``preflight``."""
    run = repo.get_run(session, run_id=run_id, owner_id=owner_id)
    before = {r.node_id: NodeSide.stored(r.status, r.provenance, r.error, r.outputs) for r in run.node_results}
    plan = ReplayPlan(run.id, run.document, dict(run.inputs or {}), run.graph_id, run.graph_version_id, run.owner_id,
                      before, dict((run.provenance or {}).get("libraries") or {}))
    plan.preflight = check_models(before)
    gone = [p for p in plan.preflight if p["problem"] == "gone"]
    if gone:
        first = gone[0]
        raise ReplayImpossible(f"node {first['node_id']!r} ran model {first['model']!r} from {first['path']}, which is "
                               "no longer there: put the model back to replay this run", {"models": gone})
    return plan


def check_models(before: Mapping[str, NodeSide]) -> list[dict[str, Any]]:
    """Each model a stored node used whose file is gone or whose sha256 is not what it was."""
    from nodes.runtime.sources import identity_of

    found: list[dict[str, Any]] = []
    seen: dict[tuple[str, str], str | None] = {}
    for nid, side in before.items():
        for key, model in side.provenance.items():
            if not key.startswith(MODEL_PREFIX) or not isinstance(model, Mapping):
                continue
            path, sha = model.get("path"), model.get("sha256")
            if not path or not sha:
                continue  # a hub model or one recorded without its files: nothing to check
            name = key[len(MODEL_PREFIX):]
            if (name, path) not in seen:
                try:
                    seen[(name, path)] = identity_of(name, Path(path))["sha256"] if Path(path).exists() else None
                except OSError:
                    seen[(name, path)] = None
            now = seen[(name, path)]
            if now is None:
                found.append({"node_id": nid, "model": name, "path": path, "problem": "gone", "before": sha})
            elif now != sha:
                found.append({"node_id": nid, "model": name, "path": path, "problem": "changed", "before": sha,
                              "after": now, "message": f"node {nid!r}: model {name!r} changed on disk since the run "
                                                       f"(sha256 {sha[:12]} → {now[:12]})"})
    return found


def report(plan: ReplayPlan, checked: CheckedGraph, result: RunResult, libraries: Mapping[str, Any]) -> dict[str, Any]:
    """The replay's verdict per node and in sum, as stored in the replay run's provenance."""
    params = apply_inputs(checked, plan.inputs)
    flat = flatten(checked, params) if has_subgraphs(checked) else (checked, params)
    graph, flat_params = flat[0], flat[1]
    order = [n for generation in result.generations for n in generation]
    order += [n for n in result.nodes if n not in set(order)]  # subgraph nodes: their inner nodes settle them
    upstream = {n: list(graph.graph.predecessors(n)) for n in graph.graph}
    random = {nid: why for nid, node in graph.nodes.items()
              if (why := node.cls.nondeterminism(flat_params.get(nid, node.params))) is not None}
    after = {nid: NodeSide(r.status, r.provenance, r.output_hashes, (r.error or {}).get("message"))
             for nid, r in result.nodes.items()}
    verdicts = compare(order, upstream, plan.before, after, libraries_before=plan.libraries,
                       libraries_after=libraries, random=random)
    return {**plan.header(), "summary": summary(verdicts), "nodes": {n: v.to_json() for n, v in verdicts.items()}}
