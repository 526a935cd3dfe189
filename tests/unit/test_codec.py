"""The persistent cache's encoding gives back exactly the value it was given."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from PIL import Image

from app.engine.codec import Unencodable, decode, encode
from app.engine.hashing import output_hash


@pytest.mark.parametrize("value", [
    None, True, 3, 2.5, "text", [1, "a", None], {"a": {"b": [1.5]}},
    (1, 2, ("x",)), {"$not_a_tag": 1, "b": 2}, float("inf"), b"\x00\x01bytes",
    np.arange(12, dtype=np.int64).reshape(3, 4), np.linspace(0, 1, 7, dtype=np.float32),
    {"samples": np.zeros(16000, dtype=np.float32), "sample_rate": 16000},
    [{"text": "a chunk", "metadata": {"source": "notes.md", "chunk": 0}}],
    torch.randn(2, 3, dtype=torch.float16), torch.randn(4, dtype=torch.bfloat16), torch.arange(5),
    Image.new("RGB", (8, 6), (1, 2, 3)), Image.new("L", (3, 3), 7),
])
def test_a_value_comes_back_exactly(value):
    data = encode(value)
    json.dumps(data, allow_nan=False)  # plain JSON, whatever the value
    back = decode(json.loads(json.dumps(data)))
    assert type(back) is type(value) or (isinstance(value, Image.Image) and isinstance(back, Image.Image))
    assert output_hash(back) == output_hash(value)  # same type, dtype, shape, bytes
    if isinstance(value, torch.Tensor):
        assert back.dtype == value.dtype


def test_nan_survives_and_big_parts_go_to_blobs():
    assert math.isnan(decode(encode(float("nan"))))
    blobs: dict[str, bytes] = {}

    def put(data: bytes) -> str:
        blobs[str(len(blobs))] = data
        return str(len(blobs) - 1)

    big = np.ones((300, 300), dtype=np.float32)
    data = encode({"vectors": big, "small": np.ones(3)}, put, inline_limit=1024)
    assert data["vectors"]["$nd"] == {"$blob": "0"} and len(blobs) == 1
    assert np.array_equal(decode(data, blobs.__getitem__)["vectors"], big)


@pytest.mark.parametrize("value", [object(), {1: "a"}, np.array([object()]), Image.new("CMYK", (2, 2))])
def test_what_has_no_exact_form_is_refused(value):
    with pytest.raises(Unencodable):
        encode(value)
