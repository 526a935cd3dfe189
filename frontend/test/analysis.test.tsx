/** The Analysis panel: the store (one request per pause in editing, a stale answer dropped,
 * an unreachable server said), the budget arithmetic, and the panel's markup for a report:
 * per-node memory, the total against the budget, warnings, determinism and lineage. */

import { renderToStaticMarkup } from "react-dom/server";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { AnalysisReport, GraphDocument } from "../src/api/types";
import { AnalysisView } from "../src/components/AnalysisPanel";
import { budgetShare, canvasNode, humanBytes, useAnalysis } from "../src/stores/analysisStore";
import { doc } from "./helpers";

const model = (node_id: string, name: string, bytes: number | null, shared_with: string | null = null) => ({
  node_id, model: name, key: `k:${name}`, device: "cpu", dtype: "float32", bytes, parameters: bytes ? bytes / 4 : null,
  source: "safetensors header", note: "", shared_with,
});

const RAG: AnalysisReport = {
  valid: true,
  problems: [],
  warnings: [{
    code: "over_model_budget", message: "the models of this graph need about 630 MB together, more than the model budget of 200 MB",
    nodes: ["embed_question", "embed_docs", "answer/llm"],
  }],
  device: { name: "cpu", memory: "RAM (the CPU runs the models)", total_bytes: 25_000_000_000, available_bytes: 20_000_000_000 },
  budget_bytes: 200_000_000,
  total_bytes: 630_455_040,
  models: [
    model("embed_question", "all-MiniLM-L6-v2", 91_280_896),
    model("embed_docs", "all-MiniLM-L6-v2", 91_280_896, "embed_question"),
    model("answer/llm", "SmolLM2-135M-Instruct", 539_174_144),
  ],
  outputs: [
    {
      node_id: "reply", label: "Answer", deterministic: false,
      nondeterministic: [{ node_id: "answer/llm", reason: "samples at temperature 0.7 without a fixed seed (seed -1)" }],
      inputs: ["question"], models: [{ node_id: "embed_question", model: "all-MiniLM-L6-v2" }, { node_id: "answer/llm", model: "SmolLM2-135M-Instruct" }],
    },
    { node_id: "sources", label: "Sources", deterministic: true, nondeterministic: [], inputs: ["question"],
      models: [{ node_id: "embed_question", model: "all-MiniLM-L6-v2" }] },
  ],
};

describe("the report's arithmetic", () => {
  it("writes bytes as the server does and says how full the budget is", () => {
    expect(humanBytes(630_455_040)).toBe("630 MB");
    expect(humanBytes(91_280_896)).toBe("91.3 MB");
    expect(humanBytes(8_589_934_592)).toBe("8.59 GB");
    expect(humanBytes(null)).toBe("unknown");
    expect(budgetShare(RAG)).toBeCloseTo(3.15, 2);
  });

  it("finds the canvas node an inner node is drawn in", () => {
    expect(canvasNode("answer/llm")).toBe("answer");
    expect(canvasNode("llm")).toBe("llm");
  });
});

