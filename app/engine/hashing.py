"""Content hashes of node outputs: the same value gives the same hash in any process, on any
machine, so a replay can say per output whether it came out identical.

One hasher is fed a tagged, canonical byte form of the value: texts and JSON as UTF-8, images
by mode, size and pixels, audio by sample rate and float32 samples, arrays and tensors by
dtype, shape and bytes, dicts by sorted key, lists in order. A value of a kind it does not
know (a Python object without a stable form) has no hash: ``None``, and a replay says it
cannot compare it rather than guessing. Heavy libraries are never imported here: values are
recognised by their attributes, as ``app.services.outputs`` does.
"""

from __future__ import annotations

import hashlib
import math
import struct
from typing import Any

PREFIX = "sha256:"


class Unhashable(Exception):
    """A value with no canonical byte form."""


def output_hash(value: Any) -> str | None:
    """``sha256:<hex>`` of ``value``'s content, or None when it has no canonical form."""
    if type(value) is str:  # the common case, in one call
        return PREFIX + hashlib.sha256(_text(value)).hexdigest()
    digest = hashlib.sha256()
    try:
        _feed(digest, value, 0)
    except Unhashable:
        return None
    return PREFIX + digest.hexdigest()


def output_hashes(outputs: dict[str, Any]) -> dict[str, str | None]:
    """The hash of each output port's value."""
    return {port: output_hash(value) for port, value in outputs.items()}


def _feed(h: Any, value: Any, depth: int) -> None:
    if depth > 64:
        raise Unhashable("nested too deep")
    kind = type(value)
    if value is None:
        h.update(b"N")
    elif kind is bool:
        h.update(b"T" if value else b"F")
    elif kind is int:
        text = str(value).encode()
        h.update(b"i" + struct.pack(">I", len(text)) + text)
    elif kind is float:
        # every finite float has one repr; -0.0 and 0.0 compare equal, so hash alike
        text = repr(value + 0.0 if value == 0 else value).encode() if math.isfinite(value) else repr(value).encode()
        h.update(b"f" + struct.pack(">I", len(text)) + text)
    elif kind is str:
        h.update(_text(value))
    elif isinstance(value, bytes | bytearray | memoryview):
        data = bytes(value)
        h.update(b"b" + struct.pack(">Q", len(data)) + data)
    elif _is_image(value):
        mode = value.mode.encode()
        h.update(b"I" + struct.pack(">II", *value.size) + struct.pack(">I", len(mode)) + mode)
        data = value.tobytes()
        h.update(struct.pack(">Q", len(data)) + data)
    elif (array := _as_array(value)) is not None:
        _feed_array(h, array)
    elif isinstance(value, dict):
        if _is_audio(value):
            h.update(b"A")
        h.update(b"d" + struct.pack(">Q", len(value)))
        for key in sorted(value, key=str):
            _feed(h, str(key), depth + 1)
            _feed(h, value[key], depth + 1)
    elif isinstance(value, list | tuple):
        h.update(b"l" + struct.pack(">Q", len(value)))
        for item in value:
            _feed(h, item, depth + 1)
    elif isinstance(value, int | float | str):  # subclasses (an IntEnum, a StrEnum): their plain value
        _feed(h, (int if isinstance(value, int) else float if isinstance(value, float) else str)(value), depth)
    else:
        raise Unhashable(type(value).__name__)


def _text(value: str) -> bytes:
    """A text's tagged canonical form: its UTF-8 bytes, length first."""
    data = value.encode("utf-8", "surrogatepass")
    return b"s" + struct.pack(">Q", len(data)) + data


class _Tagged:
    def __init__(self, array: Any, tag: bytes) -> None:
        self.array, self.tag = array, tag


def _feed_array(h: Any, array: Any) -> None:
    import numpy as np

    if isinstance(array, _Tagged):
        h.update(array.tag)
        array = array.array
    array = np.ascontiguousarray(array)
    if array.dtype == object:
        raise Unhashable("object array")
    dtype = array.dtype.str.encode()  # byte order included: '<f4'
    h.update(b"a" + struct.pack(">I", len(dtype)) + dtype + struct.pack(">I", array.ndim))
    h.update(b"".join(struct.pack(">Q", n) for n in array.shape))
    h.update(memoryview(array).cast("B"))


def _is_image(value: Any) -> bool:
    return type(value).__module__.startswith("PIL.") and hasattr(value, "tobytes") and hasattr(value, "mode")


def _is_audio(value: dict[str, Any]) -> bool:
    return "samples" in value and "sample_rate" in value


def _as_array(value: Any) -> Any:
    """A numpy view of an array or tensor (a bf16 tensor as float32: numpy has no bf16)."""
    module = type(value).__module__
    if module.startswith("numpy") and hasattr(value, "dtype") and hasattr(value, "shape"):
        import numpy as np

        return np.asarray(value)
    if module.startswith("torch") and hasattr(value, "detach"):
        tensor = value.detach()
        if str(tensor.dtype) == "torch.bfloat16":  # numpy has no bf16: its float32 values, tagged
            return _Tagged(tensor.float().cpu().contiguous().numpy(), b"bf16")
        return tensor.cpu().contiguous().numpy()
    return None
