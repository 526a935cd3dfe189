"""Each model node against the direct library call on the same input, in the same process.

For every case the model is loaded once and shared (the node gets it from the model
runtime; the direct call uses the very same objects), then node and direct call alternate
``--repeat`` times on the same input; the node is timed as a whole graph run through the
executor with a cold result cache (input node -> model node -> output node), so the ratio
includes everything the studio adds. Goal: ratio <= 1.02.

The last row is the RAG example end to end, warm (models loaded, corpus indexed), each
time with a new question, against a direct script doing the same work with the same
models (embed the question, query Chroma, fill the prompt, generate). Goal <= 1.02x.

    python bench/models.py [--repeat 5] [--only embedder,whisper,...] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from app.engine.cache import ResultCache  # noqa: E402
from app.engine.executor import Executor  # noqa: E402
from nodes.registry import discover  # noqa: E402

REGISTRY = discover()


def graph(nodes: list[dict[str, Any]], edges: list[tuple[str, str, str, str]]) -> dict[str, Any]:
    return {
        "schema": "genaisys.graph/1",
        "nodes": [{"id": n["id"], "type": n["type"], "params": n.get("params", {})} for n in nodes],
        "edges": [{"id": f"e{i}", "source": s, "source_port": sp, "target": t, "target_port": tp}
                  for i, (s, sp, t, tp) in enumerate(edges)],
    }


class Case:
    """A node graph and the direct call doing the same work; ``setup`` loads models."""

    name: str = ""
    node: str = ""

    def setup(self, executor: Executor) -> None: ...

    def run_node(self, executor: Executor, i: int) -> Any: ...

    def run_direct(self, i: int) -> Any: ...


def timed(fn: Callable[[], Any]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def fresh_run(executor: Executor, doc: dict[str, Any]) -> Any:
    executor.cache.clear()
    result = executor.run(doc)
    if result.status != "succeeded":
        errors = {k: r.error for k, r in result.nodes.items() if r.error}
        raise RuntimeError(f"bench graph failed: {errors}")
    return result


# -- cases -----------------------------------------------------------------------------


class Embedder(Case):
    name, node = "text embedder (32 sentences)", "encoders.text_embedder"
    texts = [f"Sentence number {i} talks about retrieval, vectors and the stations of the ice shelf." for i in range(32)]

    def setup(self, executor: Executor) -> None:
        from nodes.encoders.text_embedder import load_encoder

        self.doc = graph([{"id": "t", "type": "utility.split_lines", "params": {}},
                          {"id": "q", "type": "io.text_input", "params": {"value": "\n".join(self.texts)}},
                          {"id": "emb", "type": self.node}, {"id": "out", "type": "io.json_output"}],
                         [("q", "text", "t", "text"), ("t", "lines", "emb", "texts"), ("emb", "embeddings", "out", "value")])
        self.tok, self.model, self.device = load_encoder("all-MiniLM-L6-v2", None)
        fresh_run(executor, self.doc)

    def run_node(self, executor: Executor, i: int) -> Any:
        return fresh_run(executor, self.doc)

    def run_direct(self, i: int) -> Any:
        return direct_embed(self.tok, self.model, self.device, self.texts)


def direct_embed(tok: Any, model: Any, device: str, texts: list[str]) -> Any:
    """Plain transformers: tokenize, encode, masked mean pooling, L2 normalisation."""
    import torch

    batch = tok(texts, padding=True, truncation=True, max_length=256, return_tensors="pt").to(device)
    with torch.inference_mode():
        hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
    pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
    return torch.nn.functional.normalize(pooled, p=2, dim=1).cpu().numpy()


class Whisper(Case):
    name, node = "speech to text (8 s clip)", "models.speech_to_text"

    def setup(self, executor: Executor) -> None:
        from nodes.encoders.audio_loader import load_audio
        from nodes.models.speech_to_text import load_whisper

        clip = ROOT / "examples" / "assets" / "hello.wav"
        self.audio = load_audio(clip, 16000)
        self.doc = graph([{"id": "a", "type": "io.audio_input", "params": {"value": str(clip)}},
                          {"id": "stt", "type": self.node}, {"id": "out", "type": "io.text_output"}],
                         [("a", "audio", "stt", "audio"), ("stt", "text", "out", "value")])
        self.model = load_whisper("whisper-tiny.en")[0]
        fresh_run(executor, self.doc)

    def run_node(self, executor: Executor, i: int) -> Any:
        return fresh_run(executor, self.doc)

    def run_direct(self, i: int) -> Any:
        segments, _ = self.model.transcribe(self.audio["samples"], beam_size=1, language="en")
        return " ".join(s.text.strip() for s in segments)


class Diffusion(Case):
    name, node = "text to image (tiny-sd, 64x64, 20 steps)", "models.text_to_image"
    prompt = "a red fox in the snow"

    def setup(self, executor: Executor) -> None:
        from nodes.runtime.diffusion_loader import load_diffusion

        self.doc = graph([{"id": "p", "type": "io.text_input", "params": {"value": self.prompt}},
                          {"id": "sd", "type": self.node, "params": {"steps": 20, "seed": 1}},
                          {"id": "out", "type": "io.image_output"}],
                         [("p", "text", "sd", "prompt"), ("sd", "image", "out", "value")])
        self.pipe = load_diffusion("tiny-sd").pipe
        fresh_run(executor, self.doc)

    def run_node(self, executor: Executor, i: int) -> Any:
        return fresh_run(executor, self.doc)

    def run_direct(self, i: int) -> Any:
        import torch

        return self.pipe(prompt=self.prompt, negative_prompt="", num_inference_steps=20, guidance_scale=7.5,
                         width=64, height=64, generator=torch.Generator("cpu").manual_seed(1)).images[0]


def cached_llm() -> Any:
    """The LLM the node loaded, from the shared runtime (the same object the node uses)."""
    from nodes.runtime.cache import get_runtime

    runtime = get_runtime()
    key = next(k for k in runtime._models if k.startswith("llm:"))
    return runtime._models[key].value


def direct_generate(llm: Any, prompt: str, max_tokens: int) -> str:
    """Plain transformers: chat template, greedy generate, decode."""
    import torch

    from nodes.runtime.llm_loader import chat_inputs, generation_kwargs

    enc = {k: v.to(llm.device) for k, v in chat_inputs(llm.tokenizer, prompt).items()}
    with torch.inference_mode():
        out = llm.model.generate(**enc, **generation_kwargs(llm.tokenizer, max_tokens, 0.0, 0.95))
    return llm.tokenizer.decode(out[0, enc["input_ids"].shape[1]:], skip_special_tokens=True).strip()


class Llm(Case):
    name, node = "LLM (SmolLM2-135M, 32 tokens, greedy)", "models.llm"
    prompt = "Write one sentence about research stations in Antarctica."

    def setup(self, executor: Executor) -> None:
        self.doc = graph([{"id": "p", "type": "io.text_input", "params": {"value": self.prompt}},
                          {"id": "llm", "type": self.node, "params": {"max_tokens": 32}},
                          {"id": "out", "type": "io.text_output"}],
                         [("p", "text", "llm", "prompt"), ("llm", "text", "out", "value")])
        first = fresh_run(executor, self.doc)
        self.llm = cached_llm()
        assert direct_generate(self.llm, self.prompt, 32) == first.outputs["out"], "node and direct call disagree"

    def run_node(self, executor: Executor, i: int) -> Any:
        return fresh_run(executor, self.doc)

    def run_direct(self, i: int) -> Any:
        return direct_generate(self.llm, self.prompt, 32)


class RagEndToEnd(Case):
    """Warm RAG: models loaded and the corpus indexed; every repeat asks a new question."""

    name, node = "RAG example end to end (new question)", "models.llm"
    questions = ["What is the coffee machine called?", "When did Aurora-7 open?", "What does the greenhouse grow?",
                 "How wide is the radar dish?", "When do supplies arrive?", "What powers the backup generator?",
                 "How many scientists live there in winter?", "What does the station study?", "Who named the coffee machine?"]

    def setup(self, executor: Executor) -> None:
        self.doc = json.loads((ROOT / "examples" / "rag.json").read_text())
        params = {n["id"]: n["params"] for n in self.doc["nodes"]}
        self.template, self.top_k = params["prompt"]["template"], params["retrieve"]["top_k"]
        self.max_tokens, self.sep = params["llm"]["max_tokens"], params["context"]["separator"]
        executor.cache.clear()
        warm = executor.run(self.doc, {"question": "warm-up question about the station"}, scope="bench-rag")
        assert warm.status == "succeeded", {k: r.error for k, r in warm.nodes.items() if r.error}
        from nodes.encoders.text_embedder import load_encoder
        from nodes.stores._chroma import collection

        self.tok, self.enc, self.device = load_encoder("all-MiniLM-L6-v2", None)
        handle = warm.nodes["store"].outputs["collection"]
        self.coll = collection(Path(handle["path"]), handle["name"], handle["dim"], create=False)
        self.llm = cached_llm()
        self.executor = executor

    def run_node(self, executor: Executor, i: int) -> Any:
        result = executor.run(self.doc, {"question": self.questions[i % len(self.questions)] + " "}, scope="bench-rag")
        assert result.nodes["store"].status == "cached"
        return result.outputs["answer"]

    def run_direct(self, i: int) -> Any:
        question = self.questions[i % len(self.questions)] + " "
        vector = direct_embed(self.tok, self.enc, self.device, [question])[0]
        found = self.coll.query(query_embeddings=[vector.tolist()], n_results=self.top_k, include=["documents"])
        context = self.sep.join(found["documents"][0])
        prompt = self.template.replace("{context}", context).replace("{question}", question)
        return direct_generate(self.llm, prompt, self.max_tokens)


CASES: dict[str, type[Case]] = {"embedder": Embedder, "whisper": Whisper, "diffusion": Diffusion, "llm": Llm,
                                "rag": RagEndToEnd}


def measure(case: Case, executor: Executor, repeat: int) -> dict[str, Any]:
    case.setup(executor)
    case.run_direct(-1)  # warm both paths once
    node_t, direct_t = [], []
    for i in range(repeat):
        node_t.append(timed(lambda i=i: case.run_node(executor, i)))
        direct_t.append(timed(lambda i=i: case.run_direct(i)))
    node_med, direct_med = statistics.median(node_t), statistics.median(direct_t)
    return {"case": case.name, "node": case.node, "node_s": node_med, "direct_s": direct_med,
            "ratio": node_med / direct_med, "repeat": repeat}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--only", default="", help="comma-separated case names: " + ", ".join(CASES))
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "models.json")
    args = ap.parse_args()
    chosen = [c for c in CASES if not args.only or c in args.only.split(",")]
    executor = Executor(REGISTRY, ResultCache())
    rows = []
    for key in chosen:
        case = CASES[key]()
        if case.node not in REGISTRY:
            print(f"skipped {key}: node {case.node} is not installed")
            continue
        rows.append(measure(case, executor, args.repeat))
        r = rows[-1]
        print(f"{r['case']:44} node {r['node_s'] * 1000:9.1f} ms   direct {r['direct_s'] * 1000:9.1f} ms   ratio {r['ratio']:.3f}", flush=True)
    executor.backend.shutdown()
    from nodes.runtime.device import pick_device

    print(f"\n{'case':44} {'node ms':>10} {'direct ms':>10} {'ratio':>7}   (device {pick_device()}, median of {args.repeat})")
    for r in rows:
        print(f"{r['case']:44} {r['node_s'] * 1000:10.1f} {r['direct_s'] * 1000:10.1f} {r['ratio']:7.3f}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"benchmark": "models", "device": pick_device(), "python": platform.python_version(),
                                    "goal_ratio": 1.02, "rows": rows}, indent=2))
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
