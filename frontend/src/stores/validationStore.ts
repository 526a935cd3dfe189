/** The server validator's verdict on the open graph: problems pinned to nodes, ports and
 * edges, and every port's resolved type (dynamic ports and bound dimensions included).
 *
 * Per-node entries keep their identity when a new report says the same about that node, so
 * only the nodes whose problems or types changed re-render. */

import { create } from "zustand";
import { api } from "../api/client";
import type { GraphDocument, NodeTypes, Problem, ValidationReport } from "../api/types";

export interface ValidationState {
  status: "idle" | "pending" | "done" | "error";
  error: string | null;
  valid: boolean;
  problems: Problem[];
  types: Record<string, NodeTypes>;
  byNode: Record<string, Problem[]>;
  byEdge: Record<string, Problem[]>;
  /** the graph revision this report is about */
  revision: number;
  setReport: (report: ValidationReport, revision: number) => void;
  validate: (doc: GraphDocument, revision: number) => Promise<void>;
  schedule: (doc: () => GraphDocument, revision: number, delayMs?: number) => void;
}

const same = (a: unknown, b: unknown): boolean => a === b || JSON.stringify(a) === JSON.stringify(b);

/** `next`, but with the entries of `prev` wherever they are equal to the new ones. */
export function reuseEqual<T>(prev: Record<string, T>, next: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [k, v] of Object.entries(next)) out[k] = prev[k] !== undefined && same(prev[k], v) ? prev[k]! : v;
  return out;
}

export function groupProblems(problems: Problem[]): { byNode: Record<string, Problem[]>; byEdge: Record<string, Problem[]> } {
  const byNode: Record<string, Problem[]> = {};
  const byEdge: Record<string, Problem[]> = {};
  for (const p of problems) {
    const nodes = p.nodes?.length ? p.nodes : p.node_id ? [p.node_id] : [];
    for (const id of new Set(nodes)) (byNode[id] ??= []).push(p);
    if (p.edge_id) (byEdge[p.edge_id] ??= []).push(p);
  }
  return { byNode, byEdge };
}

let timer: ReturnType<typeof setTimeout> | null = null;
let inflight: AbortController | null = null;

export const useValidation = create<ValidationState>()((set, get) => ({
  status: "idle",
  error: null,
  valid: true,
  problems: [],
  types: {},
  byNode: {},
  byEdge: {},
  revision: -1,

  setReport: (report, revision) => {
    const s = get();
    const { byNode, byEdge } = groupProblems(report.problems);
    set({
      status: "done",
      error: null,
      valid: report.valid,
      problems: report.problems,
      types: reuseEqual(s.types, report.types),
      byNode: reuseEqual(s.byNode, byNode),
      byEdge: reuseEqual(s.byEdge, byEdge),
      revision,
    });
  },
  validate: async (doc, revision) => {
    inflight?.abort();
    const controller = new AbortController();
    inflight = controller;
    set({ status: "pending" });
    try {
      const report = await api.validate(doc, controller.signal);
      if (inflight === controller) get().setReport(report, revision);
    } catch (err) {
      if ((err as Error).name !== "AbortError" && inflight === controller) set({ status: "error", error: (err as Error).message });
    } finally {
      if (inflight === controller) inflight = null;
    }
  },
  schedule: (doc, revision, delayMs = 300) => {
    if (timer) clearTimeout(timer);
    set({ status: "pending" });
    timer = setTimeout(() => {
      timer = null;
      void get().validate(doc(), revision);
    }, delayMs);
  },
}));
