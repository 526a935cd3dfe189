/** The run store folds websocket events into per-node state; a stored run reads the same. */

import { beforeEach, describe, expect, it } from "vitest";
import type { RunDetail, RunEvent } from "../src/api/types";
import { statusLabel } from "../src/nodes/RunBadge";
import { type RunView, isActive, reduceEvent, reduceEvents, storedView, useRun } from "../src/stores/runStore";

let seq = 0;
const ev = (type: RunEvent["type"], node_id?: string, data?: Record<string, unknown>, run_id = "r1"): RunEvent => ({
  type, run_id, seq: ++seq, ts: 0, ...(node_id ? { node_id } : {}), ...(data ? { data } : {}),
});

beforeEach(() => {
  seq = 0;
  useRun.getState().clear();
  useRun.getState().begin("r1", ["q", "llm", "out"]);
});

describe("reduceEvent", () => {
  it("starts with every node pending", () => {
    const s = useRun.getState();
    expect(s.phase).toBe("queued");
    expect(Object.values(s.nodes).map((n) => n.status)).toEqual(["pending", "pending", "pending"]);
  });

  it("follows a run: progress, streamed text, outputs, finish", () => {
    const run = useRun.getState();
    run.apply(ev("run_started", undefined, { nodes: 3 }));
    run.apply(ev("node_cached", "q", { reason: "unchanged", outputs: { text: "question" } }));
    run.apply(ev("node_started", "llm", { reason: "new" }));
    run.apply(ev("node_progress", "llm", { fraction: 0.25, message: "The coffee" }));
    let s = useRun.getState();
    expect(s.phase).toBe("running");
    expect(s.nodes.q).toMatchObject({ status: "cached", outputs: { text: "question" } });
    expect(s.nodes.llm).toMatchObject({ status: "running", fraction: 0.25, message: "The coffee" });
    run.apply(ev("node_progress", "llm", { fraction: 0.5, message: "The coffee machine is Bartholomew" }));
    expect(useRun.getState().nodes.llm!.message).toBe("The coffee machine is Bartholomew");
    run.apply(ev("node_progress", "llm", { fraction: 0.6 }));
    expect(useRun.getState().nodes.llm!.message).toBe("The coffee machine is Bartholomew");
    run.apply(ev("node_finished", "llm", { duration_s: 2.5, outputs: { text: "Bartholomew" } }));
    run.apply(ev("node_finished", "out", { duration_s: 0, outputs: { value: "Bartholomew" } }));
    run.apply(ev("run_finished", undefined, { status: "succeeded", duration_s: 3 }));
    s = useRun.getState();
    expect(s.phase).toBe("succeeded");
    expect(isActive(s.phase)).toBe(false);
    expect(s.nodes.llm).toMatchObject({ status: "succeeded", duration: 2.5, outputs: { text: "Bartholomew" } });
    expect(s.duration).toBe(3);
  });

  it("fails a node with its message and skips its descendants", () => {
    const run = useRun.getState();
    run.apply(ev("node_failed", "llm", { code: "node_error", message: "model not found" }));
    run.apply(ev("node_failed", "out", { code: "upstream_failed", message: "not run: upstream node 'llm' did not finish" }));
    run.apply(ev("run_finished", undefined, { status: "failed" }));
    const s = useRun.getState();
    expect(s.nodes.llm).toMatchObject({ status: "failed", error: "model not found" });
    expect(s.nodes.out!.status).toBe("upstream_failed");
    expect(s.nodes.q!.status).toBe("cancelled"); // never started
    expect(s.phase).toBe("failed");
  });

  it("ignores other runs' events and events seen before", () => {
    const state = useRun.getState();
    expect(reduceEvent(state, ev("node_started", "q", {}, "other"))).toBe(state);
    const first = ev("node_started", "q");
    const after = reduceEvent(state, first);
    expect(reduceEvent(after, first)).toBe(after);
  });

  it("folds one message's events as one update, as if applied one by one, leaving the old state as it was", () => {
    const state = useRun.getState();
    const before = JSON.stringify({ nodes: state.nodes, phase: state.phase });
    const events = [
      ev("run_started", undefined, { nodes: 3 }),
      ev("node_cached", "q", { outputs: { text: "question" } }),
      ev("node_started", "llm"),
      ev("node_finished", "llm", { duration_s: 1, outputs: { text: "answer" } }),
      ev("node_started", "out"),
      ev("node_failed", "out", { code: "node_error", message: "no" }),
      ev("run_finished", undefined, { status: "failed" }),
    ];
    const batched = reduceEvents(state, events);
    const oneByOne = events.reduce<RunView>((s, e) => reduceEvent(s, e), state);
    expect(batched).toEqual(oneByOne);
    expect(Object.fromEntries(Object.entries(batched.nodes).map(([k, n]) => [k, n.status])))
      .toEqual({ q: "cached", llm: "succeeded", out: "failed" });
    expect(JSON.stringify({ nodes: state.nodes, phase: state.phase })).toBe(before);
    expect(reduceEvents(batched, events)).toBe(batched); // all seen before
  });

  it("shows a stored run", () => {
    const detail: RunDetail = {
      id: "r0", graph_id: "g", graph_version: 2, status: "failed", inputs: {}, created_at: "2026-01-01T00:00:00Z",
      started_at: null, finished_at: null, duration_s: 1, error: { code: "node_failed", message: "boom" }, outputs: null, provenance: null,
      nodes: [
        { node_id: "q", type: "io.text_input", status: "succeeded", reason: null, duration_s: 0, outputs: { text: "x" }, error: null },
        { node_id: "llm", type: "models.llm", status: "failed", reason: null, duration_s: 1, outputs: null, error: { code: "node_error", message: "boom" } },
        { node_id: "out", type: "io.text_output", status: "failed", reason: null, duration_s: null, outputs: null, error: { code: "upstream_failed", message: "not run" } },
      ],
    };
    const view = storedView(detail);
    expect(view.past).toEqual({ runId: "r0", createdAt: "2026-01-01T00:00:00Z" });
    expect(view.nodes.q).toMatchObject({ status: "succeeded", outputs: { text: "x" } });
    expect(view.nodes.llm).toMatchObject({ status: "failed", error: "boom" });
    expect(view.nodes.out!.status).toBe("upstream_failed");
  });

  it("shows a replay's verdict per node, live and stored", () => {
    const detail: RunDetail = {
      id: "r9", graph_id: "g", graph_version: 1, status: "succeeded", inputs: {}, created_at: "", started_at: null,
      finished_at: null, duration_s: 1, error: null, outputs: null, provenance: null, replay_of: "r1",
      replay: { of: "r1", nodes: {
        q: { verdict: "identical", message: "identical" },
        embed: { verdict: "differs", message: "model 'mini': its sha256 changed aaa → bbb" },
      } },
      nodes: [{ node_id: "q", type: "io.text_input", status: "succeeded" }, { node_id: "embed", type: "encoders.text_embedder", status: "succeeded" }],
    };
    expect(storedView(detail).replay?.nodes.embed).toMatchObject({ verdict: "differs" });
    useRun.getState().begin("r9", ["q", "embed"], "r1");
    expect(useRun.getState().replay).toEqual({ of: "r1", nodes: {} }); // verdicts come when it ends
    useRun.getState().showVerdicts({ ...detail, id: "other" });
    expect(useRun.getState().replay?.nodes).toEqual({}); // another run's verdicts are not this one's
    useRun.getState().showVerdicts(detail);
    expect(useRun.getState().replay?.nodes.q?.verdict).toBe("identical");
    useRun.getState().begin("r10", ["q"]);
    expect(useRun.getState().replay).toBeNull();
  });

  it("keeps the server's name for a node a crash cut off", () => {
    const view = storedView({
      id: "r2", graph_id: null, graph_version: null, status: "interrupted", inputs: {}, created_at: "", started_at: null,
      finished_at: null, duration_s: null, error: { code: "interrupted", message: "the server stopped" }, outputs: null, provenance: null,
      nodes: [{ node_id: "llm", type: "models.llm", status: "interrupted", error: null }],
    });
    expect(view.phase).toBe("interrupted");
    expect(view.nodes.llm).toMatchObject({ status: "interrupted", duration: null, outputs: null });
  });
});

describe("statusLabel", () => {
  it("words the server's names for a person", () => {
    expect(statusLabel("succeeded")).toBe("done");
    expect(statusLabel("upstream_failed")).toBe("skipped");
    expect(statusLabel("pending")).toBe("queued");
    expect(statusLabel("failed")).toBe("failed");
  });
});

describe("mergeStored", () => {
  it("folds in the nodes a running stored run has settled, keeping the live rest", () => {
    const run = useRun.getState();
    run.apply(ev("node_started", "llm", {}));
    run.mergeStored({
      id: "r1", graph_id: null, graph_version: null, status: "running", inputs: {}, created_at: "", started_at: null,
      finished_at: null, duration_s: null, error: null, outputs: null, provenance: null,
      nodes: [{ node_id: "q", type: "io.text_input", status: "succeeded", reason: null, duration_s: 0, outputs: { text: "x" }, error: null }],
    });
    const s = useRun.getState();
    expect(s.nodes.q).toMatchObject({ status: "succeeded", outputs: { text: "x" } });
    expect(s.nodes.llm!.status).toBe("running");
    expect(s.phase).toBe("running");
    expect(s.past).toBeNull();
  });
});
