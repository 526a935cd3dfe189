"""The audio loader: wav/flac/ogg/mp3 at 44.1 kHz stereo come out 16 kHz mono float32 of the
right length; a missing or corrupt file fails with a NodeError that names it. Files are made
with PyAV (which faster-whisper brings), so the tests need no audio tool."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from app.engine.executor import Executor
from nodes.api import NodeError
from nodes.encoders.audio_loader import AudioLoader, as_audio, load_audio, resample
from nodes.registry import discover

av = pytest.importorskip("av")

RATE, SECONDS, AMPLITUDE = 44100, 1.5, 0.5
CODECS = {"wav": ("pcm_s16le", {}), "flac": ("flac", {}), "ogg": ("vorbis", {"strict": "experimental"}),
          "mp3": ("libmp3lame", {})}


def tone(path: Path, codec: str, options: dict[str, str]) -> Path:
    """A 440 Hz sine, the same in both channels of a 44.1 kHz stereo file."""
    t = np.arange(int(RATE * SECONDS)) / RATE
    wave = (AMPLITUDE * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=RATE, layout="stereo", options=options)
        frame = av.AudioFrame.from_ndarray(np.stack([wave, wave]), format="fltp", layout="stereo")
        frame.sample_rate = RATE
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            container.mux(packet)
    return path


class Ctx:
    node_id, run_id = "n", "r"

    def __init__(self) -> None:
        self.events: list[tuple[float, str]] = []
        self.provenance: dict[str, Any] = {}

    def progress(self, fraction: float, message: str = "", preview: Any = None) -> None:
        self.events.append((fraction, message))

    def record(self, key: str, value: Any) -> None:
        self.provenance[key] = value


@pytest.mark.parametrize("ext", sorted(CODECS))
def test_stereo_44k_becomes_16k_mono_float32(tmp_path: Path, ext: str) -> None:
    if CODECS[ext][0] not in av.codecs_available:
        pytest.skip(f"this PyAV build cannot encode {CODECS[ext][0]}")
    path = tone(tmp_path / f"tone.{ext}", *CODECS[ext])
    audio = AudioLoader().run(Ctx(), file=str(path))["audio"]
    samples = audio["samples"]
    assert audio["sample_rate"] == 16000
    assert isinstance(samples, np.ndarray) and samples.dtype == np.float32 and samples.ndim == 1
    assert len(samples) / 16000 == pytest.approx(SECONDS, rel=0.02)
    # the channels are averaged, not summed: the tone keeps its level and stays in [-1, 1]
    middle = samples[len(samples) // 4: 3 * len(samples) // 4]
    assert np.abs(middle).max() == pytest.approx(AMPLITUDE, abs=0.05)
    assert np.abs(samples).max() <= 1.0


def test_sample_rate_param(tmp_path: Path) -> None:
    path = tone(tmp_path / "tone.wav", *CODECS["wav"])
    audio = load_audio(path, sample_rate=8000)
    assert audio["sample_rate"] == 8000 and len(audio["samples"]) == pytest.approx(8000 * SECONDS, rel=0.01)


@pytest.mark.parametrize("content", [b"", b"RIFF\x00\x00\x00\x00WAVEgarbage" * 20, bytes(range(256)) * 40])
def test_corrupt_file_is_a_node_error_naming_it(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "broken_clip.wav"
    path.write_bytes(content)
    with pytest.raises(NodeError, match="broken_clip.wav"):
        load_audio(path)


def test_missing_file_is_a_node_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(NodeError, match="nowhere.mp3"):
        AudioLoader().run(Ctx(), file=str(tmp_path / "nowhere.mp3"))


def test_as_audio_downmixes_and_resamples() -> None:
    stereo = np.full((2, 44100), 0.25, dtype=np.float32)
    samples, rate = as_audio({"samples": stereo, "sample_rate": 44100})
    assert rate == 16000 and samples.dtype == np.float32 and samples.shape == (16000,)
    assert resample(np.zeros(16000, np.float32), 16000, 16000).shape == (16000,)
    with pytest.raises(NodeError, match="Audio"):
        as_audio("not audio")


def test_audio_input_finds_the_shipped_clip_from_anywhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # "assets/hello.wav" is not here: the examples folder has it
    doc = {"schema": "genaisys.graph/1", "name": "audio", "nodes": [
        {"id": "a", "type": "io.audio_input", "params": {"value": "assets/hello.wav"}},
        {"id": "out", "type": "io.json_output", "params": {}},
    ], "edges": [{"id": "e", "source": "a", "source_port": "audio", "target": "out", "target_port": "value"}]}
    result = Executor(discover()).run(doc)
    assert result.status == "succeeded", result.nodes["a"].error
    audio = result.outputs["out"]
    assert audio["sample_rate"] == 16000 and 5 <= len(audio["samples"]) / 16000 <= 9
    bad = Executor(discover()).run(doc, inputs={"a": "assets/no_such.wav"})
    assert bad.status == "failed" and "no_such.wav" in bad.nodes["a"].error["message"]
