/** The Evaluate tab: pass rates per check and version, failing cases with their outputs, and
 * two versions' cases side by side, from the API's shapes; and the tab's markup. */

import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import type { CaseResult, EvalDetail, EvalPublic } from "../src/api/types";
import { EvalReport } from "../src/components/EvaluatePanel";
import { compareCases, failingCases, latestPerVersion, passRates, percent, showOutputs } from "../src/graph/evals";

const tally = (passed: number, failed: number, skipped = 0) => ({
  output: "answer", kind: "contains_any", passed, failed, skipped, pass_rate: passed + failed ? passed / (passed + failed) : null,
});

function evaluation(id: string, version: number, created: string, summary: EvalPublic["summary"], status: EvalPublic["status"] = "succeeded"): EvalPublic {
  return {
    id, graph_id: "g1", version, status, created_at: created, started_at: created, finished_at: created, duration_s: 1,
    cases_count: 3, done_count: 3, passed_count: 0, checks: [], summary, error: null,
  };
}

const kase = (id: string, passed: boolean, answer: unknown, error: CaseResult["error"] = null): CaseResult => ({
  id, status: passed ? "passed" : "failed", inputs: { question: `q ${id}` }, outputs: { answer }, duration_s: 1, run_id: `r-${id}`,
  error, ran: [], from_cache: [],
  checks: [{ name: "answer contains", passed: error ? false : passed, message: passed ? "contains 'x'" : `expected any of ['x'] in ${JSON.stringify(answer)}` }],
});

const RUNNING = evaluation("e3", 3, "2026-12-07T12:00:00Z", {}, "running");
const E2 = evaluation("e2", 2, "2026-12-07T11:00:00Z", { "answer contains": tally(3, 0), "sources": tally(2, 0, 1) });
const E1 = evaluation("e1b", 1, "2026-12-07T10:00:00Z", { "answer contains": tally(1, 2) });
const E1_OLDER = evaluation("e1a", 1, "2026-12-07T09:00:00Z", { "answer contains": tally(0, 3) });
const EVALS = [RUNNING, E2, E1, E1_OLDER];

function detail(e: EvalPublic, results: CaseResult[]): EvalDetail {
  return { ...e, passed_count: results.filter((c) => c.status === "passed").length, results };
}

const V1 = detail(E1, [kase("a", true, "x marks it"), kase("b", false, "nothing"), kase("c", false, null, { code: "node_error", message: "the model broke", node_id: "llm" })]);
const V2 = detail(E2, [kase("a", true, "x"), kase("b", true, "x too"), kase("d", true, { text: "x", n: 1 })]);

describe("evaluations per version", () => {
  it("takes each version's newest finished evaluation, oldest version first", () => {
    expect(latestPerVersion(EVALS).map((e) => e.id)).toEqual(["e1b", "e2"]);
  });

  it("gives one row per check and one cell per version, a missing check as no rate", () => {
    const { versions, rows } = passRates(EVALS);
    expect(versions).toEqual([1, 2]);
    expect(rows.map((r) => [r.check, r.cells.map((c) => c.rate)])).toEqual([
      ["answer contains", [1 / 3, 1]],
      ["sources", [null, 1]],
    ]);
    expect(percent(1 / 3)).toBe("33%");
    expect(percent(null)).toBe("–");
  });

  it("lists the failing cases and matches two evaluations' cases by id", () => {
    expect(failingCases(V1).map((c) => c.id)).toEqual(["b", "c"]);
    expect(compareCases(V1, V2).map((p) => [p.id, p.a?.status ?? null, p.b?.status ?? null, p.changed])).toEqual([
      ["a", "passed", "passed", false],
      ["b", "failed", "passed", true],
      ["c", "failed", null, true],
      ["d", null, "passed", true],
    ]);
  });

  it("shows outputs on one line each, JSON for what is not text, cut when long", () => {
    expect(showOutputs({ answer: "x", sources: [{ source: "a.md" }], none: null })).toEqual([
      ["answer", "x"], ["sources", '[{"source":"a.md"}]'], ["none", "null"],
    ]);
    expect(showOutputs({ long: "y".repeat(500) }, 10)).toEqual([["long", "yyyyyyyyy…"]]);
  });
});

describe("the Evaluate tab", () => {
  it("draws the chart, the failing cases with outputs and errors, and the two versions side by side", () => {
    const html = renderToStaticMarkup(<EvalReport evals={EVALS} a={V1} b={V2} onPick={() => undefined} />);
    expect(html).toContain('aria-label="answer contains: v1 33%, v2 100%"');
    expect(html).toContain('aria-label="sources: v1 –, v2 100%"');
    expect(html).toContain("Failing cases of v1: 2 of 3");
    expect(html).toContain("expected any of [&#x27;x&#x27;] in &quot;nothing&quot;");
    expect(html).toContain("llm: the model broke");
    expect(html).toContain('<tr class="changed" data-case="b">');
    expect(html).toContain('<tr data-case="a">');
    expect(html).toContain("v1 · 1/3");
    expect(html).toContain("v2 · 3/3");
  });

  it("says how to start when no evaluation has finished", () => {
    const html = renderToStaticMarkup(<EvalReport evals={[RUNNING]} a={null} b={null} onPick={() => undefined} />);
    expect(html).toContain("No finished evaluation of this graph yet");
    expect(html).toContain("choose a cases file above and run one");
  });
});
