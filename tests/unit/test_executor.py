"""The executor: caching and why nodes ran, failure isolation, cancel, parallel branches,
the GPU lock, and the events it emits. Sample nodes are tiny so each test reads in one go."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from app.engine.cache import ResultCache
from app.engine.context import CancelToken
from app.engine.executor import Executor, GraphInvalid
from nodes.api import Context, Input, Node, NodeError, Output
from nodes.registry import Registry, discover

CALLS: list[str] = []


class Source(Node):
    type_id = "test.source"
    inline = True
    inputs = (Input("value", "Integer", default=1),)
    outputs = (Output("value", "Integer"),)

    def run(self, ctx: Context, value: int) -> dict[str, Any]:
        CALLS.append(ctx.node_id)
        return {"value": value}


class AddOne(Node):
    type_id = "test.add_one"
    inline = True
    inputs = (Input("x", "Number"), Input("offset", "Number", default=1))
    outputs = (Output("y", "Number"),)

    def run(self, ctx: Context, x: float, offset: float) -> dict[str, Any]:
        CALLS.append(ctx.node_id)
        return {"y": x + offset}


class Boom(Node):
    type_id = "test.boom"
    inputs = (Input("x", "Number"),)
    outputs = (Output("y", "Number"),)

    def run(self, ctx: Context, x: float) -> dict[str, Any]:
        CALLS.append(ctx.node_id)
        raise ZeroDivisionError("the node divided by zero")


class Slow(Node):
    """Sleeps in small steps, reporting progress, so a cancel stops it mid-way."""

    type_id = "test.slow"
    inputs = (Input("x", "Number"), Input("seconds", "Number", default=0.3))
    outputs = (Output("y", "Number"),)

    def run(self, ctx: Context, x: float, seconds: float) -> dict[str, Any]:
        CALLS.append(ctx.node_id)
        for step in range(10):
            ctx.sleep(seconds / 10)
            ctx.progress((step + 1) / 10, f"step {step + 1}")
        return {"y": x}


class GpuSlow(Slow):
    type_id = "test.gpu_slow"
    uses_gpu = True


class Dice(Node):
    """Random unless seeded: seed -1 is "no fixed seed", as the LLM's."""

    type_id = "test.dice"
    inline = True
    inputs = (Input("x", "Number"), Input("seed", "Integer", default=0))
    outputs = (Output("y", "Number"),)

    @classmethod
    def nondeterminism(cls, values: Any) -> str | None:
        return "rolls without a fixed seed" if values.get("seed", 0) < 0 else None

    def run(self, ctx: Context, x: float, seed: int) -> dict[str, Any]:
        import random

        CALLS.append(ctx.node_id)
        return {"y": x + random.Random(None if seed < 0 else seed).random()}


WEIGHTS = {"sha": "aaa"}


class Weighted(Node):
    """Its output depends on "weights" outside its params: their identity is part of its key."""

    type_id = "test.weighted"
    inline = True
    inputs = (Input("x", "Number"),)
    outputs = (Output("y", "Number"),)

    @classmethod
    def content_identity(cls, values: Any) -> str | None:
        return WEIGHTS["sha"]

    def run(self, ctx: Context, x: float) -> dict[str, Any]:
        CALLS.append(ctx.node_id)
        return {"y": x * (2 if WEIGHTS["sha"] == "aaa" else 3)}


REGISTRY = discover().extend([Source, AddOne, Boom, Slow, GpuSlow, Dice, Weighted])


def node(nid: str, type_: str, **params: Any) -> dict[str, Any]:
    return {"id": nid, "type": type_, "params": params}


def edge(src: str, dst: str, sport: str = "value", dport: str = "x") -> dict[str, str]:
    return {"id": f"{src}-{dst}-{dport}", "source": src, "source_port": sport, "target": dst, "target_port": dport}


def doc(nodes: list[dict], edges: list[dict]) -> dict[str, Any]:
    return {"schema": "genaisys.graph/1", "name": "test", "nodes": nodes, "edges": edges}


def diamond(**overrides: Any) -> dict[str, Any]:
    """src -> a -> c, src -> b -> d: editing a's offset must re-run a and c only."""
    params = {"a": {"offset": 1}, "b": {"offset": 2}, **overrides}
    return doc(
        [node("src", "test.source", value=10), node("a", "test.add_one", **params["a"]),
         node("b", "test.add_one", **params["b"]), node("c", "test.add_one"), node("d", "test.add_one")],
        [edge("src", "a"), edge("src", "b"), edge("a", "c", "y"), edge("b", "d", "y")],
    )


