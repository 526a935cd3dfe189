"""Which models a warm start loads: each distinct model of the latest runs, once."""

from __future__ import annotations

import json
from pathlib import Path

from app.services.warm_start import models_to_warm
from nodes.registry import default_registry

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_each_model_of_the_latest_runs_once_and_nothing_for_nodes_without_one():
    rag = json.loads((EXAMPLES / "rag.json").read_text())
    whisper = json.loads((EXAMPLES / "whisper.json").read_text())
    prompts = json.loads((EXAMPLES / "prompt_builder.json").read_text())
    found = [(cls.type_id, params.get("model")) for cls, params in models_to_warm([rag, rag, prompts, whisper],
                                                                                 default_registry())]
    assert found == [("encoders.text_embedder", None), ("stores.chroma_write", None), ("stores.chroma_query", None),
                     ("models.llm", None), ("models.speech_to_text", "whisper-tiny.en")]
    assert models_to_warm([prompts, None, {"nodes": ["junk", {"type": "no.such"}]}], default_registry()) == []
