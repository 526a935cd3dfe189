"""The model runtime's cache: load once, share, evict least recently used within budget,
and recover from GPU out-of-memory by unloading the others once."""

from __future__ import annotations

import threading
import time

import pytest

from app.engine.context import CancelToken, RunContext
from app.engine.events import Emitter
from nodes.api import NodeError
from nodes.runtime.cache import ModelRuntime


def ctx() -> RunContext:
    return RunContext("n", "r", Emitter("r", []), CancelToken())


def test_a_model_is_loaded_once_and_provenance_says_who_loaded_it():
    rt, calls = ModelRuntime(budget_bytes=10_000), []
    c1, c2 = ctx(), ctx()
    first = rt.load("m", lambda: calls.append(1) or object(), ctx=c1, identity={"name": "tiny"}, nbytes=10)
    again = rt.load("m", lambda: calls.append(1) or object(), ctx=c2, identity={"name": "tiny"}, nbytes=10)
    assert first is again and calls == [1] and rt.loads == 1
    assert c1.provenance["model:tiny"]["loaded"] is True and "load_s" in c1.provenance["model:tiny"]
    assert c2.provenance["model:tiny"] == {"name": "tiny", "loaded": False}


def test_concurrent_requests_share_one_load():
    rt, calls = ModelRuntime(), []

    def slow_loader():
        calls.append(1)
        time.sleep(0.2)
        return object()

    got = []
    threads = [threading.Thread(target=lambda: got.append(rt.load("m", slow_loader))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == [1] and len({id(g) for g in got}) == 1


def test_least_recently_used_models_leave_when_over_budget():
    rt = ModelRuntime(budget_bytes=250)
    for key in ("a", "b"):
        rt.load(key, object, nbytes=100)
    rt.load("a", object)  # a is now the most recent
    rt.load("c", object, nbytes=100)
    assert "a" in rt and "c" in rt and "b" not in rt
    rt.load("huge", object, nbytes=1_000)  # bigger than the budget alone: kept, the rest go
    assert "huge" in rt and "a" not in rt and "c" not in rt


def test_out_of_memory_unloads_the_other_models_and_retries_once():
    rt = ModelRuntime()
    for key in ("keep", "other"):
        rt.load(key, object, nbytes=1)
    attempts = []

    def work():
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return "done"

    assert rt.on_device(work, keep="keep") == "done"
    assert "keep" in rt and "other" not in rt and len(attempts) == 2


def test_out_of_memory_twice_is_a_clear_node_error():
    rt = ModelRuntime()

    def always_oom():
        raise RuntimeError("CUDA out of memory")

    with pytest.raises(NodeError, match="GENAISYS_DEVICE=cpu"):
        rt.on_device(always_oom)


def test_other_errors_pass_through_untouched():
    rt = ModelRuntime()
    with pytest.raises(ValueError, match="bad shape"):
        rt.on_device(lambda: (_ for _ in ()).throw(ValueError("bad shape")))


def test_a_model_whose_weights_changed_on_disk_is_loaded_again_and_says_its_new_sha256(tmp_path):
    """A loaded model is keyed by its path: swapping the file under it must not leave the
    old weights serving runs (nor a replay blind to the swap)."""
    import os

    from nodes.runtime.sources import identity_of

    weights = tmp_path / "model.safetensors"
    weights.write_bytes(b"first weights")
    rt, loads = ModelRuntime(), []
    first = rt.load("m", lambda: loads.append(1) or object(), identity=identity_of("tiny", weights), nbytes=1)
    c = ctx()
    assert rt.load("m", lambda: loads.append(1) or object(), ctx=c, nbytes=1) is first and loads == [1]
    before = c.provenance["model:tiny"]["sha256"]
    weights.write_bytes(b"other weights, same path")
    os.utime(weights, (1, 1))  # a different time too, whatever the clock's resolution
    c = ctx()
    second = rt.load("m", lambda: loads.append(1) or object(), ctx=c, nbytes=1)
    assert second is not first and loads == [1, 1]
    assert c.provenance["model:tiny"]["loaded"] is True
    assert c.provenance["model:tiny"]["sha256"] == identity_of("tiny", weights)["sha256"] != before
