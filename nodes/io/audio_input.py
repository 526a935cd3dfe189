from typing import Any

from nodes.api import Context, Input, Output
from nodes.encoders.audio_loader import DEFAULT_RATE, load_audio
from nodes.io._base import InputNode, label_input
from nodes.runtime.paths import portable, resolve_path


class AudioInput(InputNode):
    """An audio file (wav, mp3, flac, ogg, ...) decoded to 16 kHz mono samples.

    The value is a path. A relative path is looked up from the working directory first,
    then from the shipped ``examples/`` folder, so an example graph can name
    ``assets/hello.wav`` and run from anywhere."""

    type_id = "io.audio_input"
    title = "Audio input"
    inline = False  # decoding a long file must not hold up the scheduler
    output_name = "audio"
    inputs = (
        label_input("Audio"),
        Input("value", "Text", default="", widget="audio", connectable=False,
              help="Path to an audio file; relative paths are also looked up in examples/"),
    )
    outputs = (Output("audio", "Audio", help="Mono float32 samples in [-1, 1] at 16 kHz"),)

    def run(self, ctx: Context, value: Any, label: str) -> dict[str, Any]:
        path = resolve_path(str(value or ""), what="audio file", must_be="file")
        audio = load_audio(path, DEFAULT_RATE, progress=lambda f: ctx.progress(f, f"decoding {path.name}"))
        ctx.record("audio_input", {"file": portable(path, str(value)), "seconds": round(len(audio["samples"]) / DEFAULT_RATE, 3)})
        return {"audio": audio}
