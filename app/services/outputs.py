"""Turn node outputs into JSON a client can show: small values inline, large ones (images,
audio, arrays, long texts) as content-addressed artifacts with a short preview.

An artifact reference is ``{"$artifact": sha256, "mime": ..., "size": ..., "url": ...}``
plus, where it helps, a ``preview`` (the start of a text) or a ``shape`` (an array's).
Heavy libraries are never imported here: values are recognised by their attributes.
"""

from __future__ import annotations

import io
import json
import math
import wave
from collections.abc import Callable
from typing import Any

PREVIEW_CHARS = 2000

Store = Callable[[bytes, str], dict[str, Any]]
"""Writes bytes with a mime type as an artifact; returns its reference."""


def summarize(value: Any, store: Store, inline_limit: int) -> Any:
    """A JSON-safe form of ``value`` for the database, the API and the websocket."""
    if type(value) is str and len(value) * 4 <= inline_limit:  # the common case, decided without encoding
        return value
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, str):
        if len(value.encode()) <= inline_limit:
            return value
        ref = store(value.encode(), "text/plain; charset=utf-8")
        return {**ref, "preview": value[:PREVIEW_CHARS]}
    if isinstance(value, bytes | bytearray):
        return store(bytes(value), "application/octet-stream")
    if _is_image(value):
        buf = io.BytesIO()
        value.save(buf, format="PNG")
        return {**store(buf.getvalue(), "image/png"), "width": value.size[0], "height": value.size[1]}
    if _is_audio(value):
        return {**store(wav_bytes(value["samples"], int(value["sample_rate"])), "audio/wav"),
                "sample_rate": int(value["sample_rate"]), "seconds": _seconds(value)}
    array = _as_array(value)
    if array is not None:
        if array.nbytes <= inline_limit and array.ndim <= 2:
            return {"shape": list(array.shape), "dtype": str(array.dtype), "values": array.tolist()}
        buf = io.BytesIO()
        import numpy as np

        np.save(buf, array, allow_pickle=False)
        return {**store(buf.getvalue(), "application/x-npy"), "shape": list(array.shape), "dtype": str(array.dtype)}
    if isinstance(value, dict | list | tuple):
        try:
            text = json.dumps(value, allow_nan=False)
        except (TypeError, ValueError):
            if isinstance(value, dict):
                return {str(k): summarize(v, store, inline_limit) for k, v in value.items()}
            return [summarize(v, store, inline_limit) for v in value]
        if len(text) <= inline_limit:
            return value if not isinstance(value, tuple) else list(value)
        return {**store(text.encode(), "application/json"), "preview": text[:PREVIEW_CHARS]}
    return {"repr": repr(value)[:PREVIEW_CHARS], "type": type(value).__name__}


def preview(value: Any, max_side: int = 256) -> Any:
    """A progress preview a browser can show at once: images become a small PNG data URL,
    texts and numbers pass as they are, anything else its short description."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if _is_image(value):
        import base64

        image = value.copy()
        image.thumbnail((max_side, max_side))
        buf = io.BytesIO()
        image.save(buf, format="PNG")
        return {"image": "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode(), "width": image.size[0], "height": image.size[1]}
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return {"repr": repr(value)[:200], "type": type(value).__name__}


def _is_image(value: Any) -> bool:
    return type(value).__module__.startswith("PIL.") and hasattr(value, "save") and hasattr(value, "size")


def _is_audio(value: Any) -> bool:
    return isinstance(value, dict) and "samples" in value and "sample_rate" in value


def _as_array(value: Any) -> Any:
    module = type(value).__module__
    if module.startswith("numpy") and hasattr(value, "nbytes"):
        return value
    if module.startswith("torch") and hasattr(value, "detach"):
        tensor = value.detach()
        if not tensor.dtype.is_floating_point or tensor.dtype.itemsize < 4:  # bf16/fp16: numpy lacks bf16
            tensor = tensor.float() if tensor.dtype.is_floating_point else tensor
        return tensor.cpu().numpy()
    return None


def _seconds(audio: dict[str, Any]) -> float:
    return round(len(audio["samples"]) / max(1, int(audio["sample_rate"])), 3)


def wav_bytes(samples: Any, sample_rate: int) -> bytes:
    """16-bit PCM WAV of mono float samples in [-1, 1] (what browsers play everywhere)."""
    import numpy as np

    pcm = (np.clip(np.asarray(samples, dtype=np.float32).reshape(-1), -1.0, 1.0) * 32767).astype("<i2")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sample_rate)
        w.writeframes(pcm.tobytes())
    return buf.getvalue()
