"""Embedding and retrieval on the shipped MiniLM model and an embedded Chroma, through the
real executor."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from app.engine.executor import Executor
from app.engine.validate import validate
from nodes.registry import discover

pytestmark = pytest.mark.slow

REGISTRY = discover()


def doc(nodes: list[dict[str, Any]], edges: list[tuple[str, str, str, str]]) -> dict[str, Any]:
    return {
        "schema": "genaisys.graph/1",
        "nodes": [{"id": n.pop("id"), "type": n.pop("type"), "params": n} for n in nodes],
        "edges": [{"id": f"e{i}", "source": s, "source_port": sp, "target": t, "target_port": tp}
                  for i, (s, sp, t, tp) in enumerate(edges)],
    }


def embed_graph(text: str) -> dict[str, Any]:
    return doc([{"id": "q", "type": "io.text_input", "value": text}, {"id": "emb", "type": "encoders.text_embedder"},
                {"id": "out", "type": "io.json_output"}],
               [("q", "text", "emb", "texts"), ("emb", "embeddings", "out", "value")])


@pytest.fixture(scope="module")
def executor():
    ex = Executor(REGISTRY)
    yield ex
    ex.backend.shutdown()


def test_embedder_type_knows_its_dimension_before_running():
    report = validate(embed_graph("x"), REGISTRY).report()
    assert report["types"]["emb"]["outputs"] == {"embeddings": "Embedding[384]"}


def test_embeddings_are_unit_vectors_that_place_paraphrases_close(executor):
    vecs = {}
    for key, text in {"a": "A cat sits on the mat.", "b": "A kitten is sitting on a rug.", "c": "Stock markets fell sharply today."}.items():
        vecs[key] = executor.run(embed_graph(text)).outputs["out"][0]
    for v in vecs.values():
        assert v.shape == (384,) and abs(np.linalg.norm(v) - 1) < 1e-5
    assert float(vecs["a"] @ vecs["b"]) > float(vecs["a"] @ vecs["c"]) + 0.3


def test_a_second_run_loads_no_model(executor):
    executor.run(embed_graph("first question"))
    result = executor.run(embed_graph("another question"))
    (model,) = [v for k, v in result.nodes["emb"].provenance.items() if k.startswith("model:")]
    assert model["loaded"] is False and model["name"] == "all-MiniLM-L6-v2" and len(model["sha256"]) == 64


def rag_store_graph(tmp_path, question: str, where: Any = None, collection: str = "notes") -> dict[str, Any]:
    return doc(
        [{"id": "docs", "type": "encoders.document_loader", "path": "assets/docs"},
         {"id": "split", "type": "encoders.text_splitter", "size": 300, "overlap": 30},
         {"id": "emb_docs", "type": "encoders.text_embedder"},
         {"id": "store", "type": "stores.chroma_write", "collection": collection, "path": str(tmp_path / "chroma")},
         {"id": "q", "type": "io.text_input", "value": question},
         {"id": "emb_q", "type": "encoders.text_embedder"},
         {"id": "find", "type": "stores.chroma_query", "top_k": 2, **({"where": where} if where else {})},
         {"id": "out", "type": "io.json_output"}, {"id": "count", "type": "io.json_output"}],
        [("docs", "documents", "split", "documents"), ("split", "chunks", "emb_docs", "documents"),
         ("split", "chunks", "store", "documents"), ("emb_docs", "embeddings", "store", "embeddings"),
         ("q", "text", "emb_q", "texts"), ("store", "collection", "find", "collection"),
         ("emb_q", "embeddings", "find", "query"), ("find", "documents", "out", "value"), ("store", "count", "count", "value")],
    )


def test_chroma_stores_and_retrieves_the_relevant_chunk(executor, tmp_path):
    g = rag_store_graph(tmp_path, "What is the coffee machine called?")
    assert validate(g, REGISTRY).report()["types"]["store"]["outputs"]["collection"] == "Collection[384]"
    result = executor.run(g)
    assert result.status == "succeeded", {k: r.error for k, r in result.nodes.items() if r.error}
    top = result.outputs["out"][0]
    assert "Bartholomew" in top["text"] and top["metadata"]["source"] == "station.md"
    assert top["metadata"]["distance"] <= result.outputs["out"][1]["metadata"]["distance"]
    count = result.outputs["count"]
    # adding the same documents again (a fresh executor: nothing cached) keeps one copy of each
    fresh = Executor(REGISTRY)
    assert fresh.run(g).outputs["count"] == count
    fresh.backend.shutdown()


def test_metadata_filter_limits_the_search(executor, tmp_path):
    g = rag_store_graph(tmp_path, "What is the coffee machine called?", where={"source": "equipment.txt"})
    result = executor.run(g)
    assert result.status == "succeeded"
    assert {d["metadata"]["source"] for d in result.outputs["out"]} == {"equipment.txt"}


def test_a_bad_filter_fails_the_query_node_with_a_clear_message(executor, tmp_path):
    g = rag_store_graph(tmp_path, "coffee", where={"$nonsense": 1})
    result = executor.run(g)
    assert result.nodes["find"].status == "failed"
    assert "metadata filter" in result.nodes["find"].error["message"]
    assert result.nodes["store"].status in ("succeeded", "cached")
