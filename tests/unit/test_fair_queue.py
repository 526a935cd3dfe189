"""The run queue's order and bounds, without a server: turns by owner, FIFO within one."""

from __future__ import annotations

import threading
import time

import pytest

from app.services.errors import TooManyQueued
from app.services.run_queue import FairQueue


def queued(q: FairQueue, owner: str | None, *run_ids: str) -> None:
    for run_id in run_ids:
        q.reserve(owner)
        q.put(owner, run_id)


def drain(q: FairQueue) -> list[str]:
    q.close()
    return list(iter(q.take, None))


def test_owners_take_turns_and_each_owner_keeps_its_order() -> None:
    q = FairQueue(limit=50)
    queued(q, "alice", "a1", "a2", "a3", "a4")
    queued(q, "bob", "b1", "b2")
    queued(q, None, "n1")  # a run with no owner (no --auth) is one more owner
    assert drain(q) == ["a1", "b1", "n1", "a2", "b2", "a3", "a4"]


def test_a_newcomer_goes_before_the_owner_who_started_last() -> None:
    q = FairQueue(limit=50)
    queued(q, "alice", "a1", "a2", "a3")
    assert q.take() == "a1"
    queued(q, "bob", "b1")  # came after a2 and a3, starts before them
    assert q.take() == "b1"
    queued(q, "carol", "c1")
    assert drain(q) == ["c1", "a2", "a3"]


def test_the_owner_idle_longest_goes_first() -> None:
    q = FairQueue(limit=50)
    queued(q, "alice", "a1")
    queued(q, "bob", "b1")
    assert [q.take(), q.take()] == ["a1", "b1"]
    queued(q, "bob", "b2")
    queued(q, "alice", "a2")  # alice last started before bob did
    assert drain(q) == ["a2", "b2"]


def test_the_limit_counts_waiting_and_reserved_places_per_owner() -> None:
    q = FairQueue(limit=2)
    queued(q, "alice", "a1")
    q.reserve("alice")  # a row being committed holds its place
    with pytest.raises(
        TooManyQueued, match="you have 2 runs waiting; wait for one to finish or cancel one"
    ):
        q.reserve("alice")
    queued(q, "bob", "b1", "b2")  # bob's line is his own
    q.release("alice")  # the commit failed: the place is free again
    q.reserve("alice")
    q.put("alice", "a2")
    assert q.take() == "a1"  # a started run no longer waits
    assert q.waiting("alice") == 1
    queued(q, "alice", "a3")


def test_a_removed_run_leaves_its_line_and_frees_its_place() -> None:
    q = FairQueue(limit=2)
    queued(q, "alice", "a1", "a2")
    assert q.remove("a1") is True and q.remove("a1") is False
    queued(q, "alice", "a3")
    assert drain(q) == ["a2", "a3"]


def test_take_waits_for_a_run_and_close_stops_it_once_the_lines_are_empty() -> None:
    q = FairQueue(limit=5)
    got: list[str] = []
    worker = threading.Thread(target=lambda: got.extend(iter(q.take, None)))  # to None
    worker.start()
    queued(q, "alice", "a1")
    queued(q, "bob", "b1")
    q.close()
    worker.join(60)
    assert not worker.is_alive() and got == ["a1", "b1"]


def _idle_worker(q: FairQueue, got: list[str]) -> threading.Thread:
    """A worker taking runs until the queue closes, once it waits in ``take``."""
    worker = threading.Thread(target=lambda: got.extend(iter(q.take, None)))
    worker.start()
    deadline = time.monotonic() + 60
    while not q.claim():  # true once the worker waits: then this claim holds it
        assert time.monotonic() < deadline, "the worker never waited in take"
        time.sleep(0.01)
    q.unclaim()
    return worker


def test_a_run_skips_the_line_only_when_nothing_waits_and_a_worker_is_idle() -> None:
    q = FairQueue(limit=5)
    assert q.claim() is False  # no worker waits
    got: list[str] = []
    worker = _idle_worker(q, got)
    assert q.claim() is True  # the one idle worker is now held for this run
    assert q.claim() is False  # and for no other
    queued(q, "bob", "b1")  # a run recorded meanwhile waits: the held worker is not its
    time.sleep(0.2)  # time enough to take it wrongly
    assert q.waiting("bob") == 1
    q.hand("alice", "a1")
    q.close()
    worker.join(60)
    assert not worker.is_alive() and got == ["a1", "b1"]


def test_a_claim_given_back_frees_its_worker_for_the_line() -> None:
    q = FairQueue(limit=5)
    got: list[str] = []
    worker = _idle_worker(q, got)
    assert q.claim() is True
    queued(q, "bob", "b1")
    q.unclaim()  # the run was not recorded after all
    q.close()
    worker.join(60)
    assert not worker.is_alive() and got == ["b1"]
    assert q.claim() is False  # closed
