"""Node outputs as JSON and back, exactly: what the persistent result cache stores.

Unlike the summaries a client sees (``app.services.outputs``: previews, 16-bit WAV), a value
decoded here is the value that was encoded — same type, dtype, shape, bytes — so a node fed
from the disk cache computes what it would have from the live value. Plain JSON stays as it is;
everything else is a one-key object whose key starts with ``$``:

    {"$f": "nan"}                 a float JSON cannot write (nan, inf, -inf)
    {"$tuple": [...]}              a tuple
    {"$dict": [[key, value], ...]} a dict whose keys start with "$" (so it is not read as a tag)
    {"$bytes": "<base64>"}         bytes
    {"$nd": "<base64 .npy>"}       a numpy array (no pickled objects)
    {"$torch": {"nd": ..., "dtype": "bfloat16", "device": "cpu"}}   a torch tensor
    {"$image": {"png": "<base64>", "mode": "RGB"}}                  a PIL image (PNG is lossless)

Large binary parts (over ``inline_limit`` bytes) go to ``put_blob`` and come back through
``get_blob``, as ``{"$blob": ref}`` in place of the base64. A value of any other kind raises
``Unencodable``: it stays in the memory cache only.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Callable
from typing import Any

PutBlob = Callable[[bytes], str]
GetBlob = Callable[[str], bytes]

INLINE_LIMIT = 64 * 1024
_PNG_MODES = frozenset({"1", "L", "LA", "P", "RGB", "RGBA", "I;16", "I"})


class Unencodable(Exception):
    """A value the disk cache cannot keep exactly."""


def encode(value: Any, put_blob: PutBlob | None = None, inline_limit: int = INLINE_LIMIT) -> Any:
    """``value`` as JSON-safe data (Unencodable if some part has no exact form)."""
    return _Encoder(put_blob, inline_limit).enc(value, 0)


def decode(data: Any, get_blob: GetBlob | None = None) -> Any:
    """The value ``encode`` made ``data`` of."""
    return _decode(data, get_blob)


class _Encoder:
    def __init__(self, put_blob: PutBlob | None, inline_limit: int) -> None:
        self.put_blob, self.inline_limit = put_blob, inline_limit

    def binary(self, data: bytes) -> Any:
        if self.put_blob is not None and len(data) > self.inline_limit:
            return {"$blob": self.put_blob(data)}
        return base64.b64encode(data).decode("ascii")

    def enc(self, value: Any, depth: int) -> Any:
        if depth > 64:
            raise Unencodable("nested too deep")
        kind = type(value)
        if value is None or kind in (bool, int, str):
            return value
        if kind is float:
            return value if math.isfinite(value) else {"$f": repr(value)}
        if kind is list:
            return [self.enc(v, depth + 1) for v in value]
        if kind is tuple:
            return {"$tuple": [self.enc(v, depth + 1) for v in value]}
        if kind is dict:
            if not all(type(k) is str for k in value):
                raise Unencodable("a dict with keys that are not text")
            if any(k.startswith("$") for k in value):
                return {"$dict": [[k, self.enc(v, depth + 1)] for k, v in value.items()]}
            return {k: self.enc(v, depth + 1) for k, v in value.items()}
        if isinstance(value, bytes | bytearray):
            return {"$bytes": self.binary(bytes(value))}
        module = kind.__module__
        if module.startswith("numpy") and hasattr(value, "dtype") and hasattr(value, "shape"):
            return {"$nd": self.binary(_npy(value))}
        if module.startswith("torch") and hasattr(value, "detach"):
            tensor = value.detach()
            dtype = str(tensor.dtype).removeprefix("torch.")
            as_numpy = tensor.float() if dtype == "bfloat16" else tensor  # numpy has no bf16: float32 holds it exactly
            return {"$torch": {"nd": self.binary(_npy(as_numpy.cpu().contiguous().numpy())), "dtype": dtype,
                               "device": str(tensor.device)}}
        if module.startswith("PIL.") and hasattr(value, "save") and hasattr(value, "mode"):
            if value.mode not in _PNG_MODES:
                raise Unencodable(f"an image in mode {value.mode}")
            buf = io.BytesIO()
            value.save(buf, format="PNG")
            return {"$image": {"png": self.binary(buf.getvalue()), "mode": value.mode}}
        if isinstance(value, int | float | str):  # an IntEnum, a StrEnum: its plain value
            return self.enc(int(value) if isinstance(value, int) else float(value) if isinstance(value, float)
                            else str(value), depth)
        raise Unencodable(kind.__name__)


def _npy(array: Any) -> bytes:
    import numpy as np

    if array.dtype == object:
        raise Unencodable("an array of Python objects")
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(array), allow_pickle=False)
    return buf.getvalue()


def _binary(data: Any, get_blob: GetBlob | None) -> bytes:
    if isinstance(data, dict):
        if get_blob is None:
            raise ValueError("this value's data is in a blob, and no blob reader was given")
        return get_blob(data["$blob"])
    return base64.b64decode(data)


def _decode(data: Any, get_blob: GetBlob | None) -> Any:
    if isinstance(data, list):
        return [_decode(v, get_blob) for v in data]
    if not isinstance(data, dict):
        return data
    if len(data) == 1:
        (tag, body), = data.items()
        if tag == "$f":
            return float(body)
        if tag == "$tuple":
            return tuple(_decode(v, get_blob) for v in body)
        if tag == "$dict":
            return {k: _decode(v, get_blob) for k, v in body}
        if tag == "$bytes":
            return _binary(body, get_blob)
        if tag == "$nd":
            return _load_npy(_binary(body, get_blob))
        if tag == "$torch":
            import torch

            tensor = torch.from_numpy(_load_npy(_binary(body["nd"], get_blob)).copy())
            tensor = tensor.to(getattr(torch, body["dtype"]))
            device = body.get("device", "cpu")
            if device != "cpu" and _available(device):
                tensor = tensor.to(device)
            return tensor
        if tag == "$image":
            from PIL import Image

            image = Image.open(io.BytesIO(_binary(body["png"], get_blob)))
            image.load()
            return image
    return {k: _decode(v, get_blob) for k, v in data.items()}


def _load_npy(data: bytes) -> Any:
    import numpy as np

    return np.load(io.BytesIO(data), allow_pickle=False)


def _available(device: str) -> bool:
    import torch

    kind = device.split(":", 1)[0]
    if kind == "cuda":
        return bool(torch.cuda.is_available())
    if kind == "mps":
        return bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())
    return False
