/** The server's analysis of the open graph (`POST /api/analyze`): each model's memory against
 * the model budget, each output's determinism and lineage, before anything runs. Asked for
 * while the Analysis tab is open, a moment after the last edit; a stale answer never
 * overwrites a newer one. */

import { create } from "zustand";
import { api } from "../api/client";
import type { AnalysisReport, GraphDocument } from "../api/types";

export interface AnalysisState {
  status: "idle" | "pending" | "done" | "error";
  error: string | null;
  report: AnalysisReport | null;
  /** the graph revision the report is about */
  revision: number;
  analyze: (doc: GraphDocument, revision: number) => Promise<void>;
  schedule: (doc: () => GraphDocument, revision: number, delayMs?: number) => void;
}

/** The canvas node a (possibly inner) node id is drawn as: `answer/llm` is inside `answer`. */
export const canvasNode = (id: string): string => id.split("/", 1)[0]!;

/** How full the model budget is (1 = exactly full), or null when nothing is known. */
export function budgetShare(report: AnalysisReport): number | null {
  return report.budget_bytes > 0 ? report.total_bytes / report.budget_bytes : null;
}

/** `1.2 GB`, `85 MB`, `3.6 MB`: decimal units, as the server writes them. */
export function humanBytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return "unknown";
  for (const [unit, size] of [["GB", 1e9], ["MB", 1e6], ["kB", 1e3]] as const) {
    if (n >= size) return `${Number((n / size).toPrecision(3))} ${unit}`;
  }
  return `${n} B`;
}

export const useAnalysis = create<AnalysisState>()((set, get) => {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let inflight: AbortController | null = null;
  return {
    status: "idle",
    error: null,
    report: null,
    revision: -1,
    analyze: async (doc, revision) => {
      inflight?.abort();
      const controller = new AbortController();
      inflight = controller;
      set({ status: "pending" });
      try {
        const report = await api.analyze(doc, controller.signal);
        if (inflight === controller) set({ status: "done", error: null, report, revision });
      } catch (err) {
        if ((err as Error).name !== "AbortError" && inflight === controller) set({ status: "error", error: (err as Error).message });
      } finally {
        if (inflight === controller) inflight = null;
      }
    },
    schedule: (doc, revision, delayMs = 400) => {
      if (timer) clearTimeout(timer);
      if (revision === get().revision && get().status === "done") return;
      set({ status: "pending" });
      timer = setTimeout(() => {
        timer = null;
        void get().analyze(doc(), revision);
      }, delayMs);
    },
  };
});
