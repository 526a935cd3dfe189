"""The LLM node through the real executor, on the shipped SmolLM2-135M-Instruct (the GGUF
converted once into a model folder): greedy answers are right and repeat, seeded sampling
repeats, tokens stream as growing progress messages, a second run loads no model, a LoRA
adapter changes the output and removing it restores the base output exactly, a cancel
stops generation at once, and a bad model name fails with a message naming it."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from app.engine.context import CancelToken
from app.engine.executor import Executor
from nodes.registry import discover
from nodes.runtime import get_runtime

pytestmark = pytest.mark.slow

QUESTION = "What is the capital of France? Answer in one word."


@pytest.fixture(scope="module")
def registry():
    reg = discover()
    for type_id in ("models.llm", "models.lora_adapter"):
        if type_id not in reg:
            pytest.fail(f"{type_id} did not load: {[e.error for e in reg.load_errors]}")
    return reg


def graph(prompt: str, adapter: dict[str, Any] | None = None, **llm: Any) -> dict[str, Any]:
    """question -> LLM -> answer, optionally with a LoRA adapter node wired into the LLM."""
    nodes = [
        {"id": "q", "type": "io.text_input", "params": {"value": prompt}},
        {"id": "llm", "type": "models.llm", "params": {"max_tokens": 16, **llm}},
        {"id": "answer", "type": "io.text_output", "params": {}},
    ]
    edges = [
        {"id": "e1", "source": "q", "source_port": "text", "target": "llm", "target_port": "prompt"},
        {"id": "e2", "source": "llm", "source_port": "text", "target": "answer", "target_port": "value"},
    ]
    if adapter is not None:
        nodes.append({"id": "lora", "type": "models.lora_adapter", "params": adapter})
        edges.append({"id": "e3", "source": "lora", "source_port": "adapter", "target": "llm", "target_port": "adapter"})
    return {"schema": "genaisys.graph/1", "name": "llm test", "nodes": nodes, "edges": edges}


def run(registry, doc: dict[str, Any], cancel: CancelToken | None = None, on_event=None):
    """A fresh executor each time, so no node result is cached: only the model runtime
    (process-wide) carries over from one run to the next."""
    events: list[Any] = []

    def sink(event: Any) -> None:
        events.append(event)
        if on_event is not None:
            on_event(event)

    executor = Executor(registry)
    try:
        result = executor.run(doc, on_event=sink, cancel=cancel)
    finally:
        executor.backend.shutdown()
    return result, events


def answer(registry, doc: dict[str, Any]) -> str:
    result, _ = run(registry, doc)
    assert result.status == "succeeded", {n: r.error for n, r in result.nodes.items() if r.error}
    assert result.nodes["llm"].status == "succeeded"  # it ran: nothing came from a result cache
    return result.outputs["answer"]


def model_records(provenance: dict[str, Any]) -> list[dict[str, Any]]:
    return [v for k, v in provenance.items() if k.startswith("model:")]


def test_greedy_answer_is_right_and_repeats(registry) -> None:
    first = answer(registry, graph(QUESTION))
    assert "Paris" in first, first
    assert answer(registry, graph(QUESTION)) == first


def test_seeded_sampling_repeats(registry) -> None:
    doc = graph("Write one sentence about the sea.", temperature=0.9, top_p=0.9, seed=7)
    first = answer(registry, doc)
    assert first and answer(registry, doc) == first


def test_tokens_stream_as_growing_progress_and_the_second_run_loads_no_model(registry, monkeypatch) -> None:
    import nodes.models._llm as llm_loader

    monkeypatch.setattr(llm_loader, "PROGRESS_INTERVAL_S", 0.0)  # every token, however fast the device
    doc = graph("Tell me a short story about a cat.", max_tokens=16)
    result, events = run(registry, doc)
    assert result.status == "succeeded", result.nodes["llm"].error
    text = result.outputs["answer"]
    tokens = [e.data for e in events if e.type == "node_progress" and e.node_id == "llm" and e.data["fraction"] > 0]
    messages = [d.get("message", "") for d in tokens]
    assert len(set(messages)) >= 8, messages
    assert all(len(a) <= len(b) for a, b in zip(messages, messages[1:], strict=False)), messages
    assert [d["fraction"] for d in tokens] == sorted(d["fraction"] for d in tokens)
    assert messages[-1].strip() == text and tokens[-1]["fraction"] <= 1.0
    provenance = result.nodes["llm"].provenance
    assert provenance["seed"] == 0
    assert model_records(provenance) and model_records(provenance)[0]["name"] == "SmolLM2-135M-Instruct"

    loads = get_runtime().loads
    again, _ = run(registry, graph("Tell me a short story about a dog.", max_tokens=16))
    assert again.status == "succeeded" and again.nodes["llm"].status == "succeeded"
    records = model_records(again.nodes["llm"].provenance)
    assert records and all(r["loaded"] is False for r in records), records
    assert records[0]["sha256"] and get_runtime().loads == loads
    assert again.outputs["answer"] != text


@pytest.fixture(scope="module")
def lora_folder(tmp_path_factory) -> Path:
    """A tiny LoRA on SmolLM2's q_proj/v_proj with random non-zero B matrices (peft starts
    B at zero, which would change nothing), saved the way peft saves adapters. A and B come
    from a seeded generator, so the adapter is the same in every session."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    from nodes.models._llm_convert import model_folder
    from nodes.runtime.sources import resolve_model

    base = AutoModelForCausalLM.from_pretrained(model_folder(resolve_model("SmolLM2-135M-Instruct", "llm")))
    peft_model = get_peft_model(base, LoraConfig(r=8, lora_alpha=16, target_modules=["q_proj", "v_proj"], lora_dropout=0.0))
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for name, param in peft_model.named_parameters():
            if "lora_A" in name or "lora_B" in name:
                param.copy_(torch.randn(param.shape, generator=generator) * 0.05)
    folder = tmp_path_factory.mktemp("lora") / "smollm2-lora"
    peft_model.save_pretrained(folder)
    return folder


