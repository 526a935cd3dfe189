/** The validation store: problems grouped by node and edge, identity kept for unchanged
 * entries, debounced requests, and a stale answer never overwriting a newer one. */

import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { GraphDocument, ValidationReport } from "../src/api/types";
import { groupProblems, reuseEqual, useValidation } from "../src/stores/validationStore";
import { doc, types } from "./helpers";

const report = (over: Partial<ValidationReport> = {}): ValidationReport => ({ valid: true, problems: [], types: {}, ...over });

describe("grouping", () => {
  it("pins problems to nodes (cycles to every member) and edges", () => {
    const { byNode, byEdge } = groupProblems([
      { code: "type_mismatch", message: "m", node_id: "a", port: "x" },
      { code: "cycle", message: "loop", node_id: "b", nodes: ["b", "c"] },
      { code: "dangling_edge", message: "d", edge_id: "e1", node_id: "zz" },
      { code: "invalid_document", message: "doc" },
    ]);
    expect(Object.keys(byNode).sort()).toEqual(["a", "b", "c", "zz"]);
    expect(byEdge.e1).toHaveLength(1);
  });

  it("keeps the identity of entries that did not change", () => {
    const prev = { a: types({ x: "Text" }, {}), b: types({}, { y: "Embedding[384]" }) };
    const next = reuseEqual(prev, { a: types({ x: "Text" }, {}), b: types({}, { y: "Embedding[768]" }) });
    expect(next.a).toBe(prev.a);
    expect(next.b).not.toBe(prev.b);
  });
});

describe("requests", () => {
  const calls: { body: GraphDocument; resolve: (r: ValidationReport) => void }[] = [];
  beforeEach(() => {
    calls.length = 0;
    vi.stubGlobal("fetch", (_url: string, init: RequestInit) => new Promise<Response>((resolve, reject) => {
      init.signal?.addEventListener("abort", () => reject(Object.assign(new Error("aborted"), { name: "AbortError" })));
      calls.push({ body: JSON.parse(String(init.body)) as GraphDocument, resolve: (r) => resolve(new Response(JSON.stringify(r), { status: 200 })) });
    }));
  });
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.useRealTimers();
  });

  it("debounces edits into one request", async () => {
    vi.useFakeTimers();
    const v = useValidation.getState();
    for (let i = 1; i <= 5; i++) v.schedule(() => doc([["n", "io.text_input"]]), i, 300);
    expect(useValidation.getState().status).toBe("pending");
    await vi.advanceTimersByTimeAsync(299);
    expect(calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toHaveLength(1);
    calls[0]!.resolve(report({ valid: false, problems: [{ code: "missing_input", message: "x", node_id: "n" }] }));
    await vi.runAllTimersAsync();
    const s = useValidation.getState();
    expect(s.status).toBe("done");
    expect(s.revision).toBe(5);
    expect(s.byNode.n).toHaveLength(1);
  });

  it("drops the answer to an older request", async () => {
    const v = useValidation.getState();
    const first = v.validate(doc([["a", "io.text_input"]]), 10);
    const second = v.validate(doc([["b", "io.text_input"]]), 11);
    calls[1]!.resolve(report({ types: { b: types({}, { text: "Text" }) } }));
    await Promise.all([first, second]);
    expect(useValidation.getState().revision).toBe(11);
    expect(Object.keys(useValidation.getState().types)).toEqual(["b"]);
  });

  it("reports an unreachable validator", async () => {
    vi.stubGlobal("fetch", () => Promise.reject(new TypeError("connection refused")));
    await useValidation.getState().validate(doc([]), 12);
    expect(useValidation.getState().status).toBe("error");
    expect(useValidation.getState().error).toContain("did not answer");
  });
});
