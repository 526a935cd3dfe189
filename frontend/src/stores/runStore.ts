/** The run shown on the canvas: its status and each node's live state, folded from the
 * websocket's events (`reduceEvent` is pure), or read back from a stored run. */

import { create } from "zustand";
import { UPSTREAM_FAILED, type NodeStatus, type NodeVerdict, type RunDetail, type RunEvent, type RunStatus } from "../api/types";

/** A node's state on the canvas, in the server's words (one set of names end to end; what a
 * person reads is `statusLabel`'s): the node's status (`pending` until it starts), except
 * that a node the server failed with the code `upstream_failed` (it did not run because one
 * it reads from failed) is `upstream_failed`. */
export type NodeRunStatus = NodeStatus | typeof UPSTREAM_FAILED;

export interface NodeRun {
  status: NodeRunStatus;
  fraction: number | null;
  message: string;
  preview: unknown;
  outputs: Record<string, unknown> | null;
  error: string | null;
  duration: number | null;
}

export type RunPhase = "idle" | "starting" | RunStatus;

export interface RunView {
  runId: string | null;
  phase: RunPhase;
  nodes: Record<string, NodeRun>;
  error: string | null;
  duration: number | null;
  lastSeq: number;
  /** set when the canvas shows a stored run instead of a live one */
  past: { runId: string; createdAt: string } | null;
  /** set when the run is a replay: the run it replays, and each node's verdict once known */
  replay: { of: string; nodes: Record<string, NodeVerdict> } | null;
}

export interface RunState extends RunView {
  /** a run accepted by the server; `replayOf`: the run it replays */
  begin: (runId: string, nodeIds: string[], replayOf?: string) => void;
  /** the verdicts of a finished replay, read from its stored record */
  showVerdicts: (run: RunDetail) => void;
  starting: () => void;
  failedToStart: (message: string) => void;
  apply: (event: RunEvent) => void;
  /** one websocket message: its events, in order, in one update */
  applyAll: (events: readonly RunEvent[]) => void;
  showStored: (run: RunDetail) => void;
  /** fold in the nodes a still-running stored run has settled (when the live events are lost) */
  mergeStored: (run: RunDetail) => void;
  clear: () => void;
}

const idle: RunView = { runId: null, phase: "idle", nodes: {}, error: null, duration: null, lastSeq: 0, past: null, replay: null };

/** A stored run's replay verdicts, as the canvas keeps them. */
export const replayOf = (run: RunDetail): RunView["replay"] =>
  run.replay ? { of: run.replay.of, nodes: run.replay.nodes ?? {} } : null;

const blank = (status: NodeRunStatus): NodeRun => ({
  status, fraction: null, message: "", preview: null, outputs: null, error: null, duration: null,
});

export const isActive = (phase: RunPhase): boolean => phase === "starting" || phase === "queued" || phase === "running";

const str = (v: unknown): string => (typeof v === "string" ? v : "");
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
const outputsOf = (v: unknown): Record<string, unknown> | null =>
  v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : null;

/** The nodes map a batch of events has copied already, so it copies it once, not per event. */
interface Batch {
  nodes: Record<string, NodeRun> | null;
}

/** The run after `event`. Events of another run, or ones already seen, change nothing.
 * Pure: `state` is never changed (within a `batch`, only the copy the batch made is). */
