"""`genaisys run --backend ray` end to end, in a process of its own: it starts a local Ray
cluster, its workers load the same custom nodes (GENAISYS_CUSTOM_NODES) and run this
checkout's code, the run is recorded with the worker in each model node's provenance, and the
cluster is gone when the command ends."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
PROBES = Path(__file__).resolve().parent / "custom_nodes"


def test_genaisys_run_with_the_ray_backend(tmp_path: Path) -> None:
    pytest.importorskip("ray")
    graph = {"schema": "genaisys.graph/1", "name": "cli", "nodes": [
        {"id": "p", "type": "test.ray_probe", "params": {"x": 2.0, "size": 4}},
        {"id": "t", "type": "test.ray_total", "params": {}},
        {"id": "out", "type": "io.json_output"}], "edges": [
        {"id": "e1", "source": "p", "source_port": "array", "target": "t", "target_port": "array"},
        {"id": "e2", "source": "t", "source_port": "total", "target": "out", "target_port": "value"}]}
    path = tmp_path / "g.json"
    path.write_text(json.dumps(graph))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "GENAISYS_CUSTOM_NODES": str(PROBES)}
    done = subprocess.run([sys.executable, "-m", "app.cli", "run", str(path), "--json", "--backend", "ray",
                           "--data-dir", str(tmp_path / "data")],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    record = json.loads(done.stdout)
    assert record["outputs"]["out"] == 6.0, record
    show = subprocess.run([sys.executable, "-m", "app.cli", "runs", "show", record["run_id"], "--json",
                           "--data-dir", str(tmp_path / "data")], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert show.returncode == 0, show.stderr[-2000:]
    assert "worker" in show.stdout and "actor_id" in show.stdout
