"""The persistent result cache on a real database: what a run kept is there for the next
process, each miss says why, and the disk bound holds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy.orm import Session, sessionmaker

from app.engine.executor import Executor
from app.services.durable_cache import DurableResultCache
from nodes.api import Context, Input, Node, Output
from nodes.registry import discover
from storage import result_cache

CALLS: list[str] = []


class Vectors(Node):
    """Real work (not inline): kept on disk."""

    type_id = "test.vectors"
    inputs = (Input("n", "Integer", default=4), Input("scale", "Number", default=1.0))
    outputs = (Output("v", "Json"),)

    def run(self, ctx: Context, n: int, scale: float) -> dict[str, Any]:
        CALLS.append(ctx.node_id)
        return {"v": np.arange(n * 5000, dtype=np.float32) * scale}


class Total(Node):
    type_id = "test.total"
    inline = True
    inputs = (Input("v", "Json"),)
    outputs = (Output("total", "Number"),)

    def run(self, ctx: Context, v: Any) -> dict[str, Any]:
        CALLS.append(ctx.node_id)
        return {"total": float(np.sum(v))}


REGISTRY = discover().extend([Vectors, Total])


def graph(scale: float = 1.0, n: int = 4) -> dict[str, Any]:
    return {"schema": "genaisys.graph/1", "name": "g", "nodes": [
        {"id": "vec", "type": "test.vectors", "params": {"n": n, "scale": scale}},
        {"id": "sum", "type": "test.total", "params": {}},
    ], "edges": [{"id": "e", "source": "vec", "source_port": "v", "target": "sum", "target_port": "v"}]}


class Process:
    """One process's executor on the shared database and folder (a restart: a new one)."""

    def __init__(self, sessions: sessionmaker[Session], folder: Path, disk_bytes: int = 1 << 30) -> None:
        self.sessions = sessions
        self.cache = DurableResultCache(sessions, folder, disk_bytes=disk_bytes)
        self.executor = Executor(REGISTRY, self.cache)

    def run(self, document: dict[str, Any], scope: str = "g") -> Any:
        CALLS.clear()
        result = self.executor.run(document, scope=scope)
        with self.sessions() as session, session.begin():  # what the run queue does with each batch
            self.cache.flush(session, signatures=True)
        return result


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "cache"


def test_a_result_outlives_the_process_and_a_trivial_one_is_recomputed(sessions, folder):
    first = Process(sessions, folder).run(graph())
    assert CALLS == ["vec", "sum"]
    after = Process(sessions, folder).run(graph())  # a new process: nothing in memory
    assert CALLS == ["sum"]
    assert after.nodes["vec"].status == "cached" and after.nodes["vec"].reason == "unchanged"
    assert np.array_equal(after.nodes["vec"].outputs["v"], first.nodes["vec"].outputs["v"])
    assert after.nodes["vec"].provenance["computed_by_run"] == first.run_id
    assert after.nodes["sum"].reason == "recomputed: a trivial node's result is not kept across restarts"
    assert after.nodes["sum"].outputs == first.nodes["sum"].outputs
    with sessions() as session:
        assert result_cache.stats(session)["entries"] == 1  # the trivial node's result stayed in memory


def test_after_a_restart_a_node_says_what_changed_not_new_node(sessions, folder):
    Process(sessions, folder).run(graph())
    again = Process(sessions, folder).run(graph(scale=2.0))
    assert again.nodes["vec"].reason == "params changed"
    assert again.nodes["sum"].reason == "input changed"


def test_a_cleared_cache_says_so(sessions, folder):
    Process(sessions, folder).run(graph())
    with sessions() as session, session.begin():
        assert result_cache.clear(session)[0] == 1
    again = Process(sessions, folder).run(graph())
    assert again.nodes["vec"].reason == "cache cleared"


def test_the_disk_bound_evicts_the_least_recently_used_and_their_files(sessions, folder):
    process = Process(sessions, folder, disk_bytes=600_000)  # 80 to 180 kB a result: room for four
    process.run(graph(n=4))  # the graph "g" last ran with n=4 ...
    for n in (5, 6, 7, 8, 9):  # ... and other graphs pushed its result out
        process.run(graph(n=n), scope=f"other{n}")
    with sessions() as session:
        stats = result_cache.stats(session)
    assert 0 < stats["bytes"] <= 600_000
    kept = stats["entries"]
    assert kept < 6
    assert len([p for p in folder.rglob("*") if p.is_file()]) == kept  # the evicted ones' blobs are gone
    later = Process(sessions, folder)
    assert later.run(graph(n=9), scope="other9").nodes["vec"].status == "cached"  # the newest stayed
    assert later.run(graph(n=4)).nodes["vec"].reason == "evicted"  # the oldest went


def test_two_processes_signatures_of_one_graph_merge(sessions, folder):
    """A terminal's run of one node of a graph adds its signature to what the studio's run of
    the others stored; it does not replace them (the database merges the two)."""
    Process(sessions, folder).run(graph())  # vec and sum
    solo = {"schema": "genaisys.graph/1", "name": "g", "edges": [],
            "nodes": [{"id": "solo", "type": "test.vectors", "params": {"n": 3}}]}
    Process(sessions, folder).run(solo)  # the same scope; this process knows only "solo"
    again = Process(sessions, folder).run(graph(scale=2.0))
    assert again.nodes["vec"].reason == "params changed"  # not "new node": the first signature stayed
    with sessions() as session:
        assert set(result_cache.get_scope(session, scope="g").signatures) == {"vec", "sum", "solo"}