export function reduceEvent(state: RunView, event: RunEvent, batch?: Batch): RunView {
  if (event.run_id !== state.runId || event.seq <= state.lastSeq) return state;
  const data = event.data ?? {};
  const next: RunView = { ...state, lastSeq: event.seq };
  const id = event.node_id;
  const node = (patch: Partial<NodeRun>): void => {
    if (!id) return;
    if (batch?.nodes !== next.nodes) {
      next.nodes = { ...next.nodes };
      if (batch) batch.nodes = next.nodes;
    }
    next.nodes[id] = { ...(next.nodes[id] ?? blank("pending")), ...patch };
  };
  switch (event.type) {
    case "run_started":
      next.phase = "running";
      break;
    case "node_started":
      node({ status: "running", fraction: 0, message: "", error: null });
      break;
    case "node_progress":
      node({
        status: "running",
        fraction: num(data.fraction),
        ...(typeof data.message === "string" ? { message: data.message } : {}),
        ...(data.preview !== undefined ? { preview: data.preview } : {}),
      });
      break;
    case "node_cached":
      node({ status: "cached", fraction: 1, outputs: outputsOf(data.outputs), message: "" });
      break;
    case "node_finished":
      node({ status: "succeeded", fraction: 1, outputs: outputsOf(data.outputs), duration: num(data.duration_s) });
      break;
    case "node_failed": {
      const code = str(data.code);
      const status: NodeRunStatus = code === UPSTREAM_FAILED ? UPSTREAM_FAILED : code === "cancelled" ? "cancelled" : "failed";
      node({ status, error: str(data.message) || code, fraction: null });
      break;
    }
    case "run_finished": {
      next.phase = (str(data.status) || "failed") as RunStatus;
      next.duration = num(data.duration_s);
      // nodes that never started were cut off by a failure or a cancel
      next.nodes = Object.fromEntries(
        Object.entries(next.nodes).map(([k, n]) => [k, n.status === "pending" || n.status === "running" ? { ...n, status: "cancelled" as const } : n]),
      );
      if (batch) batch.nodes = next.nodes;
      break;
    }
  }
  return next;
}

/** The run after `events`, in order: one websocket message's worth, the nodes map copied once
 * for the lot (a copy per event made a 2,000-node run quadratic in the canvas). */
export function reduceEvents(state: RunView, events: readonly RunEvent[]): RunView {
  const batch: Batch = { nodes: null };
  let next = state;
  for (const event of events) next = reduceEvent(next, event, batch);
  return next;
}

/** Every node status the server sends (app/engine/vocabulary.py; a Record, so that a new one
 * is a type error here). */
const NODE_STATUSES: Record<NodeStatus, true> = {
  pending: true, running: true, succeeded: true, cached: true, failed: true, cancelled: true, interrupted: true,
};
const nodeStatus = (status: string): NodeStatus => (Object.hasOwn(NODE_STATUSES, status) ? (status as NodeStatus) : "failed");

/** A stored run (`GET /api/runs/{id}`) as the canvas shows it. */
export function storedView(run: RunDetail): RunView {
  const nodes: Record<string, NodeRun> = {};
  for (const n of run.nodes) {
    const status = n.error?.code === UPSTREAM_FAILED ? UPSTREAM_FAILED : nodeStatus(n.status);
    nodes[n.node_id] = {
      ...blank(status),
      fraction: n.status === "succeeded" || n.status === "cached" ? 1 : null,
      outputs: outputsOf(n.outputs),
      error: n.error?.message ?? null,
      duration: n.duration_s ?? null,
    };
  }
  return {
    runId: run.id, phase: run.status, nodes, error: run.error?.message ?? null, duration: run.duration_s, lastSeq: Number.MAX_SAFE_INTEGER,
    past: { runId: run.id, createdAt: run.created_at },
    replay: replayOf(run),
  };
}

export const useRun = create<RunState>()((set, get) => ({
  ...idle,
  starting: () => set({ ...idle, phase: "starting" }),
  failedToStart: (message) => set({ ...idle, phase: "failed", error: message }),
  begin: (runId, nodeIds, replay) =>
    set({ ...idle, runId, phase: "queued", nodes: Object.fromEntries(nodeIds.map((id) => [id, blank("pending")])),
      replay: replay ? { of: replay, nodes: {} } : null }),
  showVerdicts: (run) => {
    if (get().runId === run.id) set({ replay: replayOf(run) });
  },
  apply: (event) => get().applyAll([event]),
  applyAll: (events) => {
    const s = get();
    const next = reduceEvents(s, events);
    if (next !== s) set(next);
  },
  showStored: (run) => set(storedView(run)),
  mergeStored: (run) => {
    const s = get();
    if (s.runId !== run.id) return;
    const settled = Object.entries(storedView(run).nodes).filter(([, n]) => n.status !== "pending" && n.status !== "running");
    set({ nodes: { ...s.nodes, ...Object.fromEntries(settled) }, phase: run.status });
  },
  clear: () => set(idle),
}));