describe("the panel", () => {
  const html = renderToStaticMarkup(<AnalysisView report={RAG} />);
  const rows = [...html.matchAll(/<tr data-node="([^"]+)"[^>]*>(.*?)<\/tr>/g)].map((m) => [m[1], m[2]] as const);

  it("shows each model node's memory, a shared model once", () => {
    expect(rows.map(([id]) => id)).toEqual(["embed_question", "embed_docs", "answer/llm"]);
    expect(rows[0]![1]).toContain("91.3 MB");
    expect(rows[1]![1]).toContain("shared with embed_question");
    expect(rows[2]![1]).toContain("539 MB");
  });

  it("sets the total against the budget, over it, with the warning pinned to the model nodes", () => {
    expect(html).toContain("630 MB of a 200 MB model budget");
    expect(html).toMatch(/class="analysis-budget over"/);
    const warning = html.match(/<li class="problem warning" data-code="over_model_budget">(.*?)<\/li>/)?.[1] ?? "";
    for (const id of ["embed_question", "embed_docs", "answer/llm"]) expect(warning).toContain(`data-node="${id}"`);
  });

  it("says which outputs repeat, names the node that makes one vary, and lists the lineage", () => {
    const outputs = Object.fromEntries([...html.matchAll(/<li class="analysis-output" data-node="([^"]+)" data-deterministic="(true|false)">(.*?)<\/li>/g)]
      .map((m) => [m[1], { deterministic: m[2], body: m[3]! }]));
    expect(outputs.reply!.deterministic).toBe("false");
    expect(outputs.reply!.body).toContain("varies");
    expect(outputs.reply!.body).toContain("samples at temperature 0.7");
    expect(outputs.reply!.body).toMatch(/analysis-reason"><button[^>]*data-node="answer\/llm"/);
    expect(outputs.reply!.body).toContain("inputs: question");
    expect(outputs.reply!.body).toContain("answer/llm (SmolLM2-135M-Instruct)");
    expect(outputs.sources!.deterministic).toBe("true");
    expect(outputs.sources!.body).toContain("repeats");
    expect(outputs.sources!.body).not.toContain("SmolLM2");
  });

  it("sends an invalid graph's reader to its problems", () => {
    const invalid = renderToStaticMarkup(<AnalysisView report={{ ...RAG, valid: false, problems: [{ code: "cycle", message: "loop" }], device: null, models: [], outputs: [] }} />);
    expect(invalid).toContain("1 problem(s) to fix first");
  });
});

describe("requests", () => {
  const calls: { url: string; body: GraphDocument; resolve: (r: AnalysisReport) => void }[] = [];
  beforeEach(() => {
    calls.length = 0;
    useAnalysis.setState({ status: "idle", error: null, report: null, revision: -1 });
    vi.stubGlobal("fetch", (url: string, init: RequestInit) => new Promise<Response>((resolve, reject) => {
      init.signal?.addEventListener("abort", () => reject(Object.assign(new Error("aborted"), { name: "AbortError" })));
      calls.push({ url, body: JSON.parse(String(init.body)) as GraphDocument, resolve: (r) => resolve(new Response(JSON.stringify(r), { status: 200 })) });
    }));
  });
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.useRealTimers();
  });

  it("asks once per pause in editing, and not again for the same revision", async () => {
    vi.useFakeTimers();
    const a = useAnalysis.getState();
    for (let i = 1; i <= 4; i++) a.schedule(() => doc([["q", "io.text_input"]]), i, 400);
    await vi.advanceTimersByTimeAsync(400);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.url).toContain("/api/analyze");
    calls[0]!.resolve(RAG);
    await vi.runAllTimersAsync();
    expect(useAnalysis.getState()).toMatchObject({ status: "done", revision: 4 });
    useAnalysis.getState().schedule(() => doc([["q", "io.text_input"]]), 4, 400);
    await vi.advanceTimersByTimeAsync(400);
    expect(calls).toHaveLength(1);
  });

  it("drops the answer to an older request", async () => {
    const a = useAnalysis.getState();
    const first = a.analyze(doc([["a", "io.text_input"]]), 10);
    const second = a.analyze(doc([["b", "io.text_input"]]), 11);
    calls[1]!.resolve({ ...RAG, total_bytes: 1 });
    await Promise.all([first, second]);
    expect(useAnalysis.getState().revision).toBe(11);
    expect(useAnalysis.getState().report?.total_bytes).toBe(1);
  });

  it("says when the server does not answer", async () => {
    vi.stubGlobal("fetch", () => Promise.reject(new TypeError("connection refused")));
    await useAnalysis.getState().analyze(doc([]), 12);
    expect(useAnalysis.getState().status).toBe("error");
  });
});