@pytest.fixture
def executor():
    CALLS.clear()
    ex = Executor(REGISTRY, ResultCache())
    yield ex
    ex.backend.shutdown()


def test_runs_in_dependency_order_and_passes_values(executor):
    result = executor.run(diamond())
    assert result.status == "succeeded"
    assert CALLS.index("src") < CALLS.index("a") < CALLS.index("c")
    assert result.nodes["c"].outputs == {"y": 12}
    assert result.nodes["d"].outputs == {"y": 13}
    assert result.generations == [["src"], ["a", "b"], ["c", "d"]]


def test_second_run_of_unchanged_graph_runs_nothing(executor):
    executor.run(diamond())
    CALLS.clear()
    result = executor.run(diamond())
    assert CALLS == []
    assert {r.status for r in result.nodes.values()} == {"cached"}
    assert result.nodes["c"].outputs == {"y": 12}


def test_param_edit_reruns_exactly_the_downstream_set(executor):
    executor.run(diamond())
    CALLS.clear()
    result = executor.run(diamond(a={"offset": 5}))
    assert sorted(CALLS) == ["a", "c"]
    assert result.nodes["a"].reason == "params changed"
    assert result.nodes["c"].reason == "input changed"
    assert result.nodes["b"].status == result.nodes["d"].status == "cached"
    assert result.nodes["c"].outputs == {"y": 16}


def test_a_node_random_by_its_values_runs_every_time_and_says_why(executor):
    graph = doc([node("src", "test.source"), node("roll", "test.dice", seed=-1), node("after", "test.add_one")],
                [edge("src", "roll"), edge("roll", "after", "y")])
    first = executor.run(graph)
    CALLS.clear()
    second = executor.run(graph)
    assert CALLS == ["roll", "after"]  # the roll is never served from the cache, so nor is what follows it
    assert second.nodes["roll"].reason == "always runs: rolls without a fixed seed"
    assert second.nodes["src"].status == "cached"
    assert first.nodes["roll"].outputs != second.nodes["roll"].outputs
    seeded = doc([node("src", "test.source"), node("roll", "test.dice", seed=7)], [edge("src", "roll")])
    executor.run(seeded)
    CALLS.clear()
    assert executor.run(seeded).nodes["roll"].status == "cached" and CALLS == []


def test_a_swapped_model_runs_the_node_again_and_says_so(executor):
    graph = doc([node("src", "test.source", value=5), node("w", "test.weighted"), node("after", "test.add_one")],
                [edge("src", "w"), edge("w", "after", "y")])
    assert executor.run(graph).nodes["after"].outputs == {"y": 11}
    WEIGHTS["sha"] = "bbb"
    try:
        CALLS.clear()
        result = executor.run(graph)
        assert CALLS == ["w", "after"]
        assert result.nodes["w"].reason == "model changed" and result.nodes["after"].reason == "input changed"
        assert result.nodes["after"].outputs == {"y": 16}
    finally:
        WEIGHTS["sha"] = "aaa"


def test_new_node_is_reported_as_new(executor):
    executor.run(diamond())
    d = diamond()
    d["nodes"].append(node("e", "test.add_one"))
    d["edges"].append(edge("d", "e", "y"))
    result = executor.run(d)
    assert result.nodes["e"].reason == "new node"
    assert result.ran == ["e"]


def test_cache_is_bounded_by_entries_lru():
    cache = ResultCache(max_entries=2)
    cache.put("a", {"v": 1})
    cache.put("b", {"v": 2})
    assert cache.get("a") == {"v": 1}  # a is now the most recent
    cache.put("c", {"v": 3})
    assert cache.get("b") is None and cache.get("a") == {"v": 1} and len(cache) == 2


def test_cache_is_bounded_by_bytes():
    cache = ResultCache(max_bytes=3_000)
    cache.put("a", {"v": "x" * 1_000})
    cache.put("b", {"v": "y" * 1_000})
    cache.put("c", {"v": "z" * 1_000})
    assert len(cache) == 2 and cache.get("a") is None and cache.nbytes <= 3_000
    cache.put("huge", {"v": "h" * 10_000})
    assert cache.get("huge") is None  # larger than the whole budget: not kept


def test_evicted_node_reruns_and_says_so(executor):
    executor.cache.max_entries = 1
    executor.run(diamond())
    result = executor.run(diamond())
    assert result.nodes["src"].reason == "evicted"


