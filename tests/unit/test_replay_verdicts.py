"""Content hashes of outputs, and the replay's verdict per node from two runs' records."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from app.engine.hashing import output_hash
from app.engine.replay import NodeSide, compare, summary
from app.engine.vocabulary import ReplayVerdict


@pytest.mark.parametrize("value", [
    "text", "", 3, 2.5, True, None, {"a": [1, 2, {"b": "c"}]}, [{"text": "doc", "metadata": {"source": "a.md"}}],
    np.arange(6, dtype=np.float32).reshape(2, 3), torch.ones(3, dtype=torch.float16),
    {"samples": np.zeros(160, dtype=np.float32), "sample_rate": 16000}, Image.new("RGB", (4, 4), (10, 20, 30)),
])
def test_an_equal_value_hashes_alike_and_a_changed_one_does_not(value):
    import copy

    assert output_hash(value) == output_hash(copy.deepcopy(value)) is not None
    assert output_hash(value).startswith("sha256:")


def test_what_a_hash_tells_apart():
    assert output_hash("1") != output_hash(1) != output_hash(1.0)
    assert output_hash({"a": 1, "b": 2}) == output_hash({"b": 2, "a": 1})  # key order is not content
    assert output_hash([1, 2]) != output_hash([2, 1])
    a = np.zeros((2, 3), dtype=np.float32)
    assert output_hash(a) != output_hash(a.reshape(3, 2)) != output_hash(a.astype(np.float64))
    assert output_hash(torch.zeros(2)) == output_hash(np.zeros(2, dtype=np.float32))  # same dtype, shape, bytes
    image = Image.new("RGB", (4, 4), (10, 20, 30))
    changed = image.copy()
    changed.putpixel((3, 3), (10, 20, 31))
    assert output_hash(image) != output_hash(changed)
    assert output_hash(object()) is None  # no canonical form: not guessed


def side(hashes: dict[str, str], **provenance) -> NodeSide:
    return NodeSide("succeeded", provenance, hashes)


MODEL = {"name": "mini", "path": "/m", "sha256": "a" * 64, "device": "cpu", "dtype": "float32"}


def test_verdicts_name_what_changed_and_blame_inputs_downstream():
    order, upstream = ["src", "embed", "out"], {"embed": ["src"], "out": ["embed"]}
    before = {"src": side({"text": "h1"}), "embed": side({"e": "h2"}, **{"model:mini": MODEL}), "out": side({"value": "h3"})}
    after = {"src": side({"text": "h1"}), "embed": side({"e": "h9"}, **{"model:mini": {**MODEL, "sha256": "b" * 64}}),
             "out": side({"value": "h8"})}
    verdicts = compare(order, upstream, before, after)
    assert verdicts["src"].verdict is ReplayVerdict.IDENTICAL
    assert verdicts["embed"].verdict is ReplayVerdict.DIFFERS
    assert verdicts["embed"].changes == [{"kind": "model_sha256",
                                          "message": "model 'mini': its sha256 changed aaaaaaaaaaaa → bbbbbbbbbbbb"}]
    assert verdicts["embed"].outputs == {"e": {"before": "h2", "after": "h9"}}
    assert verdicts["out"].message == "its input from 'embed' differs"
    assert summary(verdicts) == {"identical": 1, "differs": 2, "not_comparable": 0, "failed": 0, "reproduced": False}


def test_a_difference_nothing_explains_is_non_determinism_and_a_library_change_is_named():
    before, after = {"n": side({"x": "h1"}, node_version=1)}, {"n": side({"x": "h2"}, node_version=1)}
    verdict = compare(["n"], {}, before, after)["n"]
    assert verdict.message == "same provenance, different output (non-deterministic)"
    verdict = compare(["n"], {}, before, after, libraries_before={"torch": "2.12"}, libraries_after={"torch": "2.13"})["n"]
    assert verdict.changes == [{"kind": "library", "message": "torch 2.12 → 2.13"}]
    device = compare(["n"], {}, {"n": side({"x": "h1"}, **{"model:m": MODEL})},
                     {"n": side({"x": "h2"}, **{"model:m": {**MODEL, "device": "cuda:0", "dtype": "float16"}})})["n"]
    assert [c["kind"] for c in device.changes] == ["model_device", "model_dtype"]


def test_nodes_that_cannot_be_compared_or_did_not_run_say_so():
    before = {"old": NodeSide("succeeded", {}, {}), "boom": side({"x": "h"})}
    after = {"old": side({"x": "h"}), "boom": NodeSide("failed", {}, {}, "the node divided by zero")}
    verdicts = compare(["old", "boom"], {}, before, after)
    assert verdicts["old"].verdict is ReplayVerdict.NOT_COMPARABLE and "no hashes" in verdicts["old"].message
    assert verdicts["boom"].verdict is ReplayVerdict.FAILED and verdicts["boom"].message == "the node divided by zero"
