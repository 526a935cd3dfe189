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
                           [--llm MODEL] [--embedder MODEL] [--sd MODEL]

``--llm`` and ``--embedder`` replace the default models (the nodes' ``model`` parameter and
the direct loaders alike: a catalog name, a local folder or a hub id); ``--sd`` adds a text to
image case on that diffusers folder at its native size. The GPU check (bench/gpu_check.sh)
passes random-weight stand-ins of the same architectures built by bench/gpu_prep.py where
the shipped models are not installed. A case whose libraries or models are missing is
skipped with the reason; one that fails is reported and the others still run. Results are
written after every case.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import platform
import statistics
import sys
import time
import traceback
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


DEFAULT_LLM, DEFAULT_EMBEDDER = "SmolLM2-135M-Instruct", "all-MiniLM-L6-v2"


class Case:
    """A node graph and the direct call doing the same work; ``setup`` loads models."""

    name: str = ""
    node: str = ""
    needs: tuple[str, ...] = ()
    """Python modules the case imports (it is skipped where one is missing)."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.llm_model: str = args.llm
        self.embedder_model: str = args.embedder
        self.extra: dict[str, Any] = {}
        """Written into the case's row (e.g. the number of tokens generated)."""

    def unavailable(self) -> str | None:
        """Why the case cannot run here, or None."""
        missing = [m for m in self.needs if importlib.util.find_spec(m) is None]
        return f"{', '.join(missing)} not installed" if missing else None

    def models(self) -> dict[str, str]:
        """The model parameter of each model the case uses (written into its row)."""
        return {}

    def missing_model(self, kind: str, name: str) -> str | None:
        """Why the model ``name`` cannot be found here (a package not installed...), or None."""
        from nodes.api import NodeError
        from nodes.runtime.sources import resolve_model

        try:
            resolve_model(name, kind)
        except NodeError as exc:
            return str(exc)
        return None

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
    needs = ("transformers",)
    texts = [f"Sentence number {i} talks about retrieval, vectors and the stations of the ice shelf." for i in range(32)]

    def setup(self, executor: Executor) -> None:
        from nodes.encoders.text_embedder import load_encoder

        self.doc = graph([{"id": "t", "type": "utility.split_lines", "params": {}},
                          {"id": "q", "type": "io.text_input", "params": {"value": "\n".join(self.texts)}},
                          {"id": "emb", "type": self.node, "params": {"model": self.embedder_model}},
                          {"id": "out", "type": "io.json_output"}],
                         [("q", "text", "t", "text"), ("t", "lines", "emb", "texts"), ("emb", "embeddings", "out", "value")])
        self.tok, self.model, self.device = load_encoder(self.embedder_model, None)
        fresh_run(executor, self.doc)

    def run_node(self, executor: Executor, i: int) -> Any:
        return fresh_run(executor, self.doc)

    def run_direct(self, i: int) -> Any:
        return direct_embed(self.tok, self.model, self.device, self.texts)

    def models(self) -> dict[str, str]:
        return {"embedder": self.embedder_model}

    def unavailable(self) -> str | None:
        return super().unavailable() or self.missing_model("text-embedder", self.embedder_model)


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
    needs = ("faster_whisper",)

    def unavailable(self) -> str | None:
        return super().unavailable() or self.missing_model("whisper", "whisper-tiny.en")

    def models(self) -> dict[str, str]:
        return {"whisper": "whisper-tiny.en"}

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
    needs = ("diffusers",)
    prompt = "a red fox in the snow"
    model = "tiny-sd"

    def setup(self, executor: Executor) -> None:
        from nodes.models._diffusion import load_diffusion

        self.doc = graph([{"id": "p", "type": "io.text_input", "params": {"value": self.prompt}},
                          {"id": "sd", "type": self.node, "params": {"steps": 20, "seed": 1, "model": self.model}},
                          {"id": "out", "type": "io.image_output"}],
                         [("p", "text", "sd", "prompt"), ("sd", "image", "out", "value")])
        sd = load_diffusion(self.model)
        self.pipe, self.size = sd.pipe, sd.native_size()  # the node's width/height 0: native size
        fresh_run(executor, self.doc)

    def run_node(self, executor: Executor, i: int) -> Any:
        return fresh_run(executor, self.doc)

    def run_direct(self, i: int) -> Any:
        import torch

        return self.pipe(prompt=self.prompt, negative_prompt="", num_inference_steps=20, guidance_scale=7.5,
                         width=self.size, height=self.size, generator=torch.Generator("cpu").manual_seed(1)).images[0]

    def models(self) -> dict[str, str]:
        return {"diffusion": self.model}