def test_failing_node_fails_descendants_but_other_branch_finishes(executor):
    d = doc(
        [node("src", "test.source"), node("bad", "test.boom"), node("after", "test.add_one"),
         node("ok", "test.add_one"), node("ok2", "test.add_one")],
        [edge("src", "bad"), edge("bad", "after", "y"), edge("src", "ok"), edge("ok", "ok2", "y")],
    )
    result = executor.run(d)
    assert result.status == "failed"
    assert result.nodes["bad"].error == {"code": "node_crashed", "message": "ZeroDivisionError: the node divided by zero"}
    assert "Traceback" in (result.nodes["bad"].traceback or "")
    assert result.nodes["after"].status == "failed"
    assert result.nodes["after"].error["code"] == "upstream_failed"
    assert "after" not in CALLS
    assert result.nodes["ok2"].status == "succeeded" and result.nodes["ok2"].outputs == {"y": 3}


def test_failed_node_is_not_cached_and_runs_again(executor):
    d = doc([node("src", "test.source"), node("bad", "test.boom")], [edge("src", "bad")])
    executor.run(d)
    CALLS.clear()
    executor.run(d)
    assert CALLS == ["bad"]


def test_node_error_message_is_shown_as_written(executor):
    class Picky(Node):
        type_id = "test.picky"
        inline = True
        outputs = (Output("y", "Number"),)

        def run(self, ctx: Context) -> dict[str, Any]:
            raise NodeError("set a seed first")

    ex = Executor(Registry().extend([Picky]))
    result = ex.run(doc([node("p", "test.picky")], []))
    assert result.nodes["p"].error == {"code": "node_error", "message": "set a seed first"}


def test_node_returning_the_wrong_outputs_fails_clearly(executor):
    class Forgetful(Node):
        type_id = "test.forgetful"
        outputs = (Output("y", "Number"),)

        def run(self, ctx: Context) -> dict[str, Any]:
            return {"z": 1}

    ex = Executor(Registry().extend([Forgetful]))
    result = ex.run(doc([node("f", "test.forgetful")], []))
    assert result.nodes["f"].status == "failed"
    assert "did not return its output(s) y" in result.nodes["f"].error["message"]


def test_invalid_graph_raises_before_anything_runs(executor):
    d = diamond()
    d["edges"].append(edge("d", "nowhere", "y"))
    with pytest.raises(GraphInvalid) as err:
        executor.run(d)
    assert [p.code for p in err.value.problems] == ["dangling_edge"]
    assert CALLS == []


def test_independent_cpu_branches_run_in_parallel(executor):
    d = doc(
        [node("src", "test.source"), node("s1", "test.slow", seconds=0.4), node("s2", "test.slow", seconds=0.4)],
        [edge("src", "s1"), edge("src", "s2")],
    )
    t0 = time.perf_counter()
    result = executor.run(d)
    elapsed = time.perf_counter() - t0
    assert result.status == "succeeded"
    assert elapsed < 0.7, f"two 0.4 s branches took {elapsed:.2f} s: they did not overlap"


def test_gpu_nodes_take_turns_on_one_lock(executor):
    d = doc(
        [node("src", "test.source"), node("g1", "test.gpu_slow", seconds=0.3), node("g2", "test.gpu_slow", seconds=0.3)],
        [edge("src", "g1"), edge("src", "g2")],
    )
    spans: dict[str, list[float]] = {}
    executor.run(d, on_event=lambda e: spans.setdefault(e.node_id or "", []).append(e.ts) if e.type == "node_progress" else None)
    (a_start, a_end), (b_start, b_end) = ((min(spans[n]), max(spans[n])) for n in ("g1", "g2"))
    assert a_end < b_start or b_end < a_start, "GPU nodes overlapped"


def test_cancel_stops_a_running_node_and_skips_the_rest(executor):
    d = doc(
        [node("src", "test.source"), node("slow", "test.slow", seconds=5), node("after", "test.add_one")],
        [edge("src", "slow"), edge("slow", "after", "y")],
    )
    token = CancelToken()

    def cancel_on_progress(event):
        if event.type == "node_progress":
            token.cancel()

    t0 = time.perf_counter()
    result = executor.run(d, on_event=cancel_on_progress, cancel=token)
    assert time.perf_counter() - t0 < 2.0
    assert result.status == "cancelled"
    assert result.nodes["slow"].status == "cancelled"
    assert result.nodes["after"].status == "cancelled"  # never started
    assert "after" not in CALLS


def test_cancel_before_start_runs_nothing(executor):
    token = CancelToken()
    token.cancel()
    result = executor.run(diamond(), cancel=token)
    assert result.status == "cancelled" and CALLS == []
    assert {r.status for r in result.nodes.values()} == {"cancelled"}


