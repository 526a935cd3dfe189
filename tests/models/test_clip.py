"""CLIP text and image encoders on a tiny CLIP the test builds (no CLIP weights ship in any
package), through the real executor; and CLIP's dimension checked against a MiniLM store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from app.engine.executor import Executor
from app.engine.validate import validate
from nodes.registry import discover

pytestmark = pytest.mark.slow
REGISTRY = discover()


@pytest.fixture(scope="module")
def tiny_clip(tmp_path_factory) -> Path:
    import torch
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel, CLIPProcessor, CLIPTokenizer

    from nodes.models._tiny_sd import byte_vocab

    vocab = byte_vocab()
    torch.manual_seed(0)
    config = CLIPConfig(
        text_config={"vocab_size": len(vocab), "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
                     "num_attention_heads": 4, "max_position_embeddings": 77, "bos_token_id": vocab["<|startoftext|>"],
                     "eos_token_id": vocab["<|endoftext|>"], "pad_token_id": vocab["<|endoftext|>"]},
        vision_config={"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
                       "image_size": 32, "patch_size": 8},
        projection_dim=16,
    )
    folder = tmp_path_factory.mktemp("tiny-clip")
    CLIPModel(config).save_pretrained(folder)
    processor = CLIPProcessor(
        image_processor=CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}),
        tokenizer=CLIPTokenizer(vocab=vocab, merges=[], model_max_length=77),
    )
    processor.save_pretrained(folder)
    return folder


def graph(nodes: list[dict[str, Any]], edges: list[tuple[str, str, str, str]]) -> dict[str, Any]:
    return {"schema": "genaisys.graph/1",
            "nodes": [{"id": n.pop("id"), "type": n.pop("type"), "params": n} for n in nodes],
            "edges": [{"id": f"e{i}", "source": s, "source_port": sp, "target": t, "target_port": tp}
                      for i, (s, sp, t, tp) in enumerate(edges)]}


def test_text_and_image_land_in_one_space_and_match_the_direct_call(tiny_clip, tmp_path):
    import torch
    from PIL import Image
    from transformers import CLIPModel, CLIPProcessor

    picture = tmp_path / "red.png"
    Image.new("RGB", (48, 40), (200, 30, 30)).save(picture)
    doc = graph(
        [{"id": "t", "type": "io.text_input", "value": "a red square"},
         {"id": "te", "type": "encoders.clip_text", "model": str(tiny_clip)},
         {"id": "f", "type": "io.file_input", "value": str(picture)},
         {"id": "img", "type": "encoders.image_loader"},
         {"id": "ie", "type": "encoders.clip_image", "model": str(tiny_clip)},
         {"id": "to", "type": "io.json_output"}, {"id": "io", "type": "io.json_output"}],
        [("t", "text", "te", "texts"), ("f", "file", "img", "file"), ("img", "image", "ie", "images"),
         ("te", "embeddings", "to", "value"), ("ie", "embeddings", "io", "value")],
    )
    report = validate(doc, REGISTRY).report()
    assert report["valid"], report["problems"]
    assert report["types"]["te"]["outputs"]["embeddings"] == "Embedding[16]"
    ex = Executor(REGISTRY)
    result = ex.run(doc)
    ex.backend.shutdown()
    assert result.status == "succeeded", {k: r.error for k, r in result.nodes.items() if r.error}
    text_vec, image_vec = result.outputs["to"], result.outputs["io"]
    assert text_vec.shape == image_vec.shape == (1, 16)
    assert np.allclose(np.linalg.norm(text_vec, axis=1), 1, atol=1e-5)

    model, processor = CLIPModel.from_pretrained(tiny_clip).eval(), CLIPProcessor.from_pretrained(tiny_clip)
    with torch.inference_mode():
        batch = processor(text=["a red square"], return_tensors="pt", padding=True)
        direct = model.get_text_features(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])
        direct = getattr(direct, "pooler_output", direct)
    assert np.allclose(text_vec, torch.nn.functional.normalize(direct, dim=-1).numpy(), atol=1e-5)


def test_clip_vectors_cannot_query_a_minilm_collection(tiny_clip):
    doc = graph(
        [{"id": "docs", "type": "encoders.document_loader", "path": "assets/docs"},
         {"id": "emb", "type": "encoders.text_embedder"},
         {"id": "store", "type": "stores.chroma_write"},
         {"id": "q", "type": "io.text_input", "value": "coffee"},
         {"id": "clip", "type": "encoders.clip_text", "model": str(tiny_clip)},
         {"id": "find", "type": "stores.chroma_query"}],
        [("docs", "documents", "emb", "documents"), ("docs", "documents", "store", "documents"),
         ("emb", "embeddings", "store", "embeddings"), ("q", "text", "clip", "texts"),
         ("store", "collection", "find", "collection"), ("clip", "embeddings", "find", "query")],
    )
    problems = validate(doc, REGISTRY).problems
    assert [(p.code, p.node_id, p.port) for p in problems] == [("dimension_mismatch", "find", "query")]
    assert "Embedding[16]" in problems[0].message and "Embedding[384]" in problems[0].message