class DiffusionLarge(Diffusion):
    """The same node and call on the pipeline given with ``--sd`` (an SD 1.5-sized one on the
    GPU check), at its native size: where the tiny pipeline is all overhead on a GPU."""

    def __init__(self, args: argparse.Namespace) -> None:
        super().__init__(args)
        self.model = args.sd or ""
        self.name = "text to image (--sd, native size, 20 steps)"

    def unavailable(self) -> str | None:
        return "no --sd pipeline given" if not self.model else super().unavailable()

    def setup(self, executor: Executor) -> None:
        super().setup(executor)
        self.name = f"text to image (--sd, {self.size}x{self.size}, 20 steps)"  # the row's models name it


def cached_llm() -> Any:
    """The LLM the node loaded, from the shared runtime (the same object the node uses)."""
    from nodes.runtime.cache import get_runtime

    runtime = get_runtime()
    key = next(k for k in runtime._models if k.startswith("llm:"))
    return runtime._models[key].value


def direct_generate(llm: Any, prompt: str, max_tokens: int) -> str:
    """Plain transformers: chat template, greedy generate, decode."""
    return direct_generate_counted(llm, prompt, max_tokens)[0]


def direct_generate_counted(llm: Any, prompt: str, max_tokens: int) -> tuple[str, int]:
    """``direct_generate`` and the number of new tokens it generated."""
    import torch

    from nodes.models._llm import chat_inputs, generation_kwargs

    enc = {k: v.to(llm.device) for k, v in chat_inputs(llm.tokenizer, prompt).items()}
    with torch.inference_mode():
        out = llm.model.generate(**enc, **generation_kwargs(llm.tokenizer, max_tokens, 0.0, 0.95))
    new = out[0, enc["input_ids"].shape[1]:]
    return llm.tokenizer.decode(new, skip_special_tokens=True).strip(), int(new.shape[0])


class Llm(Case):
    name, node = "LLM (SmolLM2-135M, 32 tokens, greedy)", "models.llm"
    needs = ("transformers",)
    prompt = "Write one sentence about research stations in Antarctica."

    def setup(self, executor: Executor) -> None:
        self.doc = graph([{"id": "p", "type": "io.text_input", "params": {"value": self.prompt}},
                          {"id": "llm", "type": self.node, "params": {"max_tokens": 32, "model": self.llm_model}},
                          {"id": "out", "type": "io.text_output"}],
                         [("p", "text", "llm", "prompt"), ("llm", "text", "out", "value")])
        first = fresh_run(executor, self.doc)
        self.llm = cached_llm()
        text, tokens = direct_generate_counted(self.llm, self.prompt, 32)
        assert text == first.outputs["out"], "node and direct call disagree"
        self.extra["tokens"] = tokens

    def run_node(self, executor: Executor, i: int) -> Any:
        return fresh_run(executor, self.doc)

    def run_direct(self, i: int) -> Any:
        return direct_generate(self.llm, self.prompt, 32)

    def models(self) -> dict[str, str]:
        return {"llm": self.llm_model}

    def unavailable(self) -> str | None:
        return super().unavailable() or self.missing_model("llm", self.llm_model)


class RagEndToEnd(Case):
    """Warm RAG: models loaded and the corpus indexed; every repeat asks a new question."""

    name, node = "RAG example end to end (new question)", "models.llm"
    needs = ("transformers", "chromadb")
    questions = ["What is the coffee machine called?", "When did Aurora-7 open?", "What does the greenhouse grow?",
                 "How wide is the radar dish?", "When do supplies arrive?", "What powers the backup generator?",
                 "How many scientists live there in winter?", "What does the station study?", "Who named the coffee machine?"]

    def setup(self, executor: Executor) -> None:
        self.doc = json.loads((ROOT / "examples" / "rag.json").read_text())
        for n in self.doc["nodes"]:  # the example uses the default models; --llm/--embedder replace them
            if n["type"] == "encoders.text_embedder":
                n["params"]["model"] = self.embedder_model
            elif n["type"] == "models.llm":
                n["params"]["model"] = self.llm_model
        params = {n["id"]: n["params"] for n in self.doc["nodes"]}
        self.template, self.top_k = params["prompt"]["template"], params["retrieve"]["top_k"]
        self.max_tokens, self.sep = params["llm"]["max_tokens"], params["context"]["separator"]
        executor.cache.clear()
        warm = executor.run(self.doc, {"question": "warm-up question about the station"}, scope="bench-rag")
        assert warm.status == "succeeded", {k: r.error for k, r in warm.nodes.items() if r.error}
        from nodes.encoders.text_embedder import load_encoder
        from nodes.stores._chroma import collection, store_folder

        self.tok, self.enc, self.device = load_encoder(self.embedder_model, None)
        handle = warm.nodes["store"].outputs["collection"]  # its path as the graph wrote it
        self.coll = collection(store_folder(handle["path"], None), handle["name"], handle["dim"], create=False)
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
        text, self.extra["tokens"] = direct_generate_counted(self.llm, prompt, self.max_tokens)  # the last run's
        return text

    def models(self) -> dict[str, str]:
        return {"embedder": self.embedder_model, "llm": self.llm_model}

    def unavailable(self) -> str | None:
        return (super().unavailable() or self.missing_model("text-embedder", self.embedder_model)
                or self.missing_model("llm", self.llm_model))