def test_events_tell_the_whole_story_in_order(executor):
    events = []
    executor.run(diamond(), on_event=events.append)
    types = [e.type for e in events]
    assert types[0] == "run_started" and types[-1] == "run_finished"
    assert events[-1].data["status"] == "succeeded"
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    for nid in ("src", "a", "b", "c", "d"):
        mine = [e.type for e in events if e.node_id == nid]
        assert mine == ["node_started", "node_finished"], (nid, mine)
    events.clear()
    executor.run(diamond(), on_event=events.append)
    assert sum(e.type == "node_cached" for e in events) == 5


def test_progress_events_come_from_running_nodes(executor):
    events = []
    executor.run(doc([node("src", "test.source"), node("s", "test.slow", seconds=0.05)], [edge("src", "s")]), on_event=events.append)
    fractions = [e.data["fraction"] for e in events if e.type == "node_progress"]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and len(fractions) == 10


def test_a_broken_event_sink_does_not_stop_the_run(executor):
    def broken(event):
        raise RuntimeError("websocket closed")

    assert executor.run(diamond(), on_event=broken).status == "succeeded"


def test_run_inputs_go_into_input_nodes_and_are_checked(executor):
    d = doc(
        [node("q", "io.text_input", value="a\nb"), node("split", "utility.split_lines"),
         node("join", "utility.join", separator="+"), node("out", "io.text_output")],
        [edge("q", "split", "text", "text"), edge("split", "join", "lines", "items"), edge("join", "out", "text", "value")],
    )
    assert executor.run(d).outputs == {"out": "a+b"}
    assert executor.run(d, {"q": "x\n\ny\nz"}).outputs == {"out": "x+y+z"}
    with pytest.raises(GraphInvalid) as err:
        executor.run(d, {"split": "nope"})
    assert err.value.problems[0].code == "unknown_input"
    d["nodes"].append(node("n", "io.integer_input"))
    with pytest.raises(GraphInvalid) as err:
        executor.run(d, {"n": "twelve"})
    assert err.value.problems[0].code == "bad_input" and err.value.problems[0].node_id == "n"
    assert executor.run(d, {"n": "12"}).nodes["n"].outputs == {"number": 12}


def test_concurrent_runs_share_the_executor_safely():
    """Two runs at once on one executor (two browser tabs) both complete correctly."""
    ex = Executor(REGISTRY, ResultCache())
    results: dict[int, Any] = {}

    def go(i: int) -> None:
        results[i] = ex.run(diamond(a={"offset": i}), scope=f"tab{i}")

    threads = [threading.Thread(target=go, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ex.backend.shutdown()
    assert [results[i].nodes["c"].outputs["y"] for i in range(4)] == [11 + i for i in range(4)]


class Stuck(Node):
    """Sleeps without polling: the executor cannot stop it, only stop waiting for it."""

    type_id = "test.stuck"
    inputs = (Input("x", "Number"), Input("seconds", "Number", default=2.0))
    outputs = (Output("y", "Number"),)

    def run(self, ctx: Context, x: float, seconds: float) -> dict[str, Any]:
        time.sleep(seconds)
        return {"y": x}


def test_a_node_past_its_time_limit_fails_alone():
    ex = Executor(Registry().extend([Source, AddOne, Stuck, Slow]), ResultCache(), node_timeout_s=0.3)
    d = doc(
        [node("src", "test.source"), node("stuck", "test.stuck", seconds=2), node("after", "test.add_one"),
         node("polite", "test.slow", seconds=5), node("ok", "test.add_one")],
        [edge("src", "stuck"), edge("stuck", "after", "y"), edge("src", "polite"), edge("src", "ok")],
    )
    t0 = time.perf_counter()
    result = ex.run(d)
    assert time.perf_counter() - t0 < 1.5, "the run waited for the stuck node"
    assert result.status == "failed"
    assert result.nodes["stuck"].error["code"] == "timeout" and "0.3 s" in result.nodes["stuck"].error["message"]
    assert result.nodes["polite"].error["code"] == "timeout"
    assert result.nodes["after"].error["code"] == "upstream_failed"
    assert result.nodes["ok"].status == "succeeded" and result.nodes["ok"].outputs == {"y": 2}
    again = ex.run(doc([node("src", "test.source", value=5), node("ok", "test.add_one")], [edge("src", "ok")]))
    assert again.status == "succeeded"
    ex.backend.shutdown()
