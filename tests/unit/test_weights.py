"""Reading what a model file holds from its header alone (nodes/runtime/weights.py), the
CTranslate2 reader of the speech-to-text node, and the estimates they make, on small files
written here: element counts and dtypes right, a file that is not what it says an unknown
size with the reason, never an exception."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file

from nodes.memory import TENSOR_OVERHEAD_BYTES, human_bytes
from nodes.models.speech_to_text import _converted_bytes, ctranslate2_variables
from nodes.runtime.device import device_memory
from nodes.runtime.sources import ModelSource
from nodes.runtime.weights import config_dtype, folder_estimate, folder_tensors, safetensors_tensors


def test_a_safetensors_header_gives_each_tensors_size_and_dtype(tmp_path: Path):
    path = tmp_path / "model.safetensors"
    save_file({"w": np.zeros((3, 4), np.float32), "b": np.zeros(5, np.float16)}, str(path))
    tensors = safetensors_tensors(path)
    assert sorted(zip(tensors.numels, tensors.dtypes, strict=True)) == [(5, "float16"), (12, "float32")]
    assert tensors.parameters == 17 and tensors.stored_dtype == "float32"


def test_a_folder_estimate_uses_the_configs_dtype_or_the_one_asked(tmp_path: Path):
    save_file({"a": np.zeros((10, 10), np.float32)}, str(tmp_path / "model-00001.safetensors"))
    save_file({"b": np.zeros(100, np.float32)}, str(tmp_path / "model-00002.safetensors"))
    (tmp_path / "config.json").write_text(json.dumps({"torch_dtype": "bfloat16"}))
    assert config_dtype(tmp_path) == "bfloat16"
    assert folder_tensors(tmp_path).parameters == 200  # both shards
    source = ModelSource("m", tmp_path)
    auto = folder_estimate(source, "k", "cpu")
    assert (auto.dtype, auto.bytes) == ("bfloat16", 200 * 2 + 2 * TENSOR_OVERHEAD_BYTES)
    asked = folder_estimate(source, "k", "cpu", "float32")
    assert asked.bytes == 200 * 4 + 2 * TENSOR_OVERHEAD_BYTES and asked.parameters == 200


@pytest.mark.parametrize("content", [b"", b"short", struct.pack("<Q", 10**12) + b"{}", struct.pack("<Q", 4) + b"[1]x"],
                         ids=["empty", "short", "huge-header", "not-a-dict"])
def test_a_file_that_is_not_safetensors_has_an_unknown_size_with_the_reason(tmp_path: Path, content: bytes):
    (tmp_path / "model.safetensors").write_bytes(content)
    estimate = folder_estimate(ModelSource("broken", tmp_path), "k", "cpu", "float32")
    assert estimate.bytes is None and "model.safetensors" in estimate.note


def test_a_folder_without_safetensors_says_so(tmp_path: Path):
    (tmp_path / "pytorch_model.bin").write_bytes(b"pickle")
    estimate = folder_estimate(ModelSource("pickled", tmp_path), "k", "cpu")
    assert estimate.bytes is None and "no .safetensors" in estimate.note


def ct2_file(path: Path, variables: list[tuple[str, tuple[int, ...], int, int]]) -> None:
    """A CTranslate2 model.bin (format 6): (name, shape, dtype code, bytes per element)."""
    out = struct.pack("<I", 6) + struct.pack("<H", 5) + b"Spec\0" + struct.pack("<I", 1) + struct.pack("<I", len(variables))
    for name, dims, code, width in variables:
        raw = name.encode() + b"\0"
        numel = int(np.prod(dims)) if dims else 1
        out += struct.pack("<H", len(raw)) + raw + struct.pack("<B", len(dims)) + struct.pack(f"<{len(dims)}I", *dims)
        out += struct.pack("<B", code) + struct.pack("<I", numel * width) + b"\0" * (numel * width)
    path.write_bytes(out)


def test_a_ctranslate2_header_is_read_and_converted_to_the_compute_type(tmp_path: Path):
    path = tmp_path / "model.bin"
    ct2_file(path, [("encoder/layer_0/linear_0/weight", (8, 16), 4, 2), ("encoder/layer_0/linear_0/bias", (8,), 4, 2),
                    ("decoder/alignment_heads", (2, 2), 3, 4)])
    variables = ctranslate2_variables(path)
    assert [(n, d, t) for n, d, t in variables] == [
        ("encoder/layer_0/linear_0/weight", (8, 16), 4), ("encoder/layer_0/linear_0/bias", (8,), 4),
        ("decoder/alignment_heads", (2, 2), 3)]
    int8 = sum(_converted_bytes(n, d, t, "int8") for n, d, t in variables)
    assert int8 == (8 * 16 + 8 * 4) + 8 * 4 + 4 * 4  # int8 rows with float32 scales; the rest float32; ints as stored
    assert sum(_converted_bytes(n, d, t, "float16") for n, d, t in variables) == 128 * 2 + 8 * 2 + 16


def test_a_truncated_ctranslate2_file_is_refused(tmp_path: Path):
    path = tmp_path / "model.bin"
    ct2_file(path, [("w", (4, 4), 4, 2)])
    path.write_bytes(path.read_bytes()[:30])
    with pytest.raises((ValueError, struct.error)):
        ctranslate2_variables(path)


def test_the_cpus_memory_is_the_ram_and_bytes_read_as_people_write_them():
    total, available, kind = device_memory("cpu")
    assert total and total > 0 and kind.startswith("RAM")
    assert available is None or 0 < available <= total
    assert [human_bytes(n) for n in (None, 999, 91_280_896, 8 * 1024**3)] == ["unknown", "999 B", "91.3 MB", "8.59 GB"]
