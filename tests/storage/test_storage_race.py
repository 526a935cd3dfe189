"""Real races: several engines (threads) and several processes save on one SQLite file.

Whatever the interleaving, exactly one save based on a given version wins, every loser
gets ``VersionConflict``, and no saved version is ever lost or overwritten.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker
from storage_helpers import document

from storage import repo
from storage.db import make_engine, make_session_factory
from storage.errors import VersionConflict
from storage.models import Graph, GraphVersion

REPO_ROOT = Path(__file__).resolve().parents[2]


def _save(db_url: str, graph_id: str, label: str, based_on: int, barrier: threading.Barrier,
          results: dict[str, object]) -> None:  # fmt: skip
    engine = make_engine(db_url)  # each contender has its own engine and connection pool
    try:
        sessions = make_session_factory(engine)
        barrier.wait()
        try:
            with sessions() as s, s.begin():
                results[label] = repo.save_version(
                    s, graph_id=graph_id, document=document(label), based_on=based_on
                ).number
        except VersionConflict as exc:
            results[label] = exc
    finally:
        engine.dispose()


def test_threads_racing_on_one_version(
    db_url: str, sessions: sessionmaker[Session], graph: tuple[Graph, GraphVersion]
) -> None:
    graph_id, contenders, rounds = graph[0].id, 6, 5
    for based_on in range(1, rounds + 1):
        results: dict[str, object] = {}
        barrier = threading.Barrier(contenders)
        threads = [
            threading.Thread(
                target=_save,
                args=(db_url, graph_id, f"r{based_on}t{i}", based_on, barrier, results),
            )
            for i in range(contenders)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        winners = [label for label, r in results.items() if r == based_on + 1]
        losers = [r for r in results.values() if isinstance(r, VersionConflict)]
        assert len(results) == contenders and len(winners) == 1, results
        assert all((c.current, c.based_on) == (based_on + 1, based_on) for c in losers)
        with sessions() as s:
            latest = repo.get_version(s, graph_id=graph_id, number=based_on + 1)
            assert latest.document == document(winners[0])
    with sessions() as s:
        numbers = [v.number for v in repo.list_versions(s, graph_id=graph_id)]
        assert numbers == list(range(rounds + 1, 0, -1))


def test_retrying_writers_never_lose_a_save(
    db_url: str, sessions: sessionmaker[Session], graph: tuple[Graph, GraphVersion]
) -> None:
    """Writers that reload and retry on conflict: every one of their saves is kept, in order."""
    graph_id, writers, saves_each = graph[0].id, 4, 8
    errors: list[BaseException] = []

    def writer(name: str) -> None:
        engine = make_engine(db_url)
        own = make_session_factory(engine)
        try:
            for n in range(saves_each):
                while True:
                    with own() as s:
                        based_on = repo.get_graph(s, graph_id=graph_id).latest_version
                    try:
                        with own() as s, s.begin():
                            repo.save_version(
                                s, graph_id=graph_id, document=document(f"{name}-{n}"),
                                based_on=based_on,
                            )  # fmt: skip
                        break
                    except VersionConflict:
                        continue
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=writer, args=(f"w{i}",)) for i in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors
    with sessions() as s:
        versions = repo.list_versions(s, graph_id=graph_id)[::-1]
    assert [v.number for v in versions] == list(range(1, writers * saves_each + 2))
    labels = [v.document["nodes"][0]["params"]["label"] for v in versions[1:]]
    assert sorted(labels) == sorted(f"w{i}-{n}" for i in range(writers) for n in range(saves_each))
    for i in range(writers):  # each writer's saves landed in the order it made them
        mine = [label for label in labels if label.startswith(f"w{i}-")]
        assert mine == [f"w{i}-{n}" for n in range(saves_each)]


_PROCESS_SCRIPT = """
import os, sys, time
from storage import repo
from storage.db import make_engine, make_session_factory
from storage.errors import VersionConflict
url, graph_id, label, go = sys.argv[1:5]
engine = make_engine(url)
sessions = make_session_factory(engine)
with sessions() as s:
    repo.get_graph(s, graph_id=graph_id)  # warm up: connect before the start signal
while not os.path.exists(go):
    time.sleep(0.001)
try:
    with sessions() as s, s.begin():
        number = repo.save_version(s, graph_id=graph_id, document={"by": label}, based_on=1).number
    print("won", number)
except VersionConflict as exc:
    print("conflict", exc.current, exc.based_on)
"""


def test_processes_racing_on_one_version(
    tmp_path: Path, db_url: str, sessions: sessionmaker[Session], graph: tuple[Graph, GraphVersion]
) -> None:
    graph_id, contenders = graph[0].id, 4
    go = tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), *sys.path])}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _PROCESS_SCRIPT, db_url, graph_id, f"p{i}", str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )  # fmt: skip
        for i in range(contenders)
    ]
    time.sleep(1.0)  # let every process import and connect
    go.touch()
    outcomes = []
    for p in procs:
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
        outcomes.append(out.split())
    assert sorted(o[0] for o in outcomes) == ["conflict"] * (contenders - 1) + ["won"]
    assert all(o[1:] == ["2", "1"] for o in outcomes if o[0] == "conflict")
    with sessions() as s:
        versions = repo.list_versions(s, graph_id=graph_id)
    assert [v.number for v in versions] == [2, 1]
    assert versions[1].document == document("v1")
