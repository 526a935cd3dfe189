"""What evaluating the RAG example over its shipped cases costs, against its parts.

examples/rag.json on examples/cases/rag.json (12 questions, "answer contains" and "retrieved
documents contain" on each). The models are loaded first (a warm-up, not counted), so every
measure is of work, not of loading:
  ingest    docs -> split -> embed_docs -> store alone, on an executor with a cold cache
  warm      each case's question through the whole graph on that executor (the ingest cached):
            "one warm question" is their mean
  eval      the whole evaluation through app.services.evaluation, on a second executor with a
            cold cache: its first case ingests, the others must find the ingest cached
ratio = eval / (ingest + N x warm); the issue asks for at most 1.1.

The two cores of the development machine are shared with other work, which made one warm
question take 58 s instead of 1 while measured apart. So the parts are measured paired with the
whole: each warm question runs just before the evaluation's case of the same question (from
the evaluation's hooks; that time is taken out of the evaluation's), or just after it in every
other repeat, and the ingest just before the evaluation starts. The warm-up asks every question
once first, so neither side of a pair is a question's first run in the process. Each repeat
gives a ratio; the median repeat is shown.
Prints a table; writes JSON.

    python bench/evaluation.py [--repeat 3] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.engine.cache import ResultCache  # noqa: E402
from app.engine.executor import Executor  # noqa: E402
from app.engine.validate import validate  # noqa: E402
from app.services.evaluation import evaluate, read_dataset  # noqa: E402
from nodes.registry import discover  # noqa: E402

INGEST = ("docs", "split", "embed_docs", "store")


def ingest_only(document: dict[str, Any]) -> dict[str, Any]:
    nodes = [n for n in document["nodes"] if n["id"] in INGEST]
    edges = [e for e in document["edges"] if e["source"] in INGEST and e["target"] in INGEST]
    return {**document, "name": "rag ingest", "nodes": nodes, "edges": edges}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "evaluation.json")
    parser.add_argument("--repeat", type=int, default=3, help="how many paired measures; the median is shown")
    args = parser.parse_args()
    registry = discover()
    document = json.loads((ROOT / "examples" / "rag.json").read_text())
    dataset = read_dataset(ROOT / "examples" / "cases" / "rag.json")
    questions = [c["question"] for c in dataset.cases]

    warmup = Executor(registry, ResultCache())
    t0 = time.perf_counter()
    for question in questions:  # loads the models, and meets every question's shapes once
        assert warmup.run(document, {"question": question}, scope="bench-warmup").status == "succeeded"
    warmup_s = time.perf_counter() - t0
    warmup.backend.shutdown()

    repeats: list[dict[str, Any]] = []
    evaluation = None
    checked = validate(document, registry)
    for r in range(args.repeat):
        parts, whole = Executor(registry, ResultCache()), Executor(registry, ResultCache())
        t0 = time.perf_counter()
        ingest = parts.run(ingest_only(document), scope="bench-parts")
        ingest_s = time.perf_counter() - t0
        assert ingest.status == "succeeded" and sorted(ingest.ran) == sorted(INGEST), ingest.ran
        warm: list[float] = []

        def warm_twin(n: int, *_: Any, parts: Executor = parts, warm: list[float] = warm) -> None:
            t0 = time.perf_counter()
            result = parts.run(document, {"question": questions[n - 1]}, scope="bench-parts")
            warm.append(time.perf_counter() - t0)
            assert result.status == "succeeded" and all(result.nodes[i].status == "cached" for i in INGEST)

        t0 = time.perf_counter()
        before = r % 2 == 0  # the twin runs before its case in even repeats, after it in odd ones
        evaluation = evaluate(whole, checked, dataset, scope="bench-eval", on_case_start=warm_twin if before else None,
                              on_case=None if before else warm_twin)
        eval_s = time.perf_counter() - t0 - sum(warm)
        parts.backend.shutdown()
        whole.backend.shutdown()
        ingest_runs = {i: sum(i in c.ran for c in evaluation.cases) for i in INGEST}
        assert all(count == 1 for count in ingest_runs.values()), ingest_runs
        budget = ingest_s + sum(warm)
        repeats.append({"ingest_s": ingest_s, "warm_question_s": warm, "eval_s": eval_s, "budget_s": budget,
                        "ratio": eval_s / budget, "ingest_runs": ingest_runs,
                        "case_seconds": {c.id: c.duration_s for c in evaluation.cases}})
    assert evaluation is not None
    ranked = sorted(repeats, key=lambda r: r["ratio"])
    median = ranked[len(ranked) // 2]
    n = len(questions)
    warm_mean = statistics.fmean(median["warm_question_s"])
    summary = evaluation.summary()
    rows = [
        ("warm-up: model loads, each question once (not counted)", f"{warmup_s:.2f} s"),
        ("ingest alone, cold cache", f"{median['ingest_s']:.2f} s"),
        (f"one warm question (mean of {n})", f"{warm_mean:.2f} s"),
        ("ingest + N x warm question", f"{median['budget_s']:.2f} s"),
        ("whole evaluation of N cases", f"{median['eval_s']:.2f} s"),
        ("ratio (goal <= 1.1), median repeat", f"{median['ratio']:.3f}"),
        ("ratio of every repeat", ", ".join(f"{r['ratio']:.3f}" for r in repeats)),
        ("ingest nodes run in the evaluation", ", ".join(f"{k} x{v}" for k, v in median["ingest_runs"].items())),
        ("cases passed", f"{evaluation.passed} of {n}"),
    ] + [(f"  {name}", f"{s['passed']}/{s['passed'] + s['failed']}") for name, s in summary.items()]
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  value")
    for label, value in rows:
        print(f"{label:<{width}}  {value}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        "cases": n, "warmup_s": warmup_s, "median": median, "repeats": repeats, "passed": evaluation.passed,
        "summary": summary,
    }, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