def test_lora_adapter_changes_the_output_and_removing_it_restores_it(registry, lora_folder: Path) -> None:
    prompt, n = "Name three colours.", {"max_tokens": 8}
    base = answer(registry, graph(prompt, **n))
    result, _ = run(registry, graph(prompt, adapter={"path": str(lora_folder), "scale": 1.0}, **n))
    assert result.status == "succeeded", {n: r.error for n, r in result.nodes.items() if r.error}
    adapted = result.outputs["answer"]
    assert adapted != base, adapted
    adapter = result.nodes["lora"].outputs["adapter"]
    assert adapter["kind"] == "lora" and adapter["scale"] == 1.0 and len(adapter["sha256"]) == 64
    assert result.nodes["llm"].provenance["adapter"]["sha256"] == adapter["sha256"]
    assert all(r["loaded"] is False for r in model_records(result.nodes["llm"].provenance))  # same base model
    # the adapter node and edge removed: exactly the base output again, on the same cached model
    assert answer(registry, graph(prompt, **n)) == base
    # the same adapter at scale 0 adds nothing either
    assert answer(registry, graph(prompt, adapter={"path": str(lora_folder), "scale": 0.0}, **n)) == base


def test_lora_adapter_node_names_a_bad_folder(registry, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-adapter"
    result, _ = run(registry, graph(QUESTION, adapter={"path": str(missing)}))
    assert result.status == "failed"
    error = result.nodes["lora"].error
    assert error["code"] == "node_error" and str(missing) in error["message"]
    assert result.nodes["llm"].error["code"] == "upstream_failed"
    result, _ = run(registry, graph(QUESTION, adapter={"path": str(tmp_path)}))
    assert "adapter_config.json" in result.nodes["lora"].error["message"]
    diffusion_lora = tmp_path / "style.safetensors"
    diffusion_lora.write_bytes(b"\0" * 64)  # a diffusion LoRA file: fine for the node, not for a language model
    result, _ = run(registry, graph(QUESTION, adapter={"path": str(diffusion_lora)}))
    assert result.nodes["lora"].status == "succeeded"
    assert "language model takes a peft adapter folder" in result.nodes["llm"].error["message"]


def test_cancel_stops_generation_quickly(registry) -> None:
    token = CancelToken()
    cancelled_at: list[float] = []

    def cancel_on_first_token(event: Any) -> None:
        if event.type == "node_progress" and event.node_id == "llm" and event.data["fraction"] > 0 and not cancelled_at:
            cancelled_at.append(time.perf_counter())
            threading.Thread(target=token.cancel).start()  # as the API would: from another thread

    result, events = run(registry, graph("Write a long story about a dragon.", max_tokens=512), cancel=token,
                         on_event=cancel_on_first_token)
    stopped = time.perf_counter() - cancelled_at[0]
    assert result.status == "cancelled"
    assert result.nodes["llm"].status == "cancelled"
    assert stopped < 2.0, f"generation went on for {stopped:.1f} s after the cancel"
    progress = [e for e in events if e.type == "node_progress" and e.node_id == "llm" and e.data["fraction"] > 0]
    assert progress[-1].data["fraction"] < 0.1


def test_bad_model_name_fails_naming_the_model(registry) -> None:
    result, _ = run(registry, graph(QUESTION, model="no-such-llm-xyz"))
    assert result.status == "failed"
    error = result.nodes["llm"].error
    assert error["code"] == "node_error" and "no-such-llm-xyz" in error["message"], error
    assert "SmolLM2-135M-Instruct" in error["message"]  # it says what would work