CASES: dict[str, type[Case]] = {"embedder": Embedder, "whisper": Whisper, "diffusion": Diffusion,
                                "sd": DiffusionLarge, "llm": Llm, "rag": RagEndToEnd}


def measure(case: Case, executor: Executor, repeat: int) -> dict[str, Any]:
    case.setup(executor)
    case.run_direct(-1)  # warm both paths once
    node_t, direct_t = [], []
    for i in range(repeat):
        node_t.append(timed(lambda i=i: case.run_node(executor, i)))
        direct_t.append(timed(lambda i=i: case.run_direct(i)))
    node_med, direct_med = statistics.median(node_t), statistics.median(direct_t)
    return {"case": case.name, "node": case.node, "node_s": node_med, "direct_s": direct_med,
            "ratio": node_med / direct_med, "repeat": repeat, "models": case.models(), **case.extra,
            "node_all_s": node_t, "direct_all_s": direct_t}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--only", default="", help="comma-separated case names: " + ", ".join(CASES))
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "models.json")
    ap.add_argument("--llm", default=DEFAULT_LLM, help="the LLM (catalog name, local folder or hub id)")
    ap.add_argument("--embedder", default=DEFAULT_EMBEDDER, help="the text embedder (catalog name, local folder or hub id)")
    ap.add_argument("--sd", default=None, help="a diffusers folder: adds a text to image case on it at its native size")
    args = ap.parse_args()
    chosen = [c for c in CASES if not args.only or c in args.only.split(",")]
    from nodes.runtime.device import pick_device

    device = pick_device()
    executor = Executor(REGISTRY, ResultCache())
    rows: list[dict[str, Any]] = []
    skipped: dict[str, str] = {}
    errors: dict[str, str] = {}

    def write() -> None:  # after every case, so a run cut short still leaves its results
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"benchmark": "models", "device": device, "device_name": device_name(device),
                                        "python": platform.python_version(), "versions": versions(),
                                        "goal_ratio": 1.02, "rows": rows, "skipped": skipped, "errors": errors}, indent=2))

    for key in chosen:
        case = CASES[key](args)
        why = f"node {case.node} is not installed" if case.node not in REGISTRY else case.unavailable()
        if why:
            skipped[key] = why
            print(f"skipped {key}: {why}", flush=True)
            write()
            continue
        try:
            rows.append(measure(case, executor, args.repeat))
        except Exception as exc:  # report it, go on with the other cases
            errors[key] = f"{type(exc).__name__}: {exc}"
            print(f"FAILED {key}: {errors[key]}", flush=True)
            traceback.print_exc()
            write()
            continue
        r = rows[-1]
        print(f"{r['case']:44} node {r['node_s'] * 1000:9.1f} ms   direct {r['direct_s'] * 1000:9.1f} ms   ratio {r['ratio']:.3f}", flush=True)
        write()
    executor.backend.shutdown()

    print(f"\n{'case':44} {'node ms':>10} {'direct ms':>10} {'ratio':>7}   (device {device_name(device)}, median of {args.repeat})")
    for r in rows:
        print(f"{r['case']:44} {r['node_s'] * 1000:10.1f} {r['direct_s'] * 1000:10.1f} {r['ratio']:7.3f}")
    for key, why in skipped.items():
        print(f"{key:44} skipped: {why}")
    for key, why in errors.items():
        print(f"{key:44} FAILED: {why}")
    write()
    print(f"\nwrote {args.out}")
    sys.exit(1 if errors else 0)


def device_name(device: str) -> str:
    import torch

    if device.startswith("cuda"):
        return f"{device} ({torch.cuda.get_device_name(torch.device(device))})"
    return device


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for dist in ("torch", "transformers", "diffusers", "huggingface_hub", "tokenizers", "chromadb", "faster-whisper"):
        with contextlib.suppress(PackageNotFoundError):
            out[dist] = version(dist)
    return out


if __name__ == "__main__":
    main()
