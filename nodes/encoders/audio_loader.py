"""Decodes an audio file (wav, mp3, flac, ogg, m4a, ... anything FFmpeg reads) into an
``Audio`` value: ``{"samples": float32 1-D array in [-1, 1], "sample_rate": int}``, mono,
resampled (16 kHz by default, what speech models expect).

Decoding goes through PyAV (``av``), which faster-whisper already brings, so there is no
extra dependency and no ffmpeg binary to install. Channels are averaged (FFmpeg's own
down-mix adds them at -3 dB, which can clip), then resampled by libswresample.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nodes.api import Context, Input, Node, NodeError, Output
from nodes.runtime.paths import resolve_path

DEFAULT_RATE = 16000


class AudioLoader(Node):
    """Decodes an audio file to mono samples at a chosen rate (16 kHz for speech models)."""

    type_id = "encoders.audio_loader"
    title = "Audio loader"
    inputs = (
        Input("file", "File", widget=None, help="An audio file: wav, mp3, flac, ogg, ..."),
        Input("sample_rate", "Integer", default=DEFAULT_RATE, min=8000, max=192000,
              help="Resample to this rate (Hz); speech models want 16000"),
    )
    outputs = (Output("audio", "Audio", help="Mono float32 samples in [-1, 1] and their sample rate"),)

    def run(self, ctx: Context, file: str, sample_rate: int = DEFAULT_RATE) -> dict[str, Any]:
        path = resolve_path(str(file or ""), what="audio file", must_be="file")
        audio = load_audio(path, sample_rate, progress=lambda f: ctx.progress(f, f"decoding {path.name}"))
        ctx.progress(1.0, f"{path.name}: {duration(audio):.1f} s at {sample_rate} Hz")
        return {"audio": audio}


def load_audio(path: str | Path, sample_rate: int = DEFAULT_RATE,
               progress: Callable[[float], None] | None = None) -> dict[str, Any]:
    """Decode ``path`` to a mono Audio value at ``sample_rate``; NodeError naming the file if
    it is missing, not audio, or corrupt. ``progress(fraction)`` is called now and then."""
    import av
    import numpy as np

    path = Path(path)
    if not path.is_file():
        raise NodeError(f"audio file not found: {path.name}")
    sample_rate = _check_rate(sample_rate)
    try:
        container = av.open(str(path), metadata_errors="ignore")
    except av.error.FFmpegError as exc:
        raise NodeError(f"cannot decode {path.name}: not a readable audio file ({_reason(exc)})") from None
    chunks: list[Any] = []
    with container:
        stream = next(iter(container.streams.audio), None)
        if stream is None:
            raise NodeError(f"{path.name} has no audio stream")
        total = float(container.duration) / 1e6 if container.duration else 0.0
        resampler = av.AudioResampler(format="fltp", rate=sample_rate)  # layout: the input's
        last = time.monotonic()
        try:
            for packet in container.demux(stream):
                try:
                    frames = packet.decode()
                except av.error.InvalidDataError:
                    continue  # a damaged packet: skip it, as ffmpeg does
                for frame in frames:
                    chunks.extend(_mono(out) for out in resampler.resample(frame))
                    if progress is not None and total and frame.time is not None and time.monotonic() - last > 0.25:
                        last = time.monotonic()
                        progress(min(0.99, frame.time / total))
            chunks.extend(_mono(out) for out in resampler.resample(None))
        except av.error.FFmpegError as exc:
            if not chunks:  # a truncated file keeps what decoded; an unreadable one fails
                raise NodeError(f"cannot decode {path.name}: {_reason(exc)}") from None
    samples = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
    if samples.size == 0:
        raise NodeError(f"no audio could be decoded from {path.name}: the file is empty or corrupt")
    np.clip(samples, -1.0, 1.0, out=samples)
    return {"samples": samples, "sample_rate": sample_rate}


def as_audio(value: Any, sample_rate: int = DEFAULT_RATE) -> tuple[Any, int]:
    """Check an ``Audio`` value and return (mono float32 samples at ``sample_rate``, rate)."""
    import numpy as np

    if not isinstance(value, dict) or "samples" not in value or "sample_rate" not in value:
        raise NodeError("expected an Audio value ({'samples', 'sample_rate'}); connect an audio loader or audio input")
    samples = np.asarray(value["samples"], dtype=np.float32)
    if samples.ndim == 2:  # (channels, n) or (n, channels): average the shorter axis
        samples = samples.mean(axis=0 if samples.shape[0] <= samples.shape[1] else 1)
    if samples.ndim != 1:
        raise NodeError(f"audio samples must be 1-D (mono), got shape {samples.shape}")
    rate = int(value["sample_rate"])
    if rate != sample_rate:
        samples, rate = resample(samples, rate, sample_rate), sample_rate
    return np.ascontiguousarray(samples, dtype=np.float32), rate


def resample(samples: Any, from_rate: int, to_rate: int) -> Any:
    """Resample mono float32 samples with libswresample (through PyAV)."""
    import av
    import numpy as np

    from_rate, to_rate = _check_rate(from_rate), _check_rate(to_rate)
    samples = np.ascontiguousarray(samples, dtype=np.float32).reshape(1, -1)
    if from_rate == to_rate or samples.size == 0:
        return samples.reshape(-1)
    frame = av.AudioFrame.from_ndarray(samples, format="flt", layout="mono")
    frame.sample_rate = from_rate
    resampler = av.AudioResampler(format="flt", layout="mono", rate=to_rate)
    outs = resampler.resample(frame) + resampler.resample(None)
    return np.concatenate([o.to_ndarray().reshape(-1) for o in outs])


def duration(audio: dict[str, Any]) -> float:
    return len(audio["samples"]) / float(audio["sample_rate"])


def _mono(frame: Any) -> Any:
    """A planar float frame (channels, n) as one averaged float32 channel."""
    data = frame.to_ndarray()
    return data[0].copy() if data.shape[0] == 1 else data.mean(axis=0, dtype="float32")


def _check_rate(rate: Any) -> int:
    try:
        rate = int(rate)
    except (TypeError, ValueError):
        raise NodeError(f"sample rate must be a whole number of Hz, got {rate!r}") from None
    if not 1000 <= rate <= 384000:
        raise NodeError(f"sample rate {rate} Hz is out of range (1000 to 384000)")
    return rate


def _reason(exc: Exception) -> str:
    return getattr(exc, "strerror", None) or str(exc)
